/* The process span and the thread spans on their tracks (trackctx.c), and
 * the counts of dropped records shown on them. The drainer calls these as it
 * meets thread begin/end records; a thread's end also ends what the program
 * left open on it (userspan.c) and hands over its exceptions (exception.c). */
#include "tracks.h"

#include "asyncspan.h"
#include "clock.h"
#include "config.h"
#include "context.h"
#include "cpusample.h"
#include "exception.h"
#include "export.h"
#include "ids.h"
#include "segment.h"
#include "summary.h"
#include "symbols.h"
#include "trackctx.h"
#include "procinfo.h"
#include "registry.h"
#include "userspan.h"

#include <stdio.h>
#include <string.h>

static bool process_begun;
static uint64_t released_dropped;   /* drops of threads already gone */

void ts_tracks_begin_process(void)
{
	if (process_begun)
		return;
	const struct ts_track *proc = ts_track_process_describe();
	size_t cmdlen = 0;
	const char *cmdline = ts_cfg.cmdline ? ts_proc_args(&cmdlen) : "";
	ts_export_process(proc, ts_clock_boottime_ns(), cmdline, cmdlen);

	struct ts_span s = {
		.name = proc->name, .start_ns = ts_clock_to_ns(ts_process_start_ticks),
		.span_id = ts_span_id(0, 1), .kind = 1,
		/* Started by a traced process (fork, exec, spawn): the arrow from
		 * that call ends here. */
		.parent_id = ts_ctx.parent_span,
		.flow_in = ts_ctx.parent_traced ? ts_ctx.parent_span : 0,
	};
	ts_span_int(&s, "process.pid", proc->pid);
	ts_span_int(&s, "process.parent_pid", proc->ppid);
	ts_span_str(&s, "process.executable.name", proc->name);
	ts_export_span(proc, TS_SPAN_BEGIN, &s);
	ts_summary_process(proc->name, proc->pid, proc->ppid, s.start_ns);
	process_begun = true;
}

/* The start routine's name, from the begin record's payload (ring.h); a
 * C++ name demangled, without its parameters ("pool::worker::run"). */
static const char *thread_span_name(struct ts_track_ctx *c, const struct ts_thread *t,
				    const uint8_t *payload, unsigned len)
{
	if (t->tid == ts_tracks_process()->pid)
		return "main";
	size_t n = strnlen((const char *)payload, len);
	if (!n)
		return "thread";
	char mangled[4 * TS_REC_SIZE], plain[1024];
	if (n >= 2 && payload[0] == '_' && payload[1] == 'Z' && n < sizeof mangled) {
		memcpy(mangled, payload, n);
		mangled[n] = 0;
		const char *d = ts_symbols_demangle(mangled, plain, sizeof plain);
		const char *paren = d == plain ? strchr(plain, '(') : NULL;
		if (paren && paren > plain) {
			payload = (const uint8_t *)plain;
			n = (size_t)(paren - plain);
		}
	}
	if (n >= sizeof c->span_name)
		n = sizeof c->span_name - 1;
	memcpy(c->span_name, payload, n);
	c->span_name[n] = 0;
	return c->span_name;
}

void ts_tracks_thread_begin(struct ts_track_ctx *c, struct ts_thread *t, const struct ts_rec *r,
			    const uint8_t *payload, unsigned len)
{
	struct ts_span s = {
		.name = thread_span_name(c, t, payload, len), .start_ns = ts_clock_to_ns(r->t0),
		.span_id = ts_span_id(t->index, 1), .parent_id = ts_span_id(r->aux, r->aux2), .kind = 1,
	};
	if (r->aux)   /* made by a traced pthread_create: the arrow ends here */
		s.flow_in = s.parent_id;
	ts_span_int(&s, "thread.id", t->tid);
	ts_span_str(&s, "thread.name", c->name);
	memcpy(c->begun_name, c->name, sizeof c->begun_name);
	ts_export_span(&c->track, TS_SPAN_BEGIN, &s);
	c->open_spans++;
	c->last_ns = s.start_ns;
}

void ts_tracks_thread_end(struct ts_track_ctx *c, uint64_t ns, struct ts_thread *t)
{
	/* Never before what the track holds: an exec ends the process's spans
	 * at the time it began, and a thread started just before may have
	 * begun (and made calls) after that, until the exec ended it. An end
	 * before its begin would not import. */
	if (ns < c->last_ns)
		ns = c->last_ns;
	ts_user_track_end(c, ns);
	ts_cpu_thread_end(c, ns, 0);   /* no-op when its end record said it */
	while (c->open_spans) {
		struct ts_span s = {.end_ns = ns};
		uint64_t dropped = atomic_load(&t->ring.dropped);
		if (c->open_spans == 1 && dropped)
			ts_span_int(&s, "traceshim.dropped_spans", (int64_t)dropped);
		/* Renamed after its span began (pthread_setname_np from the
		 * thread itself, seen late): the end says the name it ended with. */
		if (c->open_spans == 1 && strcmp(c->name, c->begun_name))
			ts_span_str(&s, "thread.name", c->name);
		if (c->open_spans == 1) {
			ts_cpu_thread_attr(c, ns, &s);
			ts_exception_attach(c, 0, &s);   /* the thread span: every event left */
		}
		ts_export_span(&c->track, TS_SPAN_END, &s);
		ts_exception_done(c);
		c->open_spans--;
	}
}

