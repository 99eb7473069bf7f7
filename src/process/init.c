/* Library constructor and destructor, lazy initialisation for calls that
 * arrive first, and the fork handler. */
#include "init.h"

#include "agentlink.h"
#include "childenv.h"
#include "clock.h"
#include "config.h"
#include "context.h"
#include "doorbell.h"
#include "drain.h"
#include "export.h"
#include "fdtable.h"
#include "fdinfo.h"
#include "httpconn.h"
#include "ids.h"
#include "inherited.h"
#include "lastthread.h"
#include "log.h"
#include "procinfo.h"
#include "rawsys.h"
#include "recordfs.h"
#include "rlimits.h"
#include "segment_prod.h"
#include "sink.h"
#include "started.h"
#include "streams.h"
#include "summary.h"
#include "thread.h"
#include "wake.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t traced_pid;

/* An agent consumes the rings: no background thread here. */
static bool agent_mode;
static _Atomic int agent_finished;   /* its last records are handed over */

static void last_task_ends(void);

/* This library's constructor has begun; a background thread waits for it
 * when a call made before it started tracing (see start_drainer). */
static _Atomic bool constructed;
static _Atomic bool drainer_deferred;

/* The in-process writer's thread, now; or, when tracing was started by a
 * call made from another library's constructor, at this library's
 * constructor (or exit, if that comes first). Such a call may be made from
 * inside an allocator's own start (a statically linked jemalloc reads its
 * settings with readlink there), and starting a thread allocates. */
static bool start_drainer(void)
{
	ts_ring_set_nudge(ts_drain_wake);
	if (!atomic_load(&constructed)) {
		atomic_store(&drainer_deferred, true);
		return true;
	}
	return ts_drain_start();
}

static void start_deferred_drainer(void)
{
	if (atomic_exchange(&drainer_deferred, false) && !ts_drain_start())
		atomic_store(&ts_active, 0);
}

/* Chooses who turns this process's records into spans: the agent of the run
 * when there is one to be had and a segment can be made for it, else a
 * background thread of this process. */
static bool start_consumer(void)
{
	char dir[PATH_MAX];
	/* The summary without traceshim run is printed by the first process of
	 * the tree as it exits, from what every process wrote by then: the
	 * in-process writer does that. */
	bool run_waits = ts_env("TRACESHIM_RUN_WAITS") != NULL;
	bool summary_here = ts_cfg.summary && !run_waits;
	bool to_agent = ts_cfg.agent && !summary_here && ts_agent_dir(dir, sizeof dir);
	if (to_agent && ts_agent_elsewhere(dir)) {
		TS_INFO("the agent of %s is in another PID namespace; spans are written by this "
			"process", dir);
		to_agent = false;
	}
	/* Whether OTLP can be exported is told here, on the program's thread
	 * before any child is started (which then knows it was told), and
	 * before the segment (which takes what was told) is made: an agent's
	 * stderr may be none the user sees. Under traceshim run, its agent
	 * tells it. */
	if (ts_cfg.otlp && !(to_agent && run_waits) && !ts_export_otlp_there()) {
		ts_cfg.otlp = false;
		if (!ts_cfg.perfetto)
			return false;
	}
	if (to_agent && ts_segment_create(dir)) {
		if (!ts_agent_ensure(dir)) {
			ts_segment_discard();
			return start_drainer();
		}
		/* The file is the agent's to write, but whether it can be is
		 * told here, on the program's stderr, as the in-process writer
		 * would (opened and closed again: no descriptor stays). Under
		 * traceshim run, run opened it before the program started, and
		 * the agent tells of a file of the tree's own that fails. */
		if (ts_cfg.perfetto && !run_waits && !ts_sink_open(false)) {
			ts_cfg.perfetto = false;
			if (!ts_cfg.otlp) {
				ts_segment_discard();
				return false;
			}
		}
		agent_mode = true;
		ts_ring_set_nudge(ts_segment_nudge);
		TS_INFO("records go to the agent of %s", dir);
		return true;
	}
	return start_drainer();
}

