/* The drainer's tracks (drainer thread only): one per registry slot, for the
 * thread using it, and the process's. Only what a track is and where it is
 * found; the spans on them are tracks.c's, userspan.c's and asyncspan.c's. */
#ifndef TS_TRACKCTX_H
#define TS_TRACKCTX_H

#include "export.h"
#include "registry.h"
#include "span.h"

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
	char begun_name[16];         /* thread.name when the thread span began */
	char span_name[64];          /* the thread span's name, kept for the encoder */
	void *sink_state[TS_STATE_COUNT];   /* per exporter */
	struct ts_exc_state *exceptions;    /* exception events (exception.c) */
	struct ts_user_track *user;         /* the program's own spans (userspan.c) */
	struct ts_cpu_thread *cpu;          /* its CPU samples (cpusample.c) */
	struct ts_track track;
};

/* The process track (described by ts_track_process_describe()). */
const struct ts_track *ts_tracks_process(void);
/* Describes the process track anew (its name, ids and exporter state). */
const struct ts_track *ts_track_process_describe(void);
/* The track of registry slot `slot`, as it is. */
struct ts_track_ctx *ts_track_slot(int slot);
/* The track starts over for thread t (its states were let go). */
void ts_track_attach(struct ts_track_ctx *c, struct ts_thread *t);
/* Names the track after thread t (again, when it was renamed) for the
 * exporters, at ts. */
void ts_track_describe(struct ts_track_ctx *c, struct ts_thread *t, uint64_t ts);
/* The active track of thread `index`, or NULL. */
struct ts_track_ctx *ts_tracks_by_index(uint32_t index);
/* Child after fork: forgets the parent's tracks (leaked, never freed). */
void ts_track_table_after_fork(void);
/* The slots below this may hold a track's state. */
int ts_track_slots_used(void);
/* Forgets every track (their states freed already, see tracks.c) and frees
 * the process track's exporter state. */
void ts_track_table_reset(void);

#endif
