/* The drainer: one background thread, muted for life, with all signals
 * blocked. Each cycle it converts every ring's new records into spans on the
 * thread's track and writes the batch. It polls: quickly while records flow,
 * slowly when idle, so the application never has to wake it. */
#include "drain.h"

#include "clock.h"
#include "config.h"
#include "decode.h"
#include "export/perfetto.h"
#include "export/sink.h"
#include "fdinfo.h"
#include "ids.h"
#include "init.h"
#include "log.h"
#include "resolve.h"
#include "thread.h"

#include <dlfcn.h>
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

/* Drainer-side view of one registry slot. */
struct track_ctx {
	bool active;
	bool described;
	uint32_t index;
	uint32_t name_gen;
	unsigned open_spans;         /* begun and not yet ended on this track */
	uint64_t dropped_seen;
	uint64_t last_ns;
	char name[16];
	char span_name[64];          /* the thread span's name, kept for the encoder */
	void *sink_state;
	struct ts_track track;
};

static struct track_ctx ctxs[TS_MAX_THREADS];
static struct ts_track proc_track;
static void *proc_state;
static bool process_begun;
static char proc_name[64];

static _Atomic int wake_word;        /* futex: bumped to wake the drainer */
static _Atomic int stopping;         /* exit has begun: final drain wanted */
static _Atomic int final_done;       /* futex: the final drain is written */
static _Atomic int drainer_running;
/* How full the fullest ring got since the last cycle, in 1/64ths; the pause
 * before the next cycle adapts to it. */
static unsigned max_fill;
static unsigned pause_ms = 10;
static uint64_t released_dropped;   /* drops of threads already gone */

/* Batches bigger than this are written in the middle of a cycle. */
#define BATCH_FLUSH_BYTES (1u << 20)

static uint32_t sequence_of(uint32_t index)
{
	uint32_t s = (uint32_t)ts_mix64(ts_ids.seed ^ (0x5e9ull << 40) ^ index);
	return s ? s : 1;
}

static uint64_t uuid_of(uint32_t index)
{
	return ts_mix64(ts_ids.seed ^ (0x7ac4ull << 48) ^ index) | 1;
}

static void begin_process(void)
{
	snprintf(proc_name, sizeof proc_name, "%s", ts_program_name());
	proc_track = (struct ts_track){
		.uuid = uuid_of(0), .sequence = sequence_of(0),
		.pid = (pid_t)syscall(SYS_getpid), .name = proc_name, .sink_state = &proc_state,
	};
	char cmdline[4096];
	size_t cmdlen = 0;
	if (ts_cfg.cmdline) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = syscall(SYS_read, fd, cmdline, sizeof cmdline);
			cmdlen = n > 0 ? (size_t)n : 0;
			syscall(SYS_close, fd);
		}
	}
	/* The two clocks are read back to back so the UI can show wall time. */
	uint64_t boot = ts_clock_boottime_ns(), real = ts_clock_realtime_ns();
	ts_pf_process(&proc_track, boot, real, cmdline, cmdlen);

	struct ts_span s = {
		.name = proc_name, .start_ns = ts_clock_to_ns(ts_process_start_ticks),
		.span_id = ts_span_id(0, 1), .kind = 1,
	};
	ts_span_int(&s, "process.pid", proc_track.pid);
	ts_span_int(&s, "process.parent_pid", getppid());
	ts_span_str(&s, "process.executable.name", proc_name);
	ts_pf_span(&proc_track, TS_SPAN_BEGIN, &s);
	process_begun = true;
}

static void describe_thread(struct track_ctx *c, struct ts_thread *t, uint64_t ts)
{
	c->name_gen = atomic_load(&t->name_gen);
	memcpy(c->name, t->name, sizeof c->name);
	c->name[15] = 0;
	if (t->foreign && !c->name[0]) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)t->tid);
		int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = syscall(SYS_read, fd, c->name, sizeof c->name - 1);
			c->name[n > 0 ? n - 1 : 0] = 0;   /* drop the newline */
			syscall(SYS_close, fd);
		}
	}
	if (!c->name[0])
		snprintf(c->name, sizeof c->name, "thread %d", (int)t->tid);
	ts_pf_thread(&proc_track, &c->track, ts);
	c->described = true;
}