/* Describe stdin/stdout/stderr now, for the records (inherited.h):
 * programs often close them before the first drain. Two of them that are
 * one socket (an inetd-style server) are one HTTP connection. */
static void describe_stdio(void)
{
	ts_inherited_describe();
	for (int fd = 1; fd < 3; fd++) {
		int same = ts_inherited_same_socket(fd);
		if (same >= 0)
			ts_http_dup(same, ts_fd_state(same), fd, ts_fd_state(fd));
	}
}

/* A new process span in the same trace, parented by `parent`: new ids, its
 * own rings and its own background thread, the same trace file. In two
 * steps: the state, which allocates nothing and starts nothing, then the
 * consumer. */
static struct ts_thread_saved forked_self;

static void begin_again_state(uint64_t parent)
{
	atomic_store(&ts_active, 0);
	pid_t before = traced_pid;
	traced_pid = (pid_t)ts_syscall(SYS_getpid);
	if (traced_pid != before)   /* a forked child (not a failed exec): its parent */
		ts_proc_forked(traced_pid, before);
	else
		ts_proc_set_owner(traced_pid);
	ts_tls.unslotted = 0;   /* the child's slots are its own */
	ts_ids_reseed();   /* same trace, new span ids and track uuids */
	ts_context_after_fork(parent);
	ts_process_start_ticks = ts_ticks();
	ts_set_exit_status(-1);
	ts_summary_reset();
	ts_drain_after_fork();
	ts_http_after_fork();
	ts_thread_forget_parent(&forked_self);
	ts_segment_after_fork();
	agent_mode = false;
	atomic_store(&agent_finished, 0);
}

static void begin_again_start(void)
{
	describe_stdio();
	bool ok = start_consumer();
	ts_lastthread_when_alone(agent_mode ? last_task_ends : NULL);
	if (ok) {
		atomic_store(&ts_active, 1);
		ts_thread_adopt_main(&forked_self);
	} else {
		atomic_store(&ts_active, 0);
	}
}

static void begin_again(uint64_t parent)
{
	begin_again_state(parent);
	begin_again_start();
}

/* fork()'s handlers. The program's allocator may have handlers of its own
 * (jemalloc), registered after these when the shim started inside its
 * set-up: its prepare handler then runs first and takes its locks, and its
 * child handler last. So in the shim's fork() (spawn.c), which every fork of
 * the program's goes through, the work is done outside the handlers: the
 * background thread is paused before any handler runs (it may be in malloc),
 * and the child's consumer is started after every handler has run (its
 * thread allocates). The handlers do it themselves only for a fork that
 * came another way. */
static bool child_pending;

static void before_fork(void)
{
	if (!ts_tls.in_fork)
		ts_drain_before_fork();
}

static void parent_after_fork(void)
{
	if (!ts_tls.in_fork)
		ts_drain_parent_after_fork();
}

/* The child of fork() is a new process, the fork span's child. */
static void after_fork_child(void)
{
	ts_drain_child_after_fork();
	ts_wake_after_fork();   /* the parent's waiters are not this process's */
	if (!atomic_load(&ts_active))
		return;
	if (!ts_cfg.follow) {
		atomic_store(&ts_active, 0);   /* only the first process is traced */
		return;
	}
	int saved = errno;
	if (ts_tls.in_fork) {
		begin_again_state(ts_tls.fork_span);   /* nothing traced until ts_fork_child() */
		child_pending = true;
	} else {
		ts_streams_after_fork();
		begin_again(ts_tls.fork_span);
	}
	errno = saved;
}

void ts_fork_prepare(void)
{
	ts_tls.in_fork = 1;
	ts_drain_before_fork();
}

void ts_fork_parent(void)
{
	ts_drain_parent_after_fork();
	ts_tls.in_fork = 0;
}

