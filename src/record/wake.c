/* The wake table (wake.h), the wait threshold in ticks, and the records of
 * waits and releases (recordwait.h). */
#include "recordwait.h"

#include "clock.h"
#include "config.h"
#include "wake.h"

#include <errno.h>
#include <time.h>

struct ts_wake_slot ts_wake_table[TS_WAKE_SLOTS];
_Atomic bool ts_wake_used;
_Atomic uint64_t ts_wait_min_ticks_plus1;

/* No waiter is left, and no release is to be found (else the child's
 * releases would wait for a waiter of the parent's to find it). A process
 * that never waited leaves the table's pages untouched: a fork costs it
 * nothing. */
void ts_wake_after_fork(void)
{
	if (!atomic_load_explicit(&ts_wake_used, memory_order_relaxed))
		return;
	for (unsigned i = 0; i < TS_WAKE_SLOTS; i++) {
		struct ts_wake_slot *s = &ts_wake_table[i];
		if (atomic_load_explicit(&s->waiters, memory_order_relaxed))
			atomic_store_explicit(&s->waiters, 0, memory_order_relaxed);
		uint64_t word = atomic_load_explicit(&s->last, memory_order_relaxed);
		if ((uint32_t)word && !(word & TS_WAKE_CLAIMED))
			atomic_store_explicit(&s->last, word | TS_WAKE_CLAIMED, memory_order_relaxed);
	}
}

/* With the TSC the rate is measured from the clock's anchor (taken as the
 * tracer started): kept once a millisecond has passed since, so that the
 * slope is good to a part in a thousand; before that, worked out afresh. */
uint64_t ts_wait_min_ticks_slow(void)
{
	uint64_t us = ts_cfg.wait_min_us;
	if (!ts_clock_tsc || !us) {
		atomic_store_explicit(&ts_wait_min_ticks_plus1, us * 1000u + 1, memory_order_relaxed);
		return us * 1000u;
	}
	uint64_t tick0, ns0;
	ts_clock_anchor(&tick0, &ns0);
	uint64_t tick = ts_ticks(), ns = ts_clock_boottime_ns();
	if (ns <= ns0 || tick <= tick0)
		return us * 1000u;   /* no anchor yet: as if a tick were a nanosecond */
	double per_ns = (double)(tick - tick0) / (double)(ns - ns0);
	uint64_t ticks = (uint64_t)((double)us * 1000.0 * per_ns);
	if (ns - ns0 >= 1000000u)
		atomic_store_explicit(&ts_wait_min_ticks_plus1, ticks + 1, memory_order_relaxed);
	return ticks;
}

int64_t ts_wait_timeout_ms(clockid_t clock, const struct timespec *abstime)
{
	if (!abstime)
		return -1;
	struct timespec now;
	if (clock_gettime(clock, &now) != 0)
		return 0;
	int64_t ms = ((int64_t)abstime->tv_sec - (int64_t)now.tv_sec) * 1000 +
		     ((int64_t)abstime->tv_nsec - (int64_t)now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

void ts_record_wait(struct ts_thread *t, enum ts_op op, const struct ts_wait *w, uint64_t t0,
		    uint64_t t1)
{
	uint32_t index = 0, seq = 0;
	bool first = false;
	bool known = w->counted && ts_wake_leave(w->addr, w->before,
						 w->err == 0 || w->err == EOWNERDEAD, &index, &seq,
						 &first);
	if (t1 - t0 < ts_wait_min_ticks())
		return;
	if (w->joined_index && w->err == 0) {   /* the joined thread's span ended it */
		known = true;
		index = w->joined_index;
		seq = 1;
	}
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	*r = (struct ts_rec){.t0 = t0, .t1 = t1, .ret = w->err ? -1 : 0,
			     .arg = (uint64_t)(uintptr_t)w->addr, .span = t->next_span++,
			     .parent = t->cur_span, .fd = known ? (int32_t)index : -1,
			     .fdgen = known ? seq : 0, .op = (uint16_t)op, .type = TS_REC_SPAN,
			     .err = (int16_t)w->err, .aux = w->who};
	if (first)
		r->aux_kind |= TS_WAIT_ARROW;
	if (w->timeout_ms >= 0) {
		r->aux_kind |= TS_WAIT_TIMED;
		r->aux2 = w->timeout_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)w->timeout_ms;
	}
	ts_ring_commit(&t->ring, 1);
}

uint32_t ts_wake_begin(struct ts_thread *t, const void *addr)
{
	uint32_t span = t->next_span++;
	uint64_t word = ts_wake_pack(addr, t->index, span);
	if (word)
		ts_wake_publish(addr, word);
	return span;
}

void ts_record_wake(struct ts_thread *t, enum ts_op op, const void *addr, uint32_t span, int err,
		    uint64_t t0, uint64_t t1)
{
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	uint32_t waiters = atomic_load_explicit(&ts_wake_slot_of(addr)->waiters,
						memory_order_relaxed);
	*r = (struct ts_rec){.t0 = t0, .t1 = t1, .ret = err ? -1 : 0,
			     .arg = (uint64_t)(uintptr_t)addr, .span = span, .parent = t->cur_span,
			     .fd = -1, .op = (uint16_t)op, .type = TS_REC_SPAN, .err = (int16_t)err,
			     .aux = waiters};
	ts_ring_commit(&t->ring, 1);
}
