/* Perfetto TrackEvent encoder: spans become SLICE_BEGIN/END packets on one
 * writer sequence per track, with interned names and TracePacketDefaults so a
 * leaf span costs a few dozen bytes before compression. */
#ifndef TS_PERFETTO_H
#define TS_PERFETTO_H

#include "span.h"
#include "pb.h"

#include <stddef.h>
#include <stdint.h>

/* Packets produced since the last ts_pf_take(); the sink writes them. */
struct pb *ts_pf_batch(void);

/* A ClockSnapshot packet (BOOTTIME and REALTIME read together) into out. In a
 * file several processes append to, see snapshot.h for when to write it. */
void ts_pf_clock_snapshot(struct pb *out, uint32_t sequence, uint64_t boot_ns, uint64_t real_ns);
/* The process track: its descriptor and its ProcessTree entry, stamped ts_ns. */
void ts_pf_process_track(const struct ts_track *proc, uint64_t ts_ns, const char *cmdline,
			 size_t cmdline_len);
/* Both of the above, for a file with a single writer. */
void ts_pf_process(const struct ts_track *proc, uint64_t boot_ns, uint64_t real_ns,
		   const char *cmdline, size_t cmdline_len);
/* Describes (or renames) a thread track; emitted on the process's sequence. */
void ts_pf_thread(const struct ts_track *proc, const struct ts_track *thread, uint64_t ts_ns);
/* Describes a named track under a process that is not a thread (lanes of
 * spans received from elsewhere, or of spans that end on another thread). */
void ts_pf_named_track(const struct ts_track *proc, const struct ts_track *track, uint64_t ts_ns);
/* A counter track under track `parent` (a thread's), described on the
 * process's sequence. */
void ts_pf_counter_track(const struct ts_track *proc, const struct ts_track *parent, uint64_t uuid,
			 const char *name, uint64_t ts_ns);
/* A value of counter track `uuid` from ts_ns on, written on the sequence of
 * track t (the thread's the counter is under). */
void ts_pf_counter(const struct ts_track *t, uint64_t uuid, uint64_t ts_ns, double value);
void ts_pf_span(const struct ts_track *track, enum ts_span_event ev, const struct ts_span *s);
/* A zero-length marker on a track (dropped records, an event, a hand-off).
 * dyn_name: name is scratch text, not a constant. flow_out: an arrow starts
 * here (0: none). */
void ts_pf_instant(const struct ts_track *track, uint64_t ts_ns, const char *name, bool dyn_name,
		   const struct ts_span *attrs, uint64_t flow_out);
/* Child after fork: drops the parent's unwritten packets. */
void ts_pf_after_fork(void);
/* The process whose thread tracks' arrows are checked (flowends.h). */
void ts_pf_flows_process(const struct ts_track *proc);
/* The process's last records are written: every arrow whose start was never
 * written gets one, on the process track. */
void ts_pf_flows_close(void);
/* Frees the per-track state (the track's sequence is over). */
void ts_pf_forget(void **state);

#endif
