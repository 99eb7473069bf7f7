/* The consumer's drain cycle, the same in the process's own background thread
 * and in an agent's worker: every ring's new records become spans on their
 * thread's track and go to the exporters. */
#include "consume.h"

#include "arena.h"
#include "asyncspan.h"
#include "clock.h"
#include "config.h"
#include "copy.h"
#include "cpusample.h"
#include "decode.h"
#include "exception.h"
#include "export.h"
#include "family.h"
#include "fdinfo.h"
#include "rawsys.h"
#include "spool.h"
#include "defer.h"
#include "sqlinfo.h"
#include "summary.h"
#include "symbols.h"
#include "tracks.h"
#include "userspan.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PREFETCH 4   /* records */

const struct ts_pool_view *ts_consume_pool;
uint64_t ts_consume_damaged;

/* The n record slots at r (whole records, in the ring's order) onto track
 * c; room: slots from r to the end of their chunk (a record never straddles
 * one). Returns the slots taken: all, but an incomplete last record. */
static unsigned consume_run(struct ts_track_ctx *c, struct ts_thread *t, const struct ts_pool_view *v,
			    const struct ts_rec *recs, unsigned n, unsigned room, unsigned *count)
{
	uint8_t payload[TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE];
	unsigned i = 0;
	while (i < n) {
		const struct ts_rec *r = recs + i;
		/* The records were written on another core: asked for a few
		 * ahead, they arrive while this one is decoded and encoded.
		 * Only those written already, in this chunk. */
		if (i + PREFETCH < n)
			__builtin_prefetch(r + PREFETCH);
		unsigned ext = r->ext;
		if (i + 1 + ext > room || (r->type != TS_REC_PAD && ext > TS_PAYLOAD_MAX_SLOTS)) {
			ts_consume_damaged++;   /* a record never straddles chunks */
			ext = 0;
		}
		if (i + 1 + ext > n)
			break;   /* cannot happen with a well-behaved producer */
		/* Payload records keep their length in aux. Only what is used is
		 * copied (the slots are 64 bytes, a path or an address far less). */
		unsigned len = r->aux < ext * TS_REC_SIZE ? r->aux : ext * TS_REC_SIZE;
		if (r->type != TS_REC_PAD && ext)
			ts_memcpy(payload, r + 1, r->type == TS_REC_THREAD_BEGIN ? ext * TS_REC_SIZE : len);
		switch (r->type) {
		case TS_REC_THREAD_BEGIN:   /* its payload has no length in aux */
			ts_tracks_thread_begin(c, t, r, payload, ext * TS_REC_SIZE);
			/* Made by a traced pthread_create: its CPU clock began at 0. */
			ts_cpu_thread_begin(c, t, v, c->last_ns, r->aux ? 1 : (uint64_t)r->ret);
			break;
		case TS_REC_THREAD_END:
			ts_tracks_report_drops(c, t);
			c->last_ns = ts_clock_to_ns(r->t0);
			ts_cpu_thread_end(c, c->last_ns, r->arg);
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
			if (s.family == TS_FAM_SQLITE)
				ts_cpu_attr(c, s.start_ns, s.end_ns, &s);
			if (c->user) {   /* under a context attached from another thread */
				s.parent_id = ts_user_parent(c, r->parent);
				ts_user_trace(c, r->parent, &s);
			}
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
		case TS_REC_PAD:
			break;
		default:
			ts_consume_damaged++;
			break;   /* damaged record: skip it, keep the ring in step */
		}
		i += 1 + ext;
		(*count)++;
		ts_export_maybe_flush();
	}
	return i;
}

/* Reads t's new records: each run of them in a chunk is converted onto
 * track c, or, when slot is >= 0, copied to the spool (false: out of
 * memory, the rest left in the ring); a chunk read to its end goes back to
 * the pool. *count: records read. */
