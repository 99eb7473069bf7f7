/* pthread_join and its timed forms as waits (family wait): tried first with
 * pthread_tryjoin_np, which gives what the join would (EINVAL for a
 * detached thread, EDEADLK for the caller itself) except EBUSY for a thread
 * still running; only then is the join timed. The span names the joined
 * thread's tid and links to its thread span, whose end is what it waited
 * for. */
#include "syncwrap.h"

#include <pthread.h>

/* The traced thread with this handle: a live one, else one whose span has
 * ended but whose slot is not yet given back (it is still exiting). */
static struct ts_thread *thread_of(pthread_t th)
{
	struct ts_thread *ended = NULL;
	for (int i = 0; i < TS_MAX_THREADS; i++) {
		struct ts_thread *t = atomic_load_explicit(&ts_threads[i], memory_order_acquire);
		if (!t)
			continue;
		/* The state first: a slot being registered by another thread
		 * has its identity written before it is LIVE (thread.c). */
		int state = atomic_load_explicit(&t->state, memory_order_acquire);
		if ((state != TS_SLOT_LIVE && state != TS_SLOT_DEAD) ||
		    __atomic_load_n(&t->foreign, __ATOMIC_RELAXED) ||
		    !pthread_equal(__atomic_load_n(&t->handle, __ATOMIC_RELAXED), th))
			continue;
		if (state == TS_SLOT_LIVE)
			return t;
		ended = t;
	}
	return ended;
}

/* A join that blocked: `call` is the real join. Not in the wake table: its
 * end is the joined thread's, found by the link to that thread's span. */
#define JOIN_SLOW(op, th, timeout_, call)                                                \
	do {                                                                             \
		struct ts_thread *t_ = ts_sync_caller();                                   \
		if (!t_)                                                                 \
			return call;                                                     \
		int saved_ = errno;                                                      \
		struct ts_thread *joined_ = thread_of(th);                               \
		errno = saved_;                                                          \
		struct ts_wait w_ = {.addr = NULL, .timeout_ms = (timeout_)};              \
		if (joined_) {                                                           \
			w_.who = (uint32_t)joined_->tid;                                 \
			w_.joined_index = joined_->index;                                \
		}                                                                        \
		TS_WAIT_TIMED(t_, op, w_, call);                                         \
	} while (0)

TS_EXPORT int pthread_join(pthread_t th, void **ret)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->join || !s->tryjoin, 0))
		return ENOSYS;
	int r = s->tryjoin(th, ret);
	if (r != EBUSY)
		return r;
	JOIN_SLOW(TS_OP_PTHREAD_JOIN, th, -1, s->join(th, ret));
}

TS_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->timedjoin || !s->tryjoin, 0))
		return ENOSYS;
	/* A NULL timeout waits for ever; a bad one is the real call's to judge. */
	if (abs && !ts_abstime_ok(abs))
		return s->timedjoin(th, ret, abs);
	int r = s->tryjoin(th, ret);
	if (r != EBUSY)
		return r;
	JOIN_SLOW(TS_OP_PTHREAD_TIMEDJOIN, th, ts_wait_timeout_ms(CLOCK_REALTIME, abs),
		  s->timedjoin(th, ret, abs));
}

TS_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clock,
				   const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->clockjoin || !s->tryjoin, 0))
		return ENOSYS;
	if ((abs && !ts_abstime_ok(abs)) || !ts_wait_clock_ok(clock))
		return s->clockjoin(th, ret, clock, abs);
	int r = s->tryjoin(th, ret);
	if (r != EBUSY)
		return r;
	JOIN_SLOW(TS_OP_PTHREAD_CLOCKJOIN, th, ts_wait_timeout_ms(clock, abs),
		  s->clockjoin(th, ret, clock, abs));
}
