/* The drainer: one background thread, muted for life, with all signals
 * blocked and a descriptor table of its own. Each cycle it converts every
 * ring's new records into spans on the thread's track and writes the batch.
 * It polls: quickly while records flow, slowly when idle, so the application
 * never has to wake it. It also runs the final cycle at exit: only it can
 * write to the trace file, which is open in its table alone. */
#include "drain.h"

#include "arena_prod.h"
#include "rawsys.h"

#include "clock.h"
#include "consume.h"
#include "credmirror.h"
#include "cpusample.h"
#include "config.h"
#include "decode.h"
#include "doorbell.h"
#include "exception.h"
#include "export.h"
#include "sink.h"
#include "fdinfo.h"
#include "fdtable.h"
#include "lastthread.h"
#include "log.h"
#include "otlpstall.h"
#include "resolve.h"
#include "sqlinfo.h"
#include "summary.h"
#include "syncreal.h"
#include "thread.h"
#include "tracks.h"
#include "unwind.h"
#include "userspan.h"
#include "asyncspan.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic int stopping;         /* exit has begun: final drain wanted */
static _Atomic int final_done;       /* futex: the final drain is written */
static _Atomic int drainer_alive;    /* the thread has not returned yet */
static _Atomic int set_up;           /* futex: its table is made, the output opened */
/* A drainer was started in this process (or in the parent it was forked
 * from): only then is there drainer state to forget after fork. */
static bool ever_started;
/* Held for each cycle, so that no fork happens in the middle of one. */
static pthread_mutex_t cycle_lock = PTHREAD_MUTEX_INITIALIZER;
/* The pause before the next cycle adapts to how full the rings got. */
static struct ts_pace pace = TS_PACE_INIT;
static __thread bool on_drainer;

