/* Exception events on the drainer side: crashes and C++ throws become an
 * instant on the thread's lane (Perfetto) and an `exception` event on the
 * span that was current (OTLP), which is still open when the event is read:
 * the event waits for that span's end. A fatal crash makes the thread span
 * ERROR. */
#ifndef TS_EXCEPTION_H
#define TS_EXCEPTION_H

#include "ring.h"
#include "span.h"

#include <stdint.h>

struct ts_track_ctx;

#define TS_EXC_PENDING_MAX 64   /* events kept per thread until their span ends */

/* A TS_REC_EXCEPTION record of the track's thread. */
void ts_exception_record(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
			 unsigned len);
/* Gives s the events waiting for span number `span` of the track (all of
 * them with span 0: the thread span ends) and, for the thread span of a
 * crashed thread, status ERROR. Call ts_exception_done() after exporting s. */
void ts_exception_attach(struct ts_track_ctx *c, uint32_t span, struct ts_span *s);
void ts_exception_done(struct ts_track_ctx *c);
/* The track is reused or forgotten. */
void ts_exception_forget(struct ts_track_ctx *c);
/* "SIGHUP", "SIGRTMIN+3" (glibc names no real-time signal): into buf. */
const char *ts_signal_name(int sig, char buf[16]);

#endif