static void attach(struct track_ctx *c, struct ts_thread *t)
{
	*c = (struct track_ctx){.active = true, .index = t->index};
	c->track = (struct ts_track){
		.uuid = uuid_of(t->index), .parent_uuid = proc_track.uuid,
		.sequence = sequence_of(t->index), .pid = proc_track.pid, .tid = t->tid,
		.name = c->name, .sink_state = &c->sink_state,
	};
}

static const char *thread_span_name(struct track_ctx *c, const struct ts_thread *t,
				    const struct ts_rec *r)
{
	if (t->tid == proc_track.pid)
		return "main";
	Dl_info info;
	if (r->arg && dladdr((void *)(uintptr_t)r->arg, &info) && info.dli_sname) {
		snprintf(c->span_name, sizeof c->span_name, "%s", info.dli_sname);
		return c->span_name;
	}
	return "thread";
}

static void thread_begin(struct track_ctx *c, struct ts_thread *t, const struct ts_rec *r)
{
	struct ts_span s = {
		.name = thread_span_name(c, t, r), .start_ns = ts_clock_to_ns(r->t0),
		.span_id = ts_span_id(t->index, 1), .parent_id = ts_span_id(r->aux, r->aux2), .kind = 1,
	};
	if (r->aux)   /* made by a traced pthread_create: the arrow ends here */
		s.flow_in = s.parent_id;
	ts_span_int(&s, "thread.id", t->tid);
	ts_span_str(&s, "thread.name", c->name);
	ts_pf_span(&c->track, TS_SPAN_BEGIN, &s);
	c->open_spans++;
	c->last_ns = s.start_ns;
}

static void thread_end(struct track_ctx *c, uint64_t ns, struct ts_thread *t)
{
	while (c->open_spans) {
		struct ts_span s = {.end_ns = ns};
		uint64_t dropped = atomic_load(&t->ring.dropped);
		if (c->open_spans == 1 && dropped)
			ts_span_int(&s, "traceshim.dropped_spans", (int64_t)dropped);
		ts_pf_span(&c->track, TS_SPAN_END, &s);
		c->open_spans--;
	}
}

static void report_drops(struct track_ctx *c, struct ts_thread *t)
{
	uint64_t dropped = atomic_load_explicit(&t->ring.dropped, memory_order_relaxed);
	if (dropped == c->dropped_seen)
		return;
	struct ts_span s = {0};
	ts_span_int(&s, "traceshim.dropped_spans", (int64_t)(dropped - c->dropped_seen));
	ts_pf_instant(&c->track, c->last_ns, "traceshim: spans dropped (buffer full)", &s);
	c->dropped_seen = dropped;
}

/* Consumes the new records of one ring. */
static unsigned drain_ring(struct track_ctx *c, struct ts_thread *t)
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
		switch (r->type) {
		case TS_REC_THREAD_BEGIN:
			thread_begin(c, t, r);
			break;
		case TS_REC_THREAD_END:
			report_drops(c, t);
			c->last_ns = ts_clock_to_ns(r->t0);
			thread_end(c, c->last_ns, t);
			break;
		case TS_REC_FD_ALIAS:
			ts_fdinfo_alias((int)r->aux, r->aux2, r->kind, r->fd, r->fdgen);
			break;
		case TS_REC_SPAN: {
			struct ts_span s;
			unsigned len = r->aux < ext * TS_REC_SIZE ? r->aux : ext * TS_REC_SIZE;
			ts_decode_call(t->index, r, payload, len, &s);
			ts_pf_span(&c->track, TS_SPAN_COMPLETE, &s);
			c->last_ns = s.end_ns;
			break;
		}
		default:
			break;   /* damaged record: skip it, keep the ring in step */
		}
		tail += 1 + ext;
		n++;
		if (ts_pf_batch()->len > BATCH_FLUSH_BYTES)
			ts_sink_write(ts_pf_batch());
	}
	atomic_store_explicit(&ring->tail, tail, memory_order_release);
	return n;
}

/* A thread made with clone() never runs the exit hook: notice it is gone. */
static bool foreign_gone(const struct ts_thread *t)
{
	return syscall(SYS_tgkill, proc_track.pid, t->tid, 0) != 0 && errno == ESRCH;
}

static void release(struct track_ctx *c, int slot)
{
	released_dropped += atomic_load(&ts_threads[slot]->ring.dropped);
	ts_pf_forget(&c->sink_state);
	c->active = false;
	ts_thread_release(slot);
}