static long futex(_Atomic int *word, int op, int val, const struct timespec *timeout)
{
	return ts_syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* Final drain: every ring, then every open span closed and the process span
 * ended. */
static void final_cycle(void)
{
	uint64_t deadline = ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms * 9u / 10u;
	/* The process's CPU time for its span, read here: the process is this
	 * thread's own (its own share included). */
	ts_cpu_process_end_ns1 = ts_clock_cpu_ns1(CLOCK_PROCESS_CPUTIME_ID);
	if (ts_cfg.otlp)
		deadline = ts_otlp_stall_deadline(deadline);
	size_t left = ts_consume_final(ts_clock_to_ns(ts_ticks()), deadline);
	if (ts_cfg.otlp)
		ts_otlp_stall_outcome(left);
}

/* First thing on the thread: its own descriptor table, then the trace file
 * opened there. The thread that started it waits for this. */
/* Valgrind (3.19) knows neither pidfd call and says so on the program's
 * stderr: under it, the program's descriptors are not borrowed. */
static bool under_valgrind(void)
{
	const char *preload = ts_env("LD_PRELOAD");
	return preload && strstr(preload, "/vgpreload_");
}

static bool set_up_output(void)
{
	bool own = ts_fd_table_private(!under_valgrind());
	if (!own) {
		TS_INFO("no descriptor table of its own for the background thread: the trace "
			"file is opened for each write");
		if (ts_cfg.otlp) {
			/* libcurl's sockets would sit in the program's table. */
			ts_warn_config("OTLP export is off: this kernel or sandbox refuses the "
				       "background thread a descriptor table of its own");
			ts_cfg.otlp = false;
		}
	}
	bool ok = !ts_cfg.perfetto || ts_sink_open(own);
	atomic_store(&set_up, 1);
	futex(&set_up, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
	return ok;
}

static void *drainer_main(void *arg)
{
	(void)arg;
	ts_thread_mute();
	on_drainer = true;
	/* Before anything that may resolve a symbol: the thread waiting for
	 * this may be running constructors with the loader's lock held. */
	ts_cred_serving(true);   /* before the thread that started this goes on */
	bool file_ok = set_up_output();
	/* prctl, not pthread_setname_np(): that is the shim's wrapper. */
	ts_syscall(SYS_prctl, PR_SET_NAME, "traceshim", 0, 0, 0);
	ts_own_lock(&cycle_lock);
	if (!ts_export_open() || (!file_ok && !ts_cfg.otlp))
		atomic_store(&ts_active, 0);   /* nowhere to send spans: stop recording */
	ts_own_unlock(&cycle_lock);
	/* The next cycle (CLOCK_MONOTONIC ms), unless the doorbell rings first;
	 * the CPU sampler may wake the thread in between (cpusample.h). */
	uint64_t drain_at = ts_clock_monotonic_ms() + ts_pace_next(&pace);
	for (;;) {
		int seen = ts_doorbell_seen();
		if (!atomic_load(&stopping)) {
			uint64_t now = ts_clock_monotonic_ms();
			unsigned ms = ts_cpu_pause_ms(drain_at > now ? (unsigned)(drain_at - now) : 0);
			struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
			/* A request asked for after `seen` was read rang the
			 * bell already: no sleep over it; nor over one asked for
			 * since the last look (a handler waiting for its stack). */
			if (ms && !ts_cred_pending() && !ts_unwind_pending())
				ts_doorbell_wait(seen, &pause);
		}
		ts_unwind_serve();   /* a crashing thread may be waiting for libunwind */
		ts_cred_serve();     /* a thread of the program's may be waiting for its credentials */
		ts_own_lock(&cycle_lock);
		if (atomic_load(&stopping)) {
			if (!atomic_load(&final_done))
				final_cycle();
			ts_own_unlock(&cycle_lock);
			atomic_store(&final_done, 1);
			futex(&final_done, FUTEX_WAKE_PRIVATE, 1, NULL);
			ts_cred_serving(false);
			atomic_store(&drainer_alive, 0);
			return NULL;
		}
		if (ts_cpu_due())
			ts_consume_sample();
		bool drained = false;
		if (ts_clock_monotonic_ms() >= drain_at || ts_doorbell_seen() != seen) {
			ts_pace_saw(&pace, ts_consume_cycle(false));
			drain_at = ts_clock_monotonic_ms() + ts_pace_next(&pace);
			drained = true;
		}
		ts_own_unlock(&cycle_lock);
		/* After a cycle, as before the sampler: a look at /proc costs more
		 * than a round of samples. */
		if (drained && ts_lastthread_gone()) {
			ts_drain_shutdown();
			ts_lastthread_leave();
		}
	}
}

bool ts_drain_start(void)
{
	/* The rings it drains take their chunks from this process's arena. */
	ts_consume_pool = &ts_arena_pool;
	ever_started = true;
	/* Block every signal in the drainer so the program's handlers never run
	 * on it and a signal never interrupts an export. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_store(&drainer_alive, 1);
	int rc = ts_real_pthread_create(&th, &attr, drainer_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		atomic_store(&drainer_alive, 0);
		ts_warn_config("cannot start the background thread: %s", strerror(rc));
		return false;
	}
	ts_doorbell_listen(true);
	/* The output is open before main runs; bounded, as at exit. */
	uint64_t deadline = ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms;
	while (!atomic_load(&set_up)) {
		uint64_t now = ts_clock_monotonic_ms();
		if (now >= deadline)
			break;
		struct timespec wait = {0, (long)((deadline - now < 100 ? deadline - now : 100) * 1000000)};
		futex(&set_up, FUTEX_WAIT_PRIVATE, 0, &wait);
	}
	ts_log_say_deferred();   /* why the trace file could not be opened, say */
	return true;
}

bool ts_drain_wait_gone(unsigned ms)
{
	for (unsigned i = 0; i < ms && atomic_load(&drainer_alive); i++) {
		ts_doorbell_ring();
		struct timespec one = {0, 1000000};
		ts_sys_nanosleep(&one, NULL);
	}
	return !atomic_load(&drainer_alive);
}

/* The final flush runs on the drainer, never here: only it has the trace
 * file, and _exit() may be called from a signal handler that interrupted
 * malloc, so only async-signal-safe steps are taken on this side (a ring
 * append, futex calls). The wait is bounded, so a stuck export or a reader
 * that stopped reading can delay exit by at most the timeout. */
void ts_drain_shutdown(void)
{
	int saved = errno;
	if (!ts_doorbell_listened() || atomic_exchange(&stopping, 1)) {
		errno = saved;
		return;
	}
	ts_cred_serving(false);   /* no request waits for a writer that is ending */
	ts_sink_give_up_at(ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms * 9u / 10u);
	if (on_drainer) {
		/* The background thread itself ends the process, the program's
		 * threads being gone (lastthread.c): the final cycle runs here. */
		ts_own_lock(&cycle_lock);
		if (!atomic_load(&final_done))
			final_cycle();
		atomic_store(&final_done, 1);
		ts_own_unlock(&cycle_lock);
		atomic_store(&ts_active, 0);
		errno = saved;
		return;
	}
	if (ts_tls.thr)
		ts_thread_end();   /* the exiting thread's span ends now */
	ts_tls.muted = 1;
	ts_doorbell_ring();

	uint64_t deadline = ts_clock_boottime_ns() + (uint64_t)ts_cfg.exit_timeout_ms * 1000000u;
	while (!atomic_load(&final_done)) {
		uint64_t now = ts_clock_boottime_ns();
		if (now >= deadline) {
			TS_WARN("the trace was not written within %u ms; it may be incomplete",
				ts_cfg.exit_timeout_ms);
			break;
		}
		uint64_t left = deadline - now;
		struct timespec wait = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
		futex(&final_done, FUTEX_WAIT_PRIVATE, 0, &wait);
	}
	ts_log_say_deferred();
	atomic_store(&ts_active, 0);
	errno = saved;
}

/* Around fork: the background thread finishes its cycle first, so the child
 * never inherits it halfway through an allocation or a write (an allocator
 * that is not fork-safe, such as a sanitizer's, would stay locked in the
 * child). */
static __thread bool fork_locked;

void ts_drain_before_fork(void)
{
	if (ts_doorbell_listened() && !atomic_load(&stopping) && !ts_tls.muted) {
		ts_own_lock(&cycle_lock);
		fork_locked = true;
	}
}

void ts_drain_parent_after_fork(void)
{
	if (fork_locked) {
		fork_locked = false;
		ts_own_unlock(&cycle_lock);
	}
}

void ts_drain_child_after_fork(void)
{
	/* Locked by the thread that forked, before the fork: in the child no
	 * thread holds it, whether the child goes on tracing or not (a child
	 * that does not would deadlock on its own next fork). */
	fork_locked = false;
	pthread_mutex_init(&cycle_lock, NULL);
}

void ts_drain_after_fork(void)
{
	ts_doorbell_after_fork();
	ts_cred_after_fork();
	atomic_store(&stopping, 0);
	atomic_store(&final_done, 0);
	atomic_store(&drainer_alive, 0);
	atomic_store(&set_up, 0);
	ts_clock_after_fork();
	/* When the agent consumed the parent's records, the drainer's tables
	 * were never touched: clearing them would only fault in hundreds of
	 * kilobytes of zero pages in every forked child. */
	if (!ever_started)
		return;
	ever_started = false;
	/* What the parent's drainer held may be half-updated: leak it rather than
	 * free it. */
	ts_tracks_after_fork();
	pace = (struct ts_pace)TS_PACE_INIT;
	ts_consume_after_fork();
	ts_export_after_fork();
	ts_fdinfo_after_fork();
}
