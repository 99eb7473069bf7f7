/* Copies of strings kept until their owner is freed, in a list of chunks:
 * an OTLP batch, the notes of an open span. Chunks start small and double,
 * so a few strings cost one small allocation and many cost few. */
#ifndef TS_TEXTPOOL_H
#define TS_TEXTPOOL_H

#include "span.h"

#include <stdbool.h>
#include <stddef.h>

struct ts_text_chunk;

/* A copy of s (NULL for NULL, or when memory ran out). */
const char *ts_text_keep(struct ts_text_chunk **pool, const char *s);
/* A copy of n bytes, 8-byte aligned (NULL when memory ran out). */
void *ts_text_keep_bytes(struct ts_text_chunk **pool, const void *p, size_t n);
/* Makes a own what it points to that may not outlive the call: a key of
 * the program's and a string value that is not stable. false when memory
 * ran out. */
bool ts_text_keep_attr(struct ts_text_chunk **pool, struct ts_attr *a);
void ts_text_free(struct ts_text_chunk **pool);
/* Forgets every string but keeps the newest chunk for the next ones: an
 * owner emptied and filled again for every span allocates nothing. */
void ts_text_clear(struct ts_text_chunk **pool);

#endif
