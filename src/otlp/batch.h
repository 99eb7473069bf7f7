/* A batch of complete spans on their way to one OTLP request. The batch owns
 * copies of the spans' strings (the drainer reuses its memory), and its
 * times are Unix epoch nanoseconds as OTLP wants them. */
#ifndef TS_OTLP_BATCH_H
#define TS_OTLP_BATCH_H

#include "span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_text_chunk;

struct ts_batch {
	struct ts_batch *next;          /* the export queue's link */
	size_t n, cap;
	struct ts_span *spans;
	struct ts_text_chunk *text;     /* where the copied strings live */
};

/* A batch for up to cap spans, or NULL when memory ran out. */
struct ts_batch *ts_batch_new(size_t cap);
/* Copies s in, its BOOTTIME times shifted by unix_offset_ns; false when the
 * batch is full or memory ran out. */
bool ts_batch_add(struct ts_batch *b, const struct ts_span *s, int64_t unix_offset_ns);
void ts_batch_free(struct ts_batch *b);

#endif
