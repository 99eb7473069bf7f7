/* The process and thread spans on the drainer's tracks (drainer thread only). */
#ifndef TS_TRACKS_H
#define TS_TRACKS_H

#include "ring.h"
#include "trackctx.h"

#include <stdbool.h>
#include <stdint.h>

/* The process span begins (with the first drain). */
void ts_tracks_begin_process(void);
/* The track of registry slot `slot`, (re)attached to thread t and described
 * (again, when it was renamed). */
struct ts_track_ctx *ts_tracks_of(int slot, struct ts_thread *t);
/* A TS_REC_THREAD_BEGIN record and its payload slots (len bytes). */
void ts_tracks_thread_begin(struct ts_track_ctx *c, struct ts_thread *t, const struct ts_rec *r,
			    const uint8_t *payload, unsigned len);
/* Ends every span still open on the track at time ns. */
void ts_tracks_thread_end(struct ts_track_ctx *c, uint64_t ns, struct ts_thread *t);
/* An instant on the track when records were dropped since the last call. */
void ts_tracks_report_drops(struct ts_track_ctx *c, struct ts_thread *t);
/* The thread is gone and drained: frees its slot. */
void ts_tracks_release(struct ts_track_ctx *c, int slot);
/* End of the process: every track's open spans and the process span end. */
void ts_tracks_end_all(uint64_t end_ns);
/* Child after fork: forgets the parent's tracks. */
void ts_tracks_after_fork(void);
/* Frees every track's state: a worker's next process starts anew. */
void ts_tracks_reset(void);

#endif
