/* The threads' CPU sampler (see cpusample.h). Every sample of a thread is one
 * read of its schedstat (one pread in an agent's worker); a thread gone, or
 * the process gone, just stops being sampled. A counter value covers the
 * interval from one sample to the next and is stamped at its start; a
 * value the same as the last one shown is not written again (an idle thread
 * costs a read, not a packet). */
#include "cpusample.h"

#include "clock.h"
#include "config.h"
#include "cpuhist.h"
#include "export.h"
#include "ids.h"
#include "rawsys.h"
#include "registry.h"
#include "trackctx.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ts_cpu_thread {
	int fd;                  /* its schedstat, kept open (agent), or -1 */
	bool gone;               /* it (or the process) is gone: no more samples */
	bool ended;              /* its end is known: no more samples */
	bool described;          /* its counter tracks are */
	bool have_last;
	uint64_t begin_ns;       /* its span's start (0: not seen) */
	uint64_t begin_cpu_ns1;  /* its CPU time then, plus one (0: unknown) */
	uint64_t end_cpu_ns1;    /* its CPU time at its end, plus one (0: unknown) */
	uint64_t last_t, last_cpu, last_wait;
	double shown_cpu, shown_wait;   /* the values last written (NAN: none) */
	uint64_t shown_at;
	uint64_t cpu_uuid, wait_uuid;
	const struct ts_thread *thr;   /* its registry slot, as last sampled */
	const struct ts_pool_view *pool;   /* where its ring's chunks are */
	struct ts_cpu_hist hist;
};

bool ts_cpu_keep_fds;
uint64_t ts_cpu_process_end_ns1;

static uint64_t next_due_ms;   /* CLOCK_MONOTONIC ms */
static bool idle;              /* the last round found no thread to sample */
/* A process whose threads all stayed off the CPU for QUIET_MS is sampled
 * every SLOW_MS instead (waking the consumer costs more than a round): a
 * daemon asleep costs a tenth. The first round that sees a thread move
 * goes back to the set period. */
#define QUIET_MS 1000u
#define SLOW_MS 100u
static bool moved;             /* this round saw a thread use CPU or wait for it */
static unsigned quiet_ms;      /* for how long no round has */

static const char *const cpu_name = "cpu %";
static const char *const wait_name = "waiting for CPU %";

static struct ts_cpu_thread *state_of(struct ts_track_ctx *c)
{
	if (c->cpu)
		return c->cpu;
	struct ts_cpu_thread *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fd = -1;
	s->shown_cpu = s->shown_wait = NAN;
	/* Derived from the thread's: unique in the file as it is. */
	s->cpu_uuid = ts_mix64(c->track.uuid ^ 0xc9a11ce5ull) | 1;
	s->wait_uuid = ts_mix64(c->track.uuid ^ 0x3a17f0c9ull) | 1;
	c->cpu = s;
	return s;
}

/* A read that failed: the thread or the process is gone (or the file cannot
 * be read at all, which will not change): quietly, no more samples. */
static void failed(struct ts_cpu_thread *s, int err)
{
	if (err != EMFILE && err != ENFILE && err != EINTR && err != EAGAIN)
		s->gone = true;
}

static bool read_stat(struct ts_cpu_thread *s, pid_t tid, struct ts_schedstat *out)
{
	char buf[96];
	long n;
	if (s->fd >= 0) {
		n = ts_syscall(SYS_pread64, s->fd, buf, sizeof buf, 0);
	} else {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)ts_tracks_process()->pid,
			 (int)tid);
		int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			failed(s, errno);
			return false;
		}
		n = ts_syscall(SYS_read, fd, buf, sizeof buf);
		int err = errno;
		if (ts_cpu_keep_fds && n > 0)
			s->fd = fd;
		else
			ts_syscall(SYS_close, fd);
		errno = err;
	}
	if (n < 0) {
		failed(s, errno);
		return false;
	}
	return ts_schedstat_parse(buf, (size_t)n, out);
}

static void describe(struct ts_track_ctx *c, struct ts_cpu_thread *s, uint64_t ns)
{
	const struct ts_track *proc = ts_tracks_process();
	ts_export_counter_track(proc, &c->track, s->cpu_uuid, cpu_name, ns);
	ts_export_counter_track(proc, &c->track, s->wait_uuid, wait_name, ns);
	s->described = true;
}

/* A percentage to show: to a tenth, within 0..100. */
static double percent(uint64_t part, uint64_t whole)
{
	double v = 1000.0 * (double)part / (double)whole;
	if (v > 1000.0)
		v = 1000.0;   /* one thread: no more than all of the time */
	return (double)(uint64_t)(v + 0.5) / 10.0;   /* without libm's round() */
}

