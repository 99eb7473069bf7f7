/* Turning records into spans (drainer side). */
#ifndef TS_DECODE_H
#define TS_DECODE_H

#include "ring.h"
#include "span.h"

#include <stdbool.h>
#include <stdint.h>

/* Fills s from a TS_REC_SPAN record of thread `index`; payload holds the
 * record's continuation bytes (path or socket address), len of them. */
void ts_decode_call(uint32_t index, const struct ts_rec *r, const uint8_t *payload, unsigned len,
		    struct ts_span *s);

/* The attributes of the path calls (TS_SHAPE_PATH, TS_SHAPE_PATH2) of
 * operation op (decode_fs.c). True when the call is a failure that is no
 * error: a miss of a PATH walk, which has its traceshim.errno already. */
bool ts_decode_fs(unsigned op, const struct ts_rec *r, const uint8_t *payload, unsigned len,
		  struct ts_span *s);

/* The attributes and links of the waits and releases (TS_SHAPE_WAIT,
 * TS_SHAPE_WAKE) of operation op (decode_wait.c). Returns the error number
 * the span fails with, 0 when none (a timeout is none). */
int ts_decode_wait(unsigned op, const struct ts_rec *r, struct ts_span *s);

/* The same for the waits in system calls (TS_SHAPE_SYSWAIT: polls, sleeps,
 * child processes, futex waits; decode_syswait.c). */
int ts_decode_syswait(unsigned op, const struct ts_rec *r, struct ts_span *s);

/* Failure attributes and status for errno value err. */
void ts_decode_error(struct ts_span *s, int err);

#endif