static bool read_ring(struct ts_track_ctx *c, struct ts_thread *t, int slot, const struct ts_pool_view *v,
		      unsigned *count)
{
	struct ts_ring *ring = &t->ring;
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	bool ok = true;
	if (head - tail > (uint64_t)(TS_RING_CHUNKS - 1) * TS_CHUNK_RECS) {
		/* Not what a producer writes: nothing in between can be trusted. */
		ts_consume_damaged++;
		tail = head;
	}
	while (tail < head) {
		uint32_t chunk = atomic_load_explicit(
			&ring->table[(tail >> TS_CHUNK_SHIFT) % TS_RING_CHUNKS], memory_order_relaxed);
		unsigned off = (unsigned)(tail & (TS_CHUNK_RECS - 1));
		uint64_t chunk_end = (tail | (TS_CHUNK_RECS - 1)) + 1;
		if (chunk >= v->nchunks) {
			ts_consume_damaged++;
			tail = chunk_end < head ? chunk_end : head;
			continue;
		}
		const struct ts_rec *r = ts_pool_chunk(v, chunk) + off;
		unsigned avail = (unsigned)((chunk_end < head ? chunk_end : head) - tail), took = avail;
		if (slot < 0) {
			took = consume_run(c, t, v, r, avail, TS_CHUNK_RECS - off, count);
		} else if (!ts_spool_put((unsigned)slot, r, avail)) {
			ok = false;
			break;
		} else {
			*count += avail;   /* slots: what the pacing needs */
		}
		tail += took;
		if (tail == chunk_end)
			ts_pool_give(v, chunk);   /* read to its end: back to the pool */
		if (took < avail)
			break;
	}
	atomic_store_explicit(&ring->tail, tail, memory_order_release);
	return ok;
}

unsigned ts_consume_ring(struct ts_track_ctx *c, struct ts_thread *t, const struct ts_pool_view *v)
{
	unsigned n = 0;
	(void)read_ring(c, t, -1, v, &n);
	return n;
}

/* A thread made with clone() never runs the exit hook: notice it is gone. */
static bool foreign_gone(const struct ts_thread *t)
{
	return ts_syscall(SYS_tgkill, ts_tracks_process()->pid, t->tid, 0) != 0 && errno == ESRCH;
}

unsigned ts_drain_ring(struct ts_track_ctx *c, struct ts_thread *t)
{
	return ts_consume_ring(c, t, t->ring.pool);
}

/* A thread gone and drained: the chunk its last records were in goes back. */
static void give_last_chunk(struct ts_thread *t, const struct ts_pool_view *v)
{
	uint64_t tail = atomic_load(&t->ring.tail);
	if (tail & (TS_CHUNK_RECS - 1))
		ts_pool_give(v, atomic_load(&t->ring.table[(tail >> TS_CHUNK_SHIFT) % TS_RING_CHUNKS]));
}

/* Producers waiting for room or a chunk sleep until the consumer took
 * records. */
static void wake_producers(const struct ts_pool_view *v, unsigned took)
{
	if (v->pool && took) {
		atomic_fetch_add(&v->pool->progress, 1);
		if (atomic_load(&v->pool->waiters))
			ts_syscall(SYS_futex, &v->pool->progress, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	}
}

static unsigned fill_of(unsigned n)
{
	return (unsigned)((uint64_t)n * 64 / ((TS_RING_CHUNKS - 1) * TS_CHUNK_RECS));
}

/* Registry slot i's thread and its state, or NULL when the slot is free. */
static struct ts_thread *slot_in_use(int i, int *state)
{
	struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
	if (!t)
		return NULL;
	*state = atomic_load_explicit(&t->state, memory_order_acquire);
	return *state == TS_SLOT_FREE ? NULL : t;
}

bool ts_consume_may_defer;

/* Dead threads whose slots wait for the spool to be converted before they
 * are freed: beyond this many, it is converted, so that new threads find
 * slots. */
#define DEAD_WAITING_MAX 32
/* A cycle that catches up with the spool converts for about this long. */
#define CATCH_UP_MS 20

/* Converts the oldest spooled cycles, each whole and as a cycle would have
 * (ts_async_cycle_end after each), until none is left or, with until_ms,
 * that time (monotonic) has passed. */
static void replay(uint64_t until_ms)
{
	const struct ts_spool_block *b;
	while ((b = ts_spool_first())) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[b->slot], memory_order_acquire);
		if (t) {   /* a slot is never freed while records of it wait */
			unsigned n = 0;
			(void)consume_run(ts_tracks_of(b->slot, t), t, ts_consume_pool, b->recs, b->n, b->n,
					  &n);
		}
		bool end = b->cycle_end;
		ts_spool_pop();
		if (end) {
			ts_async_cycle_end();
			if (until_ms && ts_clock_monotonic_ms() >= until_ms)
				break;
		}
	}
}

/* A cycle while records wait in the spool, or should (defer.h): every
 * ring's new records go behind those waiting, and the oldest are converted
 * when the conversion is no longer deferred. Returns how full the fullest
 * ring got, or -1 once nothing waits (a plain cycle follows). */
