/* Condition variables, semaphores and joins: the waits, and the signals and
 * posts that end them (syncwrap.h). A condition wait always blocks (there
 * is no "try"), so it is timed whenever the caller is traced; a semaphore is
 * tried first, a thread's end too (pthread_tryjoin_np).
 *
 * These waits are cancellation points: a thread cancelled inside one
 * unwinds through the wrapper, which takes its count off the wake table
 * on the way (a cleanup handler), else every later release of an object of
 * that slot would take the slow path. */
#include "syncwrap.h"

#include <pthread.h>
#include <semaphore.h>

static void uncount(void *addr)
{
	uint32_t index, seq;
	bool first;
	ts_wake_leave(addr, 0, false, &index, &seq, &first);
}

/* The real call of a cancellable wait, between a cleanup handler's push
 * and pop; results go through *c (no local is written between the
 * handler's setjmp and its use). */
struct call {
	int kind;
	void *obj;
	pthread_mutex_t *m;
	clockid_t clock;
	const struct timespec *abs;
	int ret, err;
};
enum { COND_WAIT, COND_TIMEDWAIT, COND_CLOCKWAIT, SEM_WAIT, SEM_TIMEDWAIT, SEM_CLOCKWAIT };

static __attribute__((noinline)) void cancellable(struct call *c)
{
	const struct ts_sync_real *s = &ts_sync_real;
	pthread_cleanup_push(uncount, c->obj);
	switch (c->kind) {
	case COND_WAIT:
		c->ret = s->cond_wait(c->obj, c->m);
		break;
	case COND_TIMEDWAIT:
		c->ret = s->cond_timedwait(c->obj, c->m, c->abs);
		break;
	case COND_CLOCKWAIT:
		c->ret = s->cond_clockwait(c->obj, c->m, c->clock, c->abs);
		break;
	case SEM_WAIT:
		c->ret = s->sem_wait(c->obj);
		break;
	case SEM_TIMEDWAIT:
		c->ret = s->sem_timedwait(c->obj, c->abs);
		break;
	default:
		c->ret = s->sem_clockwait(c->obj, c->clock, c->abs);
		break;
	}
	c->err = errno;
	pthread_cleanup_pop(0);
}

/* The slow path of a cancellable wait of op by traced thread t: the result
 * as the real call gives it (sem_*: -1 and errno). */
static int wait_traced(struct ts_thread *t, enum ts_op op, struct call *c, int64_t timeout_ms,
		       bool sem)
{
	int saved = errno;
	struct ts_wait w = {.addr = c->obj, .counted = true, .timeout_ms = timeout_ms};
	uint64_t t0 = ts_ticks();
	w.before = ts_wake_enter(c->obj, t0);
	errno = saved;
	cancellable(c);
	uint64_t t1 = ts_ticks();
	w.err = sem ? (c->ret == -1 ? c->err : 0) : c->ret;
	ts_record_wait(t, op, &w, t0, t1);
	errno = c->err;
	return c->ret;
}

TS_EXPORT int pthread_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->cond_wait, 0))
		return ENOSYS;
	struct ts_thread *t = ts_sync_caller();
	if (!t)
		return s->cond_wait(cv, m);
	struct call c = {.kind = COND_WAIT, .obj = cv, .m = m};
	return wait_traced(t, TS_OP_COND_WAIT, &c, -1, false);
}

TS_EXPORT int pthread_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *m,
				     const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->cond_timedwait, 0))
		return ENOSYS;
	struct ts_thread *t = ts_abstime_ok(abs) ? ts_sync_caller() : NULL;
	if (!t)
		return s->cond_timedwait(cv, m, abs);
	/* The clock is the one the condition variable was made with. */
	clockid_t clock = CLOCK_REALTIME;
	if (__atomic_load_n(&cv->__data.__wrefs, __ATOMIC_RELAXED) & 2)   /* glibc: __PTHREAD_COND_CLOCK_MONOTONIC_MASK */
		clock = CLOCK_MONOTONIC;
	struct call c = {.kind = COND_TIMEDWAIT, .obj = cv, .m = m, .abs = abs};
	return wait_traced(t, TS_OP_COND_TIMEDWAIT, &c, ts_wait_timeout_ms(clock, abs), false);
}