/* The values from `at` on; NAN: this one not known (unchanged). */
static void show(struct ts_track_ctx *c, struct ts_cpu_thread *s, uint64_t at, double cpu,
		 double wait)
{
	if (at < s->shown_at)
		return;   /* never back in time on a counter track */
	bool new_cpu = !isnan(cpu) && cpu != s->shown_cpu;
	bool new_wait = !isnan(wait) && wait != s->shown_wait;
	if (!new_cpu && !new_wait)
		return;
	if (!s->described)
		describe(c, s, at);
	if (new_cpu)
		ts_export_counter(&c->track, s->cpu_uuid, at, cpu);
	if (new_wait)
		ts_export_counter(&c->track, s->wait_uuid, at, wait);
	if (new_cpu)
		s->shown_cpu = cpu;
	if (new_wait)
		s->shown_wait = wait;
	s->shown_at = at;
}

static void record(struct ts_track_ctx *c, struct ts_cpu_thread *s, uint64_t now,
		   const struct ts_schedstat *st)
{
	ts_cpu_hist_add(&s->hist, now, st->cpu_ns);
	if (!s->have_last || st->cpu_ns != s->last_cpu || st->wait_ns != s->last_wait)
		moved = true;
	if (s->have_last && now > s->last_t && st->cpu_ns >= s->last_cpu &&
	    st->wait_ns >= s->last_wait) {
		uint64_t dt = now - s->last_t;
		show(c, s, s->last_t, percent(st->cpu_ns - s->last_cpu, dt),
		     percent(st->wait_ns - s->last_wait, dt));
	}
	s->last_t = now;
	s->last_cpu = st->cpu_ns;
	s->last_wait = st->wait_ns;
	s->have_last = true;
}

/* One sample of thread t, of track c; false when it cannot be had. */
static bool sample(struct ts_track_ctx *c, const struct ts_thread *t)
{
	struct ts_cpu_thread *s = state_of(c);
	if (!s || s->gone || s->ended)
		return false;
	s->thr = t;
	struct ts_schedstat st;
	if (!read_stat(s, t->tid, &st))
		return false;
	record(c, s, ts_clock_to_ns(ts_ticks()), &st);
	return true;
}

bool ts_cpu_sample(struct ts_track_ctx *c, const struct ts_thread *t, const struct ts_pool_view *v)
{
	if (!sample(c, t))
		return false;
	c->cpu->pool = v;
	return true;
}

unsigned ts_cpu_pause_ms(unsigned ms)
{
	if (!ts_cfg.cpu_sample_ms || idle)
		return ms;
	uint64_t now = ts_clock_monotonic_ms();
	uint64_t left = next_due_ms > now ? next_due_ms - now : 0;
	return left < ms ? (unsigned)left : ms;
}

bool ts_cpu_due(void)
{
	return ts_cfg.cpu_sample_ms && !idle && ts_clock_monotonic_ms() >= next_due_ms;
}

void ts_cpu_round_done(unsigned sampled)
{
	unsigned period = ts_cfg.cpu_sample_ms;
	quiet_ms = moved ? 0 : quiet_ms + period;
	moved = false;
	if (quiet_ms >= QUIET_MS && period < SLOW_MS)
		period = SLOW_MS;
	next_due_ms = ts_clock_monotonic_ms() + period;
	/* Nothing to sample: the consumer sleeps as long as it would without
	 * the sampler, until a new thread begins. */
	idle = sampled == 0;
}

void ts_cpu_thread_begin(struct ts_track_ctx *c, const struct ts_thread *t,
			 const struct ts_pool_view *v, uint64_t ns, uint64_t cpu_ns1)
{
	idle = false;
	moved = true;   /* a new thread: the process is busy again */
	struct ts_cpu_thread *s = state_of(c);
	if (!s)
		return;
	/* Its spans drained before its first round may take a sample. */
	s->thr = t;
	s->pool = v;
	s->begin_ns = ns;
	s->begin_cpu_ns1 = cpu_ns1;
	if (cpu_ns1)
		ts_cpu_hist_front(&s->hist, ns, cpu_ns1 - 1);
}

void ts_cpu_thread_end(struct ts_track_ctx *c, uint64_t ns, uint64_t cpu_ns1)
{
	struct ts_cpu_thread *s = c->cpu;
	if (!s || s->ended)
		return;
	s->ended = true;
	s->end_cpu_ns1 = cpu_ns1;
	if (cpu_ns1)
		ts_cpu_hist_add(&s->hist, ns, cpu_ns1 - 1);
	if (!s->described && !s->have_last)
		return;
	/* The last stretch, when its CPU time is known (its wait is not). */
	if (cpu_ns1 && s->have_last && ns > s->last_t && cpu_ns1 - 1 >= s->last_cpu)
		show(c, s, s->last_t, percent(cpu_ns1 - 1 - s->last_cpu, ns - s->last_t), NAN);
	/* Over: not running, not waiting. */
	show(c, s, ns > s->shown_at ? ns : s->shown_at, 0, 0);
}

