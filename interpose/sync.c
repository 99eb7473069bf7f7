/* Locks: pthread_mutex_lock and its timed forms, the read-write locks, and
 * their unlocks. An uncontended lock is the trylock and nothing else; an
 * unlock with no traced waiter counted on its lock is one load more than
 * the real call (syncwrap.h). */
#include "syncwrap.h"

#include <pthread.h>

/* The real functions, looked up as the library loads, before any thread
 * the program starts can race for them. */
__attribute__((constructor)) static void sync_init(void)
{
	ts_sync_resolve();
}

/* The slow paths are out of line: the fast path, with nothing to keep
 * across the call, ends in a tail call of the real function. */
static TS_SLOW int mutex_lock_slow(const struct ts_sync_real *s, pthread_mutex_t *m)
{
	TS_WAIT_SLOW(TS_OP_MUTEX_LOCK, m, ts_mutex_owner(m), -1, s->mutex_lock(m));
}

TS_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->mutex_trylock || !s->mutex_lock, 0))
		return ENOSYS;
	/* Whatever the kind of mutex, trylock is what lock does when the
	 * lock is free or the caller may take it again (a recursive mutex's
	 * count, a robust mutex's EOWNERDEAD); EBUSY leaves the rest (an
	 * error-checking mutex's EDEADLK among it) to the real lock. */
	int r = s->mutex_trylock(m);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	return mutex_lock_slow(s, m);
}

TS_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->mutex_trylock || !s->mutex_timedlock, 0))
		return ENOSYS;
	if (!ts_abstime_ok(abs))
		return s->mutex_timedlock(m, abs);
	int r = s->mutex_trylock(m);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	TS_WAIT_SLOW(TS_OP_MUTEX_TIMEDLOCK, m, ts_mutex_owner(m),
		     ts_wait_timeout_ms(CLOCK_REALTIME, abs), s->mutex_timedlock(m, abs));
}

TS_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
				      const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->mutex_trylock || !s->mutex_clocklock, 0))
		return ENOSYS;
	if (!ts_abstime_ok(abs) || !ts_wait_clock_ok(clock))
		return s->mutex_clocklock(m, clock, abs);
	int r = s->mutex_trylock(m);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	TS_WAIT_SLOW(TS_OP_MUTEX_CLOCKLOCK, m, ts_mutex_owner(m), ts_wait_timeout_ms(clock, abs),
		     s->mutex_clocklock(m, clock, abs));
}

static TS_SLOW int mutex_unlock_slow(const struct ts_sync_real *s, pthread_mutex_t *m)
{
	TS_RELEASE(TS_OP_MUTEX_UNLOCK, m, s->mutex_unlock(m));
}

TS_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->mutex_unlock, 0))
		return ENOSYS;
	if (__builtin_expect(ts_wake_wanted(m), 0))
		return mutex_unlock_slow(s, m);
	return s->mutex_unlock(m);
}

/* The writer holding a read-write lock, as glibc keeps it (0: readers, or
 * none). */
static inline uint32_t rwlock_writer(const pthread_rwlock_t *l)
{
	return (uint32_t)__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED);
}

/* The try forms say EBUSY where the blocking ones would wait, and the same
 * as them otherwise (EDEADLK for a writer asking again is left to the real
 * call, which says it before trying). */
static TS_SLOW int rwlock_rdlock_slow(const struct ts_sync_real *s, pthread_rwlock_t *l)
{
	TS_WAIT_SLOW(TS_OP_RWLOCK_RDLOCK, l, rwlock_writer(l), -1, s->rwlock_rdlock(l));
}

TS_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_tryrdlock || !s->rwlock_rdlock, 0))
		return ENOSYS;
	int r = s->rwlock_tryrdlock(l);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	return rwlock_rdlock_slow(s, l);
}

static TS_SLOW int rwlock_wrlock_slow(const struct ts_sync_real *s, pthread_rwlock_t *l)
{
	TS_WAIT_SLOW(TS_OP_RWLOCK_WRLOCK, l, rwlock_writer(l), -1, s->rwlock_wrlock(l));
}

TS_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_trywrlock || !s->rwlock_wrlock, 0))
		return ENOSYS;
	int r = s->rwlock_trywrlock(l);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	return rwlock_wrlock_slow(s, l);
}

TS_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_tryrdlock || !s->rwlock_timedrdlock, 0))
		return ENOSYS;
	if (!ts_abstime_ok(abs))
		return s->rwlock_timedrdlock(l, abs);
	int r = s->rwlock_tryrdlock(l);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	TS_WAIT_SLOW(TS_OP_RWLOCK_TIMEDRDLOCK, l, rwlock_writer(l),
		     ts_wait_timeout_ms(CLOCK_REALTIME, abs), s->rwlock_timedrdlock(l, abs));
}

TS_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_trywrlock || !s->rwlock_timedwrlock, 0))
		return ENOSYS;
	if (!ts_abstime_ok(abs))
		return s->rwlock_timedwrlock(l, abs);
	int r = s->rwlock_trywrlock(l);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	TS_WAIT_SLOW(TS_OP_RWLOCK_TIMEDWRLOCK, l, rwlock_writer(l),
		     ts_wait_timeout_ms(CLOCK_REALTIME, abs), s->rwlock_timedwrlock(l, abs));
}

TS_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
					 const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_tryrdlock || !s->rwlock_clockrdlock, 0))
		return ENOSYS;
	if (!ts_abstime_ok(abs) || !ts_wait_clock_ok(clock))
		return s->rwlock_clockrdlock(l, clock, abs);
	int r = s->rwlock_tryrdlock(l);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	TS_WAIT_SLOW(TS_OP_RWLOCK_CLOCKRDLOCK, l, rwlock_writer(l), ts_wait_timeout_ms(clock, abs),
		     s->rwlock_clockrdlock(l, clock, abs));
}

TS_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
					 const struct timespec *abs)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_trywrlock || !s->rwlock_clockwrlock, 0))
		return ENOSYS;
	if (!ts_abstime_ok(abs) || !ts_wait_clock_ok(clock))
		return s->rwlock_clockwrlock(l, clock, abs);
	int r = s->rwlock_trywrlock(l);
	if (__builtin_expect(r != EBUSY, 1))
		return r;
	TS_WAIT_SLOW(TS_OP_RWLOCK_CLOCKWRLOCK, l, rwlock_writer(l), ts_wait_timeout_ms(clock, abs),
		     s->rwlock_clockwrlock(l, clock, abs));
}

static TS_SLOW int rwlock_unlock_slow(const struct ts_sync_real *s, pthread_rwlock_t *l)
{
	TS_RELEASE(TS_OP_RWLOCK_UNLOCK, l, s->rwlock_unlock(l));
}

TS_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	const struct ts_sync_real *s = ts_sync();
	if (__builtin_expect(!s->rwlock_unlock, 0))
		return ENOSYS;
	if (__builtin_expect(ts_wake_wanted(l), 0))
		return rwlock_unlock_slow(s, l);
	return s->rwlock_unlock(l);
}
