/* What the wrappers of blocking waits (sync.c, syncwait.c, join.c) share: the slow
 * path that times a wait which could not be had at once, and the release
 * that may wake a traced waiter.
 *
 * The fast path, in each wrapper, is the try form of the call (trylock,
 * sem_trywait, pthread_tryjoin_np): what it returns is returned as is unless
 * it says the call would block (a condition wait has none: it always
 * blocks). Only then do these run: the caller is looked
 * up, the wait counted in the wake table (record/wake.h) and timed, and a
 * span made when it lasted TRACESHIM_WAIT_MIN_US or more. Untraced threads
 * (the shim's own among them) and TRACESHIM_TRACE=-wait call straight
 * through. Results and errno are the real call's. */
#ifndef TS_SYNCWRAP_H
#define TS_SYNCWRAP_H

#include "recordwait.h"
#include "syncreal.h"
#include "wake.h"
#include "wrap.h"

#include <pthread.h>

/* A wrapper's slow path: out of line, so that the fast path keeps no
 * register across its call and ends in a tail call. */
#define TS_SLOW __attribute__((noinline, cold))

/* The traced caller of a wait or a release, or NULL to call straight
 * through. Keeps errno. */
static inline struct ts_thread *ts_sync_caller(void)
{
	int saved = errno;
	struct ts_thread *t = ts_caller();
	if (t && ts_family_off(TS_FAM_WAIT))
		t = NULL;
	errno = saved;
	return t;
}

/* The owner of a mutex as glibc keeps it (its kernel tid; 0 when none). A
 * racy read: the owner may change as it is read, which only dates it. */
static inline uint32_t ts_mutex_owner(const pthread_mutex_t *m)
{
	return (uint32_t)__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
}

/* Times `call`, a real blocking call that returns an error number (0: had
 * it), as a wait of op by traced thread t described by w (a struct ts_wait
 * variable; counted in the wake table when w.counted), and returns what it
 * returned. Keeps errno. */
#define TS_WAIT_TIMED(t, op, w, call)                                                  \
	do {                                                                             \
		int saved_ = errno;                                                      \
		uint64_t t0_ = ts_ticks();                                               \
		if ((w).counted)                                                         \
			(w).before = ts_wake_enter((w).addr, t0_);                       \
		errno = saved_;                                                          \
		int r_ = call;                                                           \
		uint64_t t1_ = ts_ticks();                                               \
		saved_ = errno;                                                          \
		(w).err = r_;                                                            \
		ts_record_wait(t, op, &(w), t0_, t1_);                                   \
		errno = saved_;                                                          \
		return r_;                                                               \
	} while (0)

/* The slow path of a wait of op on obj: `call` is the real blocking call,
 * made once. who: the owner's tid, or 0; timeout_ms: -1 when untimed. */
#define TS_WAIT_SLOW(op, obj, who_, timeout_, call)                                     \
	do {                                                                             \
		struct ts_thread *t_ = ts_sync_caller();                                   \
		if (!t_)                                                                 \
			return call;                                                     \
		struct ts_wait w_ = {.addr = (obj), .counted = true, .who = (who_),        \
				     .timeout_ms = (timeout_)};                            \
		TS_WAIT_TIMED(t_, op, w_, call);                                         \
	} while (0)

/* A release of obj by op (`call`, the real function, returns an error
 * number): when a traced thread has been waiting on obj for the wait
 * threshold, the release is a span whose number is published first, for the
 * waiter to point at; else that the release made none is. Nothing while an
 * earlier release is still to be found by the waiters it woke. */
#define TS_RELEASE(op, obj, call)                                                        \
	do {                                                                             \
		if (__builtin_expect(!ts_wake_wanted(obj), 1))                           \
			return call;                                                     \
		struct ts_thread *t_ = ts_sync_caller();                                   \
		uint64_t t0_ = ts_ticks();                                               \
		if (ts_wake_pending(obj, ts_wake_last(obj)))                             \
			return call;                                                     \
		if (!t_ || !ts_wake_due(obj, t0_, ts_wait_min_ticks())) {                \
			ts_wake_publish(obj, ts_wake_pack_none(obj));                    \
			return call;                                                     \
		}                                                                        \
		uint32_t span_ = ts_wake_begin(t_, obj);                                 \
		int r_ = call;                                                           \
		uint64_t t1_ = ts_ticks();                                               \
		int saved_ = errno;                                                      \
		ts_record_wake(t_, op, obj, span_, r_ == -1 ? saved_ : r_, t0_, t1_);    \
		errno = saved_;                                                          \
		return r_;                                                               \
	} while (0)

/* A timeout is well formed (else the real call is made straight away: it
 * says EINVAL, perhaps before trying, and the fast path must not differ). */
static inline bool ts_abstime_ok(const struct timespec *abs)
{
	return abs && abs->tv_nsec >= 0 && abs->tv_nsec < 1000000000L;
}

/* The clocks glibc's clock* waits accept; any other is EINVAL before trying. */
static inline bool ts_wait_clock_ok(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC;
}

#endif
