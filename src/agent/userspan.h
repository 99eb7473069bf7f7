/* The program's spans (traceshim.h) on the drainer side, from the records
 * api.c writes. A span begun on a thread is a slice of that thread's track,
 * begun and ended as its records come; its attributes, events and error
 * wait in notes for its end. A span started to end anywhere is kept whole
 * until it ends (asyncspan.h). A context attached from another thread is a
 * local number mapped back to that thread's span. */
#ifndef TS_USERSPAN_H
#define TS_USERSPAN_H

#include "ring.h"
#include "span.h"

#include <stdint.h>

struct ts_track_ctx;

/* A TS_REC_USER_* or TS_REC_HANDOFF record of the track's thread. */
void ts_user_record(struct ts_track_ctx *c, const struct ts_rec *r, const uint8_t *payload,
		    unsigned len);
/* The span id of local span number `local` of the track as a parent. */
uint64_t ts_user_parent(const struct ts_track_ctx *c, uint32_t local);
/* s, a span whose parent is local span number `parent` of the track, is in
 * the trace of that parent when it belongs to another trace than the
 * process's (under a server span that continues its caller's trace). */
void ts_user_trace(const struct ts_track_ctx *c, uint32_t parent, struct ts_span *s);
/* The thread ended at ns: its open spans end. */
void ts_user_track_end(struct ts_track_ctx *c, uint64_t ns);
/* The track is reused or forgotten. */
void ts_user_forget(struct ts_track_ctx *c);

#endif