/* A thread that has ended wrote its end record last (thread.c), before
 * it said it was dead: the CPU time it read there, ahead of the drain. The
 * record is still the ring's (the drain has not reached it); only a number
 * is taken from it, bounded by the pool. */
static void peek_end(struct ts_cpu_thread *s)
{
	const struct ts_thread *t = s->thr;
	const struct ts_pool_view *v = s->pool;
	if (!v || atomic_load_explicit(&t->state, memory_order_acquire) != TS_SLOT_DEAD)
		return;
	uint64_t head = atomic_load_explicit(&t->ring.head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&t->ring.tail, memory_order_relaxed);
	if (head <= tail)
		return;
	uint64_t at = head - 1;
	uint32_t chunk = atomic_load_explicit(&t->ring.table[(at >> TS_CHUNK_SHIFT) % TS_RING_CHUNKS],
					      memory_order_relaxed);
	if (chunk >= v->nchunks)
		return;
	const struct ts_rec *r = ts_pool_chunk(v, chunk) + (at & (TS_CHUNK_RECS - 1));
	if (r->type == TS_REC_THREAD_END && r->arg)
		ts_cpu_hist_add(&s->hist, ts_clock_to_ns(r->t0), r->arg - 1);
}

static bool long_enough(uint64_t start, uint64_t end)
{
	return end >= start && end - start >= (uint64_t)ts_cfg.cpu_span_min_us * 1000u;
}

static void put(struct ts_span *s, uint64_t cpu)
{
	ts_span_int(s, TS_CPU_ATTR, (int64_t)cpu);
}

bool ts_cpu_span_ns(struct ts_track_ctx *c, uint64_t start, uint64_t end, int64_t *out)
{
	struct ts_cpu_thread *s = c->cpu;
	if (!s || !ts_cfg.cpu_sample_ms || !long_enough(start, end))
		return false;
	/* Ended after the last sample: the thread lives on (its end is still
	 * to come), one more sample now; gone already, its end record says
	 * what it had used at its end. */
	if (s->hist.n && end > s->hist.t[s->hist.n - 1] && !s->ended && s->thr &&
	    !sample(c, s->thr))
		peek_end(s);
	uint64_t cpu;
	if (!ts_cpu_hist_span(&s->hist, start, end, &cpu))
		return false;
	/* One thread computes at most all the time: the samples around a
	 * bound (or a new thread's start, which had computed a little before
	 * its begin record) may say a few µs more. */
	*out = (int64_t)(end > start && cpu > end - start ? end - start : cpu);
	return true;
}

void ts_cpu_attr(struct ts_track_ctx *c, uint64_t start, uint64_t end, struct ts_span *s)
{
	int64_t cpu;
	if (ts_cpu_span_ns(c, start, end, &cpu))
		put(s, (uint64_t)cpu);
}

void ts_cpu_thread_attr(struct ts_track_ctx *c, uint64_t end_ns, struct ts_span *span)
{
	struct ts_cpu_thread *s = c->cpu;
	if (!s || !s->begin_ns || !long_enough(s->begin_ns, end_ns))
		return;
	/* Read by the thread itself at its beginning and end: exact. */
	if (s->end_cpu_ns1 && s->begin_cpu_ns1) {
		/* A new thread's counts from its clone, a few µs before its begin
		 * record (its registration's work): at most the span's time. */
		uint64_t a = s->begin_cpu_ns1 - 1, b = s->end_cpu_ns1 - 1, d = end_ns - s->begin_ns;
		uint64_t cpu = b > a ? b - a : 0;
		put(span, cpu < d ? cpu : d);
		return;
	}
	ts_cpu_attr(c, s->begin_ns, end_ns, span);
}

void ts_cpu_process_attr(uint64_t start, uint64_t end, struct ts_span *s)
{
	if (ts_cpu_process_end_ns1 && long_enough(start, end))
		put(s, ts_cpu_process_end_ns1 - 1);
}

void ts_cpu_forget(struct ts_track_ctx *c)
{
	struct ts_cpu_thread *s = c->cpu;
	if (!s)
		return;
	if (s->fd >= 0)
		ts_syscall(SYS_close, s->fd);
	free(s);
	c->cpu = NULL;
}

void ts_cpu_reset(void)
{
	ts_cpu_process_end_ns1 = 0;
	next_due_ms = 0;
	idle = false;
}