static int spool_cycle(const struct ts_pool_view *v, bool final)
{
	size_t held = ts_spool_bytes();
	bool wanted = !final && ts_consume_may_defer && ts_defer_wanted(held);
	if (!held && !wanted)
		return -1;
	unsigned max_fill = 0, dead = 0;
	bool all = true;
	/* Over the bound, the rings keep their records (and a thread waits
	 * for room) until the spool is converted. */
	if (!final && !ts_defer_over(held)) {
		unsigned took = 0;
		for (int i = 0; i < TS_MAX_THREADS && all; i++) {
			int state;
			struct ts_thread *t = slot_in_use(i, &state);
			if (!t)
				continue;
			dead += state == TS_SLOT_DEAD;
			unsigned n = 0;
			all = read_ring(NULL, t, i, v, &n);
			took += n;
			if (fill_of(n) > max_fill)
				max_fill = fill_of(n);
		}
		ts_spool_cycle_end();
		wake_producers(v, took);
	}
	if (dead > DEAD_WAITING_MAX || !all)
		wanted = false;
	if (!wanted)
		replay(final ? 0 : ts_clock_monotonic_ms() + CATCH_UP_MS);
	ts_export_flush(false);
	if (!ts_spool_first())
		return -1;
	return wanted ? (int)max_fill : 64;   /* catching up: the next cycle soon */
}

unsigned ts_consume_cycle(bool final)
{
	unsigned max_fill = 0, took = 0;
	const struct ts_pool_view *v = ts_consume_pool;
	if (!v)
		return 0;
	ts_clock_sync();
	ts_tracks_begin_process();
	int spooled = spool_cycle(v, final);
	if (spooled >= 0)
		return (unsigned)spooled;
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		int state;
		struct ts_thread *t = slot_in_use(i, &state);
		if (!t)
			continue;
		struct ts_track_ctx *c = ts_tracks_of(i, t);
		unsigned n = ts_consume_ring(c, t, v);
		took += n;
		if (fill_of(n) > max_fill)
			max_fill = fill_of(n);
		ts_tracks_report_drops(c, t);
		if (state == TS_SLOT_DEAD && !c->open_spans) {
			give_last_chunk(t, v);
			ts_tracks_release(c, i);
		} else if (t->foreign && !final && foreign_gone(t) &&
			   atomic_load(&t->ring.head) == atomic_load(&t->ring.tail)) {
			ts_tracks_thread_end(c, c->last_ns, t);
			give_last_chunk(t, v);
			ts_tracks_release(c, i);
		}
	}
	wake_producers(v, took);
	/* How much of the pool is taken counts as much as one ring's fill. */
	if (v->nchunks) {
		unsigned used = (unsigned)((uint64_t)atomic_load(&v->pool->out) * 64 / v->nchunks);
		if (used > max_fill)
			max_fill = used;
	}
	ts_async_cycle_end();
	ts_export_flush(false);   /* the final one follows once every track has ended */
	return max_fill;
}

void ts_consume_sample(void)
{
	unsigned sampled = 0;
	ts_tracks_begin_process();
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
		if (t && atomic_load_explicit(&t->state, memory_order_acquire) == TS_SLOT_LIVE &&
		    ts_cpu_sample(ts_tracks_of(i, t), t, ts_consume_pool))
			sampled++;
	}
	ts_cpu_round_done(sampled);
}

size_t ts_consume_final(uint64_t end_ns, uint64_t deadline_ms)
{
	ts_consume_cycle(true);
	ts_tracks_end_all(end_ns);
	ts_export_flush(true);
	size_t left = ts_export_finish(deadline_ms);
	ts_summary_finish();
	return left;
}

void ts_consume_after_fork(void)
{
	ts_consume_pool = NULL;
}

void ts_pace_saw(struct ts_pace *p, unsigned fill)
{
	if (fill > p->max_fill)
		p->max_fill = fill;
}

unsigned ts_pace_next(struct ts_pace *p)
{
	if (p->max_fill >= 16)
		p->pause_ms = p->pause_ms / 4 ? p->pause_ms / 4 : 1;
	else if (p->max_fill < 2 && p->pause_ms < ts_cfg.flush_ms)
		p->pause_ms = p->pause_ms * 2 < ts_cfg.flush_ms ? p->pause_ms * 2 : ts_cfg.flush_ms;
	p->max_fill = 0;
	return p->pause_ms;
}

