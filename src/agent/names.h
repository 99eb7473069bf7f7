/* Span names made at run time ("SELECT users"), kept for the life of the
 * process: exporters may cache a name by its address. */
#ifndef TS_NAMES_H
#define TS_NAMES_H

#include <stddef.h>

/* A copy of s that is never freed or changed; the same pointer for the same
 * text. NULL when the table is full (more distinct names than any trace
 * should hold) or memory is short. Drainer thread only. */
const char *ts_name_keep(const char *s, size_t len);
/* Frees every name kept: only once nothing refers to them any more (a
 * worker between two processes). */
void ts_names_reset(void);

#endif
