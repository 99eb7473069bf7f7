/* Where the drainer's spans go: the Perfetto file, the OTLP module, or both
 * (drainer thread only, except ts_export_after_fork). */
#ifndef TS_EXPORT_H
#define TS_EXPORT_H

#include "span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_otlp_ops;

/* Per-track exporter state, one slot per exporter, and one for each
 * exporter's roll-ups (rollup.h). */
enum {
	TS_STATE_PERFETTO, TS_STATE_OTLP,
	TS_STATE_ROLLUP_PERFETTO, TS_STATE_ROLLUP_OTLP,
	TS_STATE_COUNT
};

/* Opens the configured exporters (loading the OTLP module when asked);
 * false when none is usable. */
/* Where libtraceshim-otlp.so is, for a consumer that is not the library
 * itself (the agent); by default, next to this library. */
void ts_export_set_module_dir(const char *dir);
/* An agent's worker: the OTLP module hands its requests to the agent's
 * relay over fd instead of posting them (module.h); before ts_export_open. */
void ts_export_set_relay(int fd);
bool ts_export_open(void);
/* The OTLP module (module.h), opened; NULL when it cannot be, said once a
 * run. The agent opens it this way before its workers, which open it
 * again in ts_export_open() and so stay quiet about what it said. */
const struct ts_otlp_ops *ts_export_otlp_module(void);
/* True when the OTLP module is where it is looked for, else says so (once
 * a run): a process that hands its records to an agent checks this much at
 * its start, without loading it, so that its own stderr tells. */
bool ts_export_otlp_there(void);

/* The process track, stamped ts_ns; its clock snapshot follows at a write. */
void ts_export_process(const struct ts_track *proc, uint64_t ts_ns, const char *cmdline,
		       size_t cmdline_len);
void ts_export_thread(const struct ts_track *proc, const struct ts_track *thread, uint64_t ts_ns);
/* Each exporter gets s as its roll-ups leave it (rollup.h): a quick leaf
 * call may be counted on its parent instead of going out itself. */
void ts_export_span(const struct ts_track *track, enum ts_span_event ev, const struct ts_span *s);
/* s, begun on track, is kept and will be exported later, whole (a span that
 * may end on another thread): what is under it is known. */
void ts_export_announce(const struct ts_track *track, const struct ts_span *s);
/* A marker on the track (Perfetto only); see ts_pf_instant(). */
void ts_export_instant(const struct ts_track *track, uint64_t ts_ns, const char *name,
		       bool dyn_name, const struct ts_span *attrs, uint64_t flow_out);
/* A counter track under a thread's track, and its values (Perfetto only:
 * OTLP has no counters in traces); see ts_pf_counter_track(). */
void ts_export_counter_track(const struct ts_track *proc, const struct ts_track *thread,
			     uint64_t uuid, const char *name, uint64_t ts_ns);
void ts_export_counter(const struct ts_track *thread, uint64_t uuid, uint64_t ts_ns, double value);
/* Describes a track of spans that are not a thread's (Perfetto only). */
void ts_export_lane(const struct ts_track *proc, const struct ts_track *lane, uint64_t ts_ns);
/* The track is over: frees its exporter state (states[TS_STATE_COUNT]). */
void ts_export_forget(void **states);
/* Writes what is pending when it has grown large (mid-cycle). */
void ts_export_maybe_flush(void);
/* End of a drain cycle. */
void ts_export_flush(bool final);
/* Exit: the OTLP queue is sent, or deadline_ms (CLOCK_MONOTONIC) passes;
 * returns how many spans were not sent (failed, or still waiting). */
size_t ts_export_finish(uint64_t deadline_ms);
void ts_export_after_fork(void);
/* True once the OTLP module is open here: its exporter (a thread, its
 * batches, the process's resource) is never reset, so a process that used
 * it is the last an agent's worker serves. */
bool ts_export_otlp_loaded(void);
/* After the final flush: the trace file closed, nothing owed, no relay. */
void ts_export_reset(void);

#endif