TS_EXPORT int pthread_cond_clockwait(pthread_cond_t *cv, pthread_mutex_t *m, clockid_t clock,
				     const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->cond_clockwait, 0))
		return ENOSYS;
	struct ts_thread *t = ts_abstime_ok(abs) && ts_wait_clock_ok(clock) ? ts_sync_caller() : NULL;
	if (!t)
		return s->cond_clockwait(cv, m, clock, abs);
	struct call c = {.kind = COND_CLOCKWAIT, .obj = cv, .m = m, .clock = clock, .abs = abs};
	return wait_traced(t, TS_OP_COND_CLOCKWAIT, &c, ts_wait_timeout_ms(clock, abs), false);
}

static TS_SLOW int cond_signal_slow(const struct ts_sync_real *s, pthread_cond_t *cv)
{
	TS_RELEASE(TS_OP_COND_SIGNAL, cv, s->cond_signal(cv));
}

TS_EXPORT int pthread_cond_signal(pthread_cond_t *cv)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->cond_signal, 0))
		return ENOSYS;
	if (__builtin_expect(ts_wake_wanted(cv), 0))
		return cond_signal_slow(s, cv);
	return s->cond_signal(cv);
}

static TS_SLOW int cond_broadcast_slow(const struct ts_sync_real *s, pthread_cond_t *cv)
{
	TS_RELEASE(TS_OP_COND_BROADCAST, cv, s->cond_broadcast(cv));
}

TS_EXPORT int pthread_cond_broadcast(pthread_cond_t *cv)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->cond_broadcast, 0))
		return ENOSYS;
	if (__builtin_expect(ts_wake_wanted(cv), 0))
		return cond_broadcast_slow(s, cv);
	return s->cond_broadcast(cv);
}

/* sem_trywait's EAGAIN is "would block": errno is put back as it was. */
static inline bool sem_had(const struct ts_sync_real *s, sem_t *sem, int *ret)
{
	int saved = errno;
	*ret = s->sem_trywait(sem);
	if (*ret == 0 || errno != EAGAIN)
		return true;
	errno = saved;
	return false;
}

static TS_SLOW int sem_wait_slow(const struct ts_sync_real *s, sem_t *sem)
{
	struct ts_thread *t = ts_sync_caller();
	if (!t)
		return s->sem_wait(sem);
	struct call c = {.kind = SEM_WAIT, .obj = sem};
	return wait_traced(t, TS_OP_SEM_WAIT, &c, -1, true);
}

TS_EXPORT int sem_wait(sem_t *sem)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->sem_wait || !s->sem_trywait, 0)) {
		errno = ENOSYS;
		return -1;
	}
	int r;
	if (__builtin_expect(sem_had(s, sem, &r), 1))
		return r;
	return sem_wait_slow(s, sem);
}

TS_EXPORT int sem_timedwait(sem_t *sem, const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->sem_timedwait || !s->sem_trywait, 0)) {
		errno = ENOSYS;
		return -1;
	}
	int r;
	if (!ts_abstime_ok(abs))   /* EINVAL, even with a token to take */
		return s->sem_timedwait(sem, abs);
	if (__builtin_expect(sem_had(s, sem, &r), 1))
		return r;
	struct ts_thread *t = ts_sync_caller();
	if (!t)
		return s->sem_timedwait(sem, abs);
	struct call c = {.kind = SEM_TIMEDWAIT, .obj = sem, .abs = abs};
	return wait_traced(t, TS_OP_SEM_TIMEDWAIT, &c, ts_wait_timeout_ms(CLOCK_REALTIME, abs), true);
}

TS_EXPORT int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->sem_clockwait || !s->sem_trywait, 0)) {
		errno = ENOSYS;
		return -1;
	}
	int r;
	if (!ts_abstime_ok(abs) || !ts_wait_clock_ok(clock))
		return s->sem_clockwait(sem, clock, abs);
	if (__builtin_expect(sem_had(s, sem, &r), 1))
		return r;
	struct ts_thread *t = ts_sync_caller();
	if (!t)
		return s->sem_clockwait(sem, clock, abs);
	struct call c = {.kind = SEM_CLOCKWAIT, .obj = sem, .clock = clock, .abs = abs};
	return wait_traced(t, TS_OP_SEM_CLOCKWAIT, &c, ts_wait_timeout_ms(clock, abs), true);
}

static TS_SLOW int sem_post_slow(const struct ts_sync_real *s, sem_t *sem)
{
	TS_RELEASE(TS_OP_SEM_POST, sem, s->sem_post(sem));
}

TS_EXPORT int sem_post(sem_t *sem)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->sem_post, 0)) {
		errno = ENOSYS;
		return -1;
	}
	if (__builtin_expect(ts_wake_wanted(sem), 0))
		return sem_post_slow(s, sem);
	return s->sem_post(sem);
}
