/* Who woke a waiting thread: a fixed table of the process, slots chosen by the
 * address of what is waited on (a mutex, condition variable, semaphore,
 * read-write lock). A thread about to block on an object counts itself in
 * the object's slot; a release (unlock, signal, post) on an object whose slot
 * counts a waiter stores "thread index, span number" of its own span in the
 * slot before it calls the real function, and the waiter, once woken, reads
 * it back: that span is what woke it (an arrow in the trace). A release with
 * no waiter counted pays one load and nothing else.
 *
 * Best effort, never wrong in a way that matters: addresses sharing a slot
 * are told apart by check bits; a release racing the waiter's count, or made
 * by an untraced thread, leaves the arrow out. Lock-free and signal-safe. */
#ifndef TS_WAKE_H
#define TS_WAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TS_WAKE_BITS 12
#define TS_WAKE_SLOTS (1u << TS_WAKE_BITS)
/* The packed word: check bits of the address, a bit set by the first
 * waiter that read it (the arrow is its own: a broadcast wakes several), the
 * releasing thread's index and its span number. A thread whose index does
 * not fit makes no arrow. */
#define TS_WAKE_CHECK_BITS 11
#define TS_WAKE_CLAIMED (1ull << 52)
#define TS_WAKE_INDEX_BITS 20

struct ts_wake_slot {
	_Atomic uint32_t waiters;   /* threads counted as blocked on an object of this slot */
	uint32_t pad_;
	_Atomic uint64_t last;      /* the last release's packed word; 0: none */
	_Atomic uint64_t since;     /* ticks: when the latest waiter counted began */
	uint64_t pad2_;
};

extern struct ts_wake_slot ts_wake_table[TS_WAKE_SLOTS];
extern _Atomic bool ts_wake_used;   /* a waiter was ever counted */

static inline uint64_t ts_wake_hash(const void *addr)
{
	return (uint64_t)(uintptr_t)addr * 0x9e3779b97f4a7c15ull;
}

static inline struct ts_wake_slot *ts_wake_slot_of(const void *addr)
{
	return &ts_wake_table[ts_wake_hash(addr) >> (64 - TS_WAKE_BITS)];
}

/* The bits below those that chose the slot. */
static inline uint64_t ts_wake_check(const void *addr)
{
	return (ts_wake_hash(addr) >> (64 - TS_WAKE_BITS - TS_WAKE_CHECK_BITS)) &
	       ((1u << TS_WAKE_CHECK_BITS) - 1);
}

/* The releaser's test: a traced thread may be blocked on addr (or on an
 * object sharing its slot). One relaxed load. */
static inline bool ts_wake_wanted(const void *addr)
{
	return atomic_load_explicit(&ts_wake_slot_of(addr)->waiters, memory_order_relaxed) != 0;
}

/* Packs a release of addr by span `seq` of thread `index`; 0 when the index
 * does not fit. Never 0 otherwise (span numbers start at 1). */
static inline uint64_t ts_wake_pack(const void *addr, uint32_t index, uint32_t seq)
{
	if (index >> TS_WAKE_INDEX_BITS || !seq)
		return 0;
	return ts_wake_check(addr) << (64 - TS_WAKE_CHECK_BITS) | (uint64_t)index << 32 | seq;
}

/* A release of addr that made no span (its waiter had not waited long
 * enough to make one, or the releasing thread is not traced): published all
 * the same, so that a waiter it wakes does not take an earlier release for
 * its own. */
static inline uint64_t ts_wake_pack_none(const void *addr)
{
	return ts_wake_check(addr) << (64 - TS_WAKE_CHECK_BITS);
}

/* The release in `word` is one of addr, with a span: its thread index and
 * span number. */
static inline bool ts_wake_unpack(const void *addr, uint64_t word, uint32_t *index, uint32_t *seq)
{
	if (!(uint32_t)word || word >> (64 - TS_WAKE_CHECK_BITS) != ts_wake_check(addr))
		return false;
	*index = (uint32_t)(word >> 32) & ((1u << TS_WAKE_INDEX_BITS) - 1);
	*seq = (uint32_t)word;
	return true;
}