void ts_tracks_report_drops(struct ts_track_ctx *c, struct ts_thread *t)
{
	uint64_t dropped = atomic_load_explicit(&t->ring.dropped, memory_order_relaxed);
	if (dropped == c->dropped_seen)
		return;
	struct ts_span s = {0};
	ts_span_int(&s, "traceshim.dropped_spans", (int64_t)(dropped - c->dropped_seen));
	ts_export_instant(&c->track, c->last_ns, "traceshim: spans dropped (buffer full)", false, &s,
			  0);
	c->dropped_seen = dropped;
}

struct ts_track_ctx *ts_tracks_of(int slot, struct ts_thread *t)
{
	struct ts_track_ctx *c = ts_track_slot(slot);
	if (!c->active || c->index != t->index) {
		if (c->active) {
			ts_export_forget(c->sink_state);
			ts_exception_forget(c);
			ts_user_forget(c);
		}
		ts_cpu_forget(c);
		ts_track_attach(c, t);
	}
	if (!c->described || atomic_load(&t->name_gen) != c->name_gen)
		ts_track_describe(c, t, ts_clock_to_ns(ts_ticks()));
	return c;
}

void ts_tracks_release(struct ts_track_ctx *c, int slot)
{
	released_dropped += atomic_load(&ts_threads[slot]->ring.dropped);
	ts_export_forget(c->sink_state);
	ts_exception_forget(c);
	ts_user_forget(c);
	ts_cpu_forget(c);
	c->active = false;
	ts_thread_release(slot);
}

/* process.exit.code, and ERROR when the process failed or was killed. */
static void end_status(struct ts_span *s)
{
	static char msg[48];
	int st = ts_exit_status();
	if (st < 0)
		return;
	if (st & TS_EXIT_SIGNAL) {
		int sig = st & 0xff;
		char name[16];
		ts_span_int(s, "process.exit.code", 128 + sig);
		snprintf(msg, sizeof msg, "killed by %s", ts_signal_name(sig, name));
		s->status = TS_STATUS_ERROR;
		s->status_message = msg;
		s->error_type = "signal";
		ts_span_const(s, "error.type", "signal");
		return;
	}
	ts_span_int(s, "process.exit.code", st);
	if (st != 0) {
		snprintf(msg, sizeof msg, "exit code %d", st);
		s->status = TS_STATUS_ERROR;
		s->status_message = msg;
		s->error_type = "exit_code";
		ts_span_const(s, "error.type", "exit_code");
	}
}

void ts_tracks_end_all(uint64_t end)
{
	uint64_t dropped = released_dropped;
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load(&ts_threads[i]);
		if (!t || !ts_track_slot(i)->active)
			continue;
		dropped += atomic_load(&t->ring.dropped);
		ts_tracks_thread_end(ts_track_slot(i), end, t);
	}
	dropped += ts_async_end_all(end);
	struct ts_span s = {.end_ns = end};
	end_status(&s);
	ts_cpu_process_attr(ts_clock_to_ns(ts_process_start_ticks), end, &s);
	if (dropped)
		ts_span_int(&s, "traceshim.dropped_spans", (int64_t)dropped);
	/* An agent's worker has the count the process kept in its segment. */
	uint64_t untraced = ts_seg ? atomic_load(&ts_seg->untraced_threads)
				   : atomic_load(&ts_threads_untraced);
	if (untraced)
		ts_span_int(&s, "traceshim.untraced_threads", (int64_t)untraced);
	ts_export_span(ts_tracks_process(), TS_SPAN_END, &s);
	int st = ts_exit_status();
	ts_summary_process_end(end, st < 0 ? -1 : st & TS_EXIT_SIGNAL ? 128 + (st & 0xff) : st,
			       s.status == TS_STATUS_ERROR);
}

void ts_tracks_after_fork(void)
{
	/* The parent's per-track state may be half-updated: leak, never free. */
	ts_track_table_after_fork();
	ts_async_after_fork();
	ts_cpu_reset();
	process_begun = false;
	released_dropped = 0;
}

void ts_tracks_reset(void)
{
	for (int i = 0; i < ts_track_slots_used(); i++) {
		struct ts_track_ctx *c = ts_track_slot(i);
		ts_export_forget(c->sink_state);
		ts_exception_forget(c);
		ts_user_forget(c);
		ts_cpu_forget(c);
	}
	ts_track_table_reset();
	ts_cpu_reset();
	ts_async_reset();
	process_begun = false;
	released_dropped = 0;
}
