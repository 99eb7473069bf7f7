/* The drainer: one background thread, muted for life, with all signals
 * blocked and a descriptor table of its own. Each cycle it converts every
 * ring's new records into spans on the thread's track and writes the batch.
 * It polls: quickly while records flow, slowly when idle, so the application
 * never has to wake it. It also runs the final cycle at exit: only it can
 * write to the trace file, which is open in its table alone. */
#include "drain.h"

#include "clock.h"
#include "config.h"
#include "decode.h"
#include "exception.h"
#include "export/export.h"
#include "export/sink.h"
#include "fdinfo.h"
#include "fdtable.h"
#include "init.h"
#include "lastthread.h"
#include "log.h"
#include "resolve.h"
#include "sqlinfo.h"
#include "summary.h"
#include "symbols.h"
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic int wake_word;        /* futex: bumped to wake the drainer */
static _Atomic int stopping;         /* exit has begun: final drain wanted */
static _Atomic int final_done;       /* futex: the final drain is written */
static _Atomic int drainer_running;
static _Atomic int drainer_alive;    /* the thread has not returned yet */
static _Atomic int set_up;           /* futex: its table is made, the output opened */
/* Held for each cycle, so that no fork happens in the middle of one. */
static pthread_mutex_t cycle_lock = PTHREAD_MUTEX_INITIALIZER;
/* How full the fullest ring got since the last cycle, in 1/64ths; the pause
 * before the next cycle adapts to it. */
static unsigned max_fill;
static unsigned pause_ms = 10;
static __thread bool on_drainer;

/* Consumes the new records of one ring. */
unsigned ts_drain_ring(struct ts_track_ctx *c, struct ts_thread *t)
{
	struct ts_ring *ring = &t->ring;
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	unsigned n = 0;
	uint8_t payload[TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE];
	while (tail < head) {
		const struct ts_rec *r = &ring->slots[tail & ring->mask];
		unsigned ext = r->ext <= TS_PAYLOAD_MAX_SLOTS ? r->ext : 0;
		if (tail + 1 + ext > head)
			break;   /* cannot happen with a well-behaved producer */
		for (unsigned i = 0; i < ext; i++)
			memcpy(payload + i * TS_REC_SIZE, &ring->slots[(tail + 1 + i) & ring->mask],
			       TS_REC_SIZE);
		/* Payload records keep their length in aux. */
		unsigned len = r->aux < ext * TS_REC_SIZE ? r->aux : ext * TS_REC_SIZE;
		switch (r->type) {
		case TS_REC_THREAD_BEGIN:   /* its payload has no length in aux */
			ts_tracks_thread_begin(c, t, r, payload, ext * TS_REC_SIZE);
			break;
		case TS_REC_THREAD_END:
			ts_tracks_report_drops(c, t);
			c->last_ns = ts_clock_to_ns(r->t0);
			ts_tracks_thread_end(c, c->last_ns, t);
			break;
		case TS_REC_FD_ALIAS:
			ts_fdinfo_alias((int)r->aux, r->aux2, r->kind, r->fd, r->fdgen);
			break;
		case TS_REC_SQL_PREPARED:
			ts_sqlinfo_prepared(r->arg, payload, len);
			break;
		case TS_REC_SQL_FINALIZED:
			ts_sqlinfo_finalized(r->arg);
			break;
		case TS_REC_SPAN: {
			struct ts_span s;
			ts_decode_call(t->index, r, payload, len, &s);
			if (c->user)   /* under a context attached from another thread */
				s.parent_id = ts_user_parent(c, r->parent);
			ts_exception_attach(c, r->span, &s);
			ts_export_span(&c->track, TS_SPAN_COMPLETE, &s);
			ts_exception_done(c);
			c->last_ns = s.end_ns;
			break;
		}
		case TS_REC_EXCEPTION:
			ts_exception_record(c, r, payload, len);
			break;
		case TS_REC_MODULE:
			ts_symbols_module(r->aux2, r->arg, (const char *)payload, len);
			break;
		case TS_REC_FD_INFO:
			ts_fdinfo_described(r->fd, r->fdgen, r->kind, payload, len, r->aux2);
			break;
		case TS_REC_USER_BEGIN:
		case TS_REC_USER_END:
		case TS_REC_USER_NOTE:
		case TS_REC_USER_LINK:
		case TS_REC_HANDOFF:
			ts_user_record(c, r, payload, len);
			break;
		default:
			break;   /* damaged record: skip it, keep the ring in step */
		}
		tail += 1 + ext;
		n++;
		ts_export_maybe_flush();
	}
	atomic_store_explicit(&ring->tail, tail, memory_order_release);
	return n;
}

/* A thread made with clone() never runs the exit hook: notice it is gone. */
static bool foreign_gone(const struct ts_thread *t)
{
	return syscall(SYS_tgkill, ts_tracks_process()->pid, t->tid, 0) != 0 && errno == ESRCH;
}

static void cycle(bool final)
{
	ts_clock_sync();
	ts_tracks_begin_process();
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
		if (!t)
			continue;
		int state = atomic_load_explicit(&t->state, memory_order_acquire);
		if (state == TS_SLOT_FREE)
			continue;
		struct ts_track_ctx *c = ts_tracks_of(i, t);
		unsigned n = ts_drain_ring(c, t);
		unsigned fill = (unsigned)((uint64_t)n * 64 / (t->ring.mask + 1));
		if (fill > max_fill)
			max_fill = fill;
		ts_tracks_report_drops(c, t);
		if (state == TS_SLOT_DEAD && !c->open_spans) {
			ts_tracks_release(c, i);
		} else if (t->foreign && !final && foreign_gone(t) &&
			   atomic_load(&t->ring.head) == atomic_load(&t->ring.tail)) {
			ts_tracks_thread_end(c, c->last_ns, t);
			ts_tracks_release(c, i);
		}
	}
	ts_async_cycle_end();
	ts_export_flush(false);   /* the final one follows once every track has ended */
}