void ts_fork_child(void)
{
	ts_tls.in_fork = 0;
	if (!child_pending)
		return;
	child_pending = false;
	int saved = errno;
	ts_streams_after_fork();
	begin_again_start();
	errno = saved;
}

static struct {
	bool child;
	uint64_t span;
} bare;

void ts_bare_fork_child(uint64_t fork_span)
{
	/* The parent's thread pointer, rings and (with the in-process writer)
	 * absent background thread are left alone: this copy only forgets
	 * them. */
	bare.child = true;
	bare.span = fork_span;
	ts_tls.thr = NULL;
	atomic_store(&ts_active, 0);
}

bool ts_bare_fork_span(uint64_t *span)
{
	*span = bare.span;
	return bare.child;
}

/* The agent reads the rest from the segment. Under traceshim run nothing is
 * waited for here (run waits once, at the end); a process on its own waits
 * for its spans to be in the file, as with the in-process writer, so the
 * file is whole once it has exited. Never for the network. */
static void finish_for_agent(void)
{
	if (ts_tls.thr)
		ts_thread_end();
	if (atomic_exchange(&agent_finished, 1))
		return;
	ts_segment_finish(ts_exit_status(), false);
	if (ts_cfg.perfetto && !ts_env("TRACESHIM_RUN_WAITS")) {
		if (ts_segment_wait_written(ts_cfg.exit_timeout_ms))
			ts_segment_tell();
		else
			TS_WARN("the trace was not written within %u ms; it may be incomplete",
				ts_cfg.exit_timeout_ms);
	}
	atomic_store(&ts_active, 0);
}

/* The process ends: its last records reach whoever consumes them. Only
 * async-signal-safe steps (see ts_drain_shutdown). */
static void shutdown_consumer(void)
{
	if (!agent_mode) {
		start_deferred_drainer();   /* an exit before this library's constructor */
		ts_drain_shutdown();
		return;
	}
	int saved = errno;
	finish_for_agent();
	errno = saved;
}

/* The program's last task leaves, its main thread gone (lastthread.c): the
 * process ends, and its HTTP connections with it. */
static void last_task_ends(void)
{
	if (ts_tls.thr && !ts_tls.gone)
		ts_process_closing(ts_tls.thr);
	shutdown_consumer();
}

bool ts_own_process(void)
{
	return ts_syscall(SYS_getpid) == traced_pid;
}

static bool exec_flushed;

void ts_process_exec(void)
{
	exec_flushed = false;
	if (atomic_load(&ts_start_state) != TS_START_DONE || !atomic_load(&ts_active) || !ts_own_process())
		return;
	ts_summary_exec(true);
	if (agent_mode) {
		if (ts_tls.thr)
			ts_thread_end();
		ts_segment_finish(ts_exit_status(), true);
		if (ts_cfg.perfetto && !ts_env("TRACESHIM_RUN_WAITS") &&
		    ts_segment_wait_written(ts_cfg.exit_timeout_ms))
			ts_segment_tell();
	} else {
		ts_drain_shutdown();
	}
	ts_summary_exec(false);
	exec_flushed = true;
}

void ts_process_exec_failed(uint64_t exec_span)
{
	if (!exec_flushed)
		return;
	exec_flushed = false;
	/* Tracing goes on as a new process span when that is safe: one thread,
	 * no OTLP exporter thread left behind, the background thread gone. */
	if ((!agent_mode && ts_cfg.otlp) || ts_threads_others_live() ||
	    (!agent_mode && !ts_drain_wait_gone(200)))
		return;
	ts_tls.muted = 0;
	ts_tls.gone = 0;
	begin_again(exec_span);
}

/* Defined by the traceshim command alone (cli/traceshim.c): in its
 * processes (run, the agent and its workers, collect), started by a traced
 * program that preloads this library, the library does nothing. */
extern const int ts_in_traceshim_command __attribute__((weak, visibility("default")));