/* Releaser: publishes its release of addr before calling the real function
 * (whose wake-up the waiter's read follows). */
static inline void ts_wake_publish(const void *addr, uint64_t word)
{
	atomic_store_explicit(&ts_wake_slot_of(addr)->last, word, memory_order_release);
}

/* Waiter: counts itself on addr before blocking, from `now` (ticks), and
 * returns the slot's word as it was then (a release stored before the wait
 * is not what woke it). */
static inline uint64_t ts_wake_enter(const void *addr, uint64_t now)
{
	struct ts_wake_slot *s = ts_wake_slot_of(addr);
	if (!atomic_load_explicit(&ts_wake_used, memory_order_relaxed))
		atomic_store_explicit(&ts_wake_used, true, memory_order_relaxed);
	atomic_store_explicit(&s->since, now, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->waiters, 1, memory_order_seq_cst);
	return atomic_load_explicit(&s->last, memory_order_acquire);
}

/* Releaser: the waiters on addr's slot have waited `min` ticks by `now`
 * (the latest of them has), so that the wait a release ends is a span too.
 * A release that ends shorter waits makes none: a lock handed over every
 * few microseconds among threads that wait briefly would otherwise be a
 * span per unlock, with no wait span to point to. Dating the slot by its
 * latest waiter errs towards no arrow: an old waiter woken while a new one
 * has just begun to wait gets none. */
static inline bool ts_wake_due(const void *addr, uint64_t now, uint64_t min)
{
	return now - atomic_load_explicit(&ts_wake_slot_of(addr)->since, memory_order_relaxed) >= min;
}

/* A release of addr with a span that no waiter has found yet: the waiters
 * it woke may not have run yet. A release made meanwhile (a thread that
 * took the lock again at once and let it go) makes no span and leaves the
 * word alone: the waiter will find the release that woke it. */
static inline bool ts_wake_pending(const void *addr, uint64_t word)
{
	return (uint32_t)word && !(word & TS_WAKE_CLAIMED) &&
	       word >> (64 - TS_WAKE_CHECK_BITS) == ts_wake_check(addr);
}

static inline uint64_t ts_wake_last(const void *addr)
{
	return atomic_load_explicit(&ts_wake_slot_of(addr)->last, memory_order_acquire);
}

/* Waiter, after the wait: no longer counted. With `before`, ts_wake_enter's
 * word, and woken (the wait did not time out or fail): finds the release
 * that woke it; false when not known. *first: this waiter is the first to
 * have found that release (the others it woke link to it too, but one
 * arrow ends its flow). The last waiter to leave marks any release still
 * unfound as found: nobody is left to find it. */
static inline bool ts_wake_leave(const void *addr, uint64_t before, bool woken, uint32_t *index,
				 uint32_t *seq, bool *first)
{
	struct ts_wake_slot *s = ts_wake_slot_of(addr);
	uint64_t word = atomic_load_explicit(&s->last, memory_order_acquire);
	uint32_t was = atomic_fetch_sub_explicit(&s->waiters, 1, memory_order_relaxed);
	bool found = woken && (word & ~TS_WAKE_CLAIMED) != (before & ~TS_WAKE_CLAIMED) &&
		     ts_wake_unpack(addr, word, index, seq);
	bool claim = (uint32_t)word && !(word & TS_WAKE_CLAIMED) && (found || was == 1);
	bool won = claim && atomic_compare_exchange_strong_explicit(
		&s->last, &word, word | TS_WAKE_CLAIMED, memory_order_relaxed, memory_order_relaxed);
	*first = found && won;
	return found;
}

/* Child after fork: the parent's other threads are not waiting here. */
void ts_wake_after_fork(void);

/* TRACESHIM_WAIT_MIN_US in ticks (ts_ticks()), worked out once the tick
 * rate can be measured. */
uint64_t ts_wait_min_ticks_slow(void);
extern _Atomic uint64_t ts_wait_min_ticks_plus1;
static inline uint64_t ts_wait_min_ticks(void)
{
	uint64_t v = atomic_load_explicit(&ts_wait_min_ticks_plus1, memory_order_relaxed);
	return v ? v - 1 : ts_wait_min_ticks_slow();
}

#endif