static long futex(_Atomic int *word, int op, int val, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* Drain often enough that no ring fills: a quarter full since the last
 * cycle means wait a quarter as long next time; nearly empty means twice as
 * long, up to TRACESHIM_FLUSH_MS. */
static unsigned next_pause(void)
{
	if (max_fill >= 16)
		pause_ms = pause_ms / 4 ? pause_ms / 4 : 1;
	else if (max_fill < 2 && pause_ms < ts_cfg.flush_ms)
		pause_ms = pause_ms * 2 < ts_cfg.flush_ms ? pause_ms * 2 : ts_cfg.flush_ms;
	max_fill = 0;
	return pause_ms;
}

/* Final drain: every ring, then every open span closed and the process span
 * ended. */
static void final_cycle(void)
{
	uint64_t deadline = ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms * 9u / 10u;
	cycle(true);
	ts_tracks_end_all(ts_clock_to_ns(ts_ticks()));
	ts_export_flush(true);
	ts_export_finish(deadline);
	ts_summary_finish();
}

/* First thing on the thread: its own descriptor table, then the trace file
 * opened there. The thread that started it waits for this. */
static bool set_up_output(void)
{
	bool own = ts_fd_table_private();
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
	bool file_ok = set_up_output();
	char name[16] = "traceshim";
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&cycle_lock);
	if (!ts_export_open() || (!file_ok && !ts_cfg.otlp))
		atomic_store(&ts_active, 0);   /* nowhere to send spans: stop recording */
	pthread_mutex_unlock(&cycle_lock);
	for (;;) {
		int seen = atomic_load(&wake_word);
		if (!atomic_load(&stopping)) {
			unsigned ms = next_pause();
			struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
			futex(&wake_word, FUTEX_WAIT_PRIVATE, seen, &pause);
		}
		ts_unwind_serve();   /* a crashing thread may be waiting for libunwind */
		pthread_mutex_lock(&cycle_lock);
		if (atomic_load(&stopping)) {
			if (!atomic_load(&final_done))
				final_cycle();
			pthread_mutex_unlock(&cycle_lock);
			atomic_store(&final_done, 1);
			futex(&final_done, FUTEX_WAKE_PRIVATE, 1, NULL);
			atomic_store(&drainer_alive, 0);
			return NULL;
		}
		cycle(false);
		pthread_mutex_unlock(&cycle_lock);
		ts_lastthread_check();
	}
}

static void wake(void)
{
	atomic_fetch_add(&wake_word, 1);
	futex(&wake_word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

bool ts_drain_wake(void)
{
	if (!atomic_load(&drainer_running))
		return false;
	wake();
	return true;
}

bool ts_drain_start(void)
{
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
	atomic_store(&drainer_running, 1);
	/* The output is open before main runs; bounded, as at exit. */
	uint64_t deadline = ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms;
	while (!atomic_load(&set_up)) {
		uint64_t now = ts_clock_monotonic_ms();
		if (now >= deadline)
			break;
		struct timespec wait = {0, (long)((deadline - now < 100 ? deadline - now : 100) * 1000000)};
		futex(&set_up, FUTEX_WAIT_PRIVATE, 0, &wait);
	}
	return true;
}

bool ts_drain_wait_gone(unsigned ms)
{
	for (unsigned i = 0; i < ms && atomic_load(&drainer_alive); i++) {
		wake();
		struct timespec one = {0, 1000000};
		nanosleep(&one, NULL);
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
	if (!atomic_load(&drainer_running) || atomic_exchange(&stopping, 1)) {
		errno = saved;
		return;
	}
	ts_sink_give_up_at(ts_clock_monotonic_ms() + ts_cfg.exit_timeout_ms * 9u / 10u);
	if (on_drainer) {
		/* The background thread itself ends the process, the program's
		 * threads being gone (lastthread.c): the final cycle runs here. */
		pthread_mutex_lock(&cycle_lock);
		if (!atomic_load(&final_done))
			final_cycle();
		atomic_store(&final_done, 1);
		pthread_mutex_unlock(&cycle_lock);
		atomic_store(&ts_active, 0);
		errno = saved;
		return;
	}
	if (ts_tls.thr)
		ts_thread_end();   /* the exiting thread's span ends now */
	ts_tls.muted = 1;
	wake();

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
	if (atomic_load(&drainer_running) && !atomic_load(&stopping) && !ts_tls.muted) {
		pthread_mutex_lock(&cycle_lock);
		fork_locked = true;
	}
}

void ts_drain_parent_after_fork(void)
{
	if (fork_locked) {
		fork_locked = false;
		pthread_mutex_unlock(&cycle_lock);
	}
}

void ts_drain_after_fork(void)
{
	fork_locked = false;
	/* What the parent's drainer held may be half-updated: leak it rather than
	 * free it. */
	ts_tracks_after_fork();
	max_fill = 0;
	pause_ms = 10;
	atomic_store(&wake_word, 0);
	atomic_store(&stopping, 0);
	atomic_store(&final_done, 0);
	atomic_store(&drainer_running, 0);
	atomic_store(&drainer_alive, 0);
	atomic_store(&set_up, 0);
	pthread_mutex_init(&cycle_lock, NULL);
	ts_export_after_fork();
	ts_fdinfo_after_fork();
	ts_clock_after_fork();
}