static void cycle(bool final)
{
	ts_clock_sync();
	if (!process_begun)
		begin_process();
	unsigned total = 0;
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
		if (!t)
			continue;
		int state = atomic_load_explicit(&t->state, memory_order_acquire);
		if (state == TS_SLOT_FREE)
			continue;
		struct track_ctx *c = &ctxs[i];
		if (!c->active || c->index != t->index) {
			if (c->active)
				ts_pf_forget(&c->sink_state);
			attach(c, t);
		}
		if (!c->described || atomic_load(&t->name_gen) != c->name_gen)
			describe_thread(c, t, ts_clock_to_ns(ts_ticks()));
		unsigned n = drain_ring(c, t);
		total += n;
		unsigned fill = (unsigned)((uint64_t)n * 64 / (t->ring.mask + 1));
		if (fill > max_fill)
			max_fill = fill;
		report_drops(c, t);
		if (state == TS_SLOT_DEAD && !c->open_spans) {
			release(c, i);
		} else if (t->foreign && !final && foreign_gone(t) &&
			   atomic_load(&t->ring.head) == atomic_load(&t->ring.tail)) {
			thread_end(c, c->last_ns, t);
			release(c, i);
		}
	}
	(void)total;
	ts_sink_write(ts_pf_batch());
}

static long futex(_Atomic int *word, int op, int val, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* Final drain: every ring, every open span closed, the process span ended. */
static void final_cycle(void)
{
	cycle(true);
	uint64_t end = ts_clock_to_ns(ts_ticks());
	uint64_t dropped = released_dropped;
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load(&ts_threads[i]);
		if (!t || !ctxs[i].active)
			continue;
		dropped += atomic_load(&t->ring.dropped);
		thread_end(&ctxs[i], end, t);
	}
	struct ts_span s = {.end_ns = end};
	if (dropped)
		ts_span_int(&s, "traceshim.dropped_spans", (int64_t)dropped);
	uint64_t untraced = atomic_load(&ts_threads_untraced);
	if (untraced)
		ts_span_int(&s, "traceshim.untraced_threads", (int64_t)untraced);
	ts_pf_span(&proc_track, TS_SPAN_END, &s);
	ts_sink_write(ts_pf_batch());
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

static void *drainer_main(void *arg)
{
	(void)arg;
	ts_thread_mute();
	char name[16] = "traceshim";
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		int seen = atomic_load(&wake_word);
		if (!atomic_load(&stopping)) {
			unsigned ms = next_pause();
			struct timespec pause = {ms / 1000, (long)(ms % 1000) * 1000000L};
			futex(&wake_word, FUTEX_WAIT_PRIVATE, seen, &pause);
		}
		if (atomic_load(&stopping)) {
			final_cycle();
			atomic_store(&final_done, 1);
			futex(&final_done, FUTEX_WAKE_PRIVATE, 1, NULL);
			return NULL;
		}
		cycle(false);
	}
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
	int rc = ts_real_pthread_create(&th, &attr, drainer_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		ts_warn_config("cannot start the background thread: %s", strerror(rc));
		return false;
	}
	atomic_store(&drainer_running, 1);
	return true;
}

/* The final flush runs on the drainer, not here: this may be _exit() called
 * from a signal handler that interrupted malloc, and only async-signal-safe
 * steps are taken on this side (a ring append, futex calls). The wait is
 * bounded, so a stuck export can delay exit by at most the timeout. */
void ts_drain_shutdown(void)
{
	int saved = errno;
	if (!atomic_load(&drainer_running) || atomic_exchange(&stopping, 1)) {
		errno = saved;
		return;
	}
	if (ts_tls.thr)
		ts_thread_end();   /* the exiting thread's span ends now */
	ts_tls.muted = 1;
	atomic_fetch_add(&wake_word, 1);
	futex(&wake_word, FUTEX_WAKE_PRIVATE, 1, NULL);

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

void ts_drain_after_fork(void)
{
	/* What the parent's drainer held may be half-updated: leak it rather than
	 * free it. The sink's descriptor is shared with the parent and stays. */
	memset(ctxs, 0, sizeof ctxs);
	proc_state = NULL;
	process_begun = false;
	max_fill = 0;
	pause_ms = 10;
	released_dropped = 0;
	atomic_store(&wake_word, 0);
	atomic_store(&stopping, 0);
	atomic_store(&final_done, 0);
	atomic_store(&drainer_running, 0);
	ts_pf_after_fork();
	ts_sink_after_fork();
	ts_fdinfo_after_fork();
	ts_clock_after_fork();
}
