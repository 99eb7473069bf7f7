/* The real synchronisation functions behind the shim's wrappers of them
 * (interpose/sync.c, interpose/syncwait.c), and the shim's own locking.
 *
 * The library is not linked with -Bsymbolic and exports pthread_mutex_lock
 * and friends, so a call the shim's own code makes to pthread_mutex_lock
 * would bind to its wrapper. The shim's threads are muted (never traced) and
 * would go straight through it, but the shim also locks on the program's
 * threads (around fork, in system() and popen()): that code calls
 * ts_own_lock(), which goes to the real function, never to a wrapper, so the
 * shim's own waits never become spans of the program. */
#ifndef TS_SYNCREAL_H
#define TS_SYNCREAL_H

#include <pthread.h>
#include <semaphore.h>
#include <time.h>

struct ts_sync_real {
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
	int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*rwlock_rdlock)(pthread_rwlock_t *);
	int (*rwlock_wrlock)(pthread_rwlock_t *);
	int (*rwlock_tryrdlock)(pthread_rwlock_t *);
	int (*rwlock_trywrlock)(pthread_rwlock_t *);
	int (*rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
	int (*rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
	int (*rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*rwlock_unlock)(pthread_rwlock_t *);
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*cond_signal)(pthread_cond_t *);
	int (*cond_broadcast)(pthread_cond_t *);
	int (*sem_wait)(sem_t *);
	int (*sem_trywait)(sem_t *);
	int (*sem_timedwait)(sem_t *, const struct timespec *);
	int (*sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
	int (*sem_post)(sem_t *);
	int (*join)(pthread_t, void **);
	int (*tryjoin)(pthread_t, void **);
	int (*timedjoin)(pthread_t, void **, const struct timespec *);
	int (*clockjoin)(pthread_t, void **, clockid_t, const struct timespec *);
	int ready;   /* every pointer above was looked up (those found are set) */
};

extern struct ts_sync_real ts_sync_real;

/* Looks every function up (at load time, and by a wrapper that runs first).
 * Functions this C library lacks stay NULL. */
void ts_sync_resolve(void);

static inline const struct ts_sync_real *ts_sync(void)
{
	if (__builtin_expect(!__atomic_load_n(&ts_sync_real.ready, __ATOMIC_ACQUIRE), 0))
		ts_sync_resolve();
	return &ts_sync_real;
}

/* The shim's own mutexes (see above). */
static inline void ts_own_lock(pthread_mutex_t *m)
{
	const struct ts_sync_real *r = ts_sync();
	(void)(r->mutex_lock ? r->mutex_lock(m) : 0);
}

static inline void ts_own_unlock(pthread_mutex_t *m)
{
	const struct ts_sync_real *r = ts_sync();
	(void)(r->mutex_unlock ? r->mutex_unlock(m) : 0);
}

#endif