static void init_once(void)
{
	if (&ts_in_traceshim_command)
		return;
	ts_fd_note_stderr();   /* before anything is said there */
	ts_rlimits_init();     /* before anything is written anywhere */
	ts_config_load();
	if (ts_cfg.disabled) {
		TS_INFO("tracing disabled by the environment");
		return;
	}
	if (ts_cfg.clock_tsc)
		ts_clock_init_tsc();
	else
		ts_clock_init(ts_cfg.force_clock_gettime);
	ts_process_start_ticks = ts_ticks();
	traced_pid = (pid_t)ts_syscall(SYS_getpid);
	ts_proc_set_owner(traced_pid);
	ts_ids_init();
	ts_context_init();
	if (ts_cfg.otlp && !ts_sample(&ts_otel, ts_ids.trace_id, ts_ctx.parent_sampled)) {
		TS_INFO("this trace is not sampled (OTEL_TRACES_SAMPLER): no OTLP export");
		ts_cfg.otlp = false;
	}
	if (!ts_cfg.otlp && !ts_cfg.perfetto) {
		/* Nothing would be written anywhere; children still learn
		 * through exec what was reported (childenv.c). */
		ts_childenv_init();
		return;
	}
	(void)ts_summary_init(ts_cfg.summary);
	ts_http_configure(ts_cfg.http_query_raw);
	ts_http_set_inject(ts_cfg.http_inject);
	ts_childenv_init();
	ts_thread_setup_key();
	ts_lastthread_setup();
	pthread_atfork(before_fork, parent_after_fork, after_fork_child);
	ts_fs_capture_path();
	describe_stdio();
	ts_inherited_kinds();
	atomic_store(&ts_active, 1);
	if (!start_consumer()) {
		atomic_store(&ts_active, 0);
		return;
	}
	ts_lastthread_when_alone(agent_mode ? last_task_ends : NULL);
	if (ts_cfg.perfetto)
		TS_INFO("tracing to %s", ts_cfg.output);
	if (ts_cfg.otlp)
		TS_INFO("exporting to %s", ts_otel.shown);
}

bool ts_start(void)
{
	int st = atomic_load_explicit(&ts_start_state, memory_order_acquire);
	if (st == TS_START_DONE)
		return atomic_load_explicit(&ts_active, memory_order_relaxed);
	int expect = TS_START_NONE;
	if (!atomic_compare_exchange_strong(&ts_start_state, &expect, TS_START_RUNNING))
		return false;
	init_once();
	atomic_store_explicit(&ts_start_state, TS_START_DONE, memory_order_release);
	return atomic_load(&ts_active);
}

struct ts_thread *ts_caller_first(void)
{
	return ts_start() ? ts_thread_self() : NULL;
}

__attribute__((constructor)) static void ts_constructor(void)
{
	atomic_store(&constructed, true);
	if (atomic_load(&ts_start_state) == TS_START_DONE)
		start_deferred_drainer();
	if (ts_start() && !ts_tls.thr)
		(void)ts_thread_slow();   /* registers the main thread */
}

void ts_process_closing(struct ts_thread *t)
{
	ts_record_streams_at_exit(t);
	ts_http_at_exit(t, ts_ticks());
}

__attribute__((destructor)) static void ts_destructor(void)
{
	/* Not in a child that shares or copied this memory unseen (a raw
	 * clone's): its end is not this process's. */
	if (atomic_load(&ts_start_state) == TS_START_DONE && atomic_load(&ts_active) &&
	    ts_own_process()) {
		if (ts_tls.thr && !ts_tls.gone && !ts_vfork_child())
			ts_process_closing(ts_tls.thr);
		shutdown_consumer();
	}
}

void ts_process_exit(void)
{
	/* A vfork child shares our memory but is another process: not ours to flush. */
	if (atomic_load(&ts_start_state) == TS_START_DONE && atomic_load(&ts_active) &&
	    ts_syscall(SYS_getpid) == traced_pid)
		shutdown_consumer();
}
