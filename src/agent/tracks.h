/* Process and thread tracks as the drainer keeps them (drainer thread only). */
#ifndef TS_TRACKS_H
#define TS_TRACKS_H

#include "export.h"
#include "ring.h"
#include "span.h"
#include "thread.h"

#include <stdbool.h>
#include <stdint.h>

/* Drainer-side view of one registry slot. */
struct ts_track_ctx {
	bool active;
	bool described;
	uint32_t index;
	uint32_t name_gen;
	unsigned open_spans;         /* begun and not yet ended on this track */
	uint64_t dropped_seen;
	uint64_t last_ns;
	char name[16];
	char span_name[64];          /* the thread span's name, kept for the encoder */
	void *sink_state[TS_STATE_COUNT];   /* per exporter */
	struct ts_exc_state *exceptions;    /* exception events (exception.c) */
	struct ts_user_track *user;         /* the program's own spans (userspan.c) */
	struct ts_track track;
};

/* The process track; its span begins with the first drain. */
const struct ts_track *ts_tracks_process(void);
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
/* The active track of thread `index`, or NULL. */
struct ts_track_ctx *ts_tracks_by_index(uint32_t index);
/* The thread is gone and drained: frees its slot. */
void ts_tracks_release(struct ts_track_ctx *c, int slot);
/* End of the process: every track's open spans and the process span end. */
void ts_tracks_end_all(uint64_t end_ns);
/* Child after fork: forgets the parent's tracks. */
void ts_tracks_after_fork(void);

#endif
