/* Finding the real synchronisation functions (syncreal.h). */
#include "syncreal.h"

#include "resolve.h"

#include <dlfcn.h>

struct ts_sync_real ts_sync_real;

/* pthread_cond_* exist twice in glibc on x86_64 (and other ports as old):
 * GLIBC_2.2.5, the implementation of LinuxThreads days, kept for binaries
 * linked then, and GLIBC_2.3.2, the default every program built since links
 * against. The condition variables the program initialises are the new
 * kind, so the new functions must be called: asked for by version first;
 * ports that never had the old ones have no such version, and take the only
 * definition there is. */
static void *cond_fn(const char *name)
{
	void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
	return p ? p : ts_resolve(name, NULL);
}

#define SET(field, p) __atomic_store_n(&ts_sync_real.field, (__typeof__(ts_sync_real.field))(p), \
				       __ATOMIC_RELAXED)

void ts_sync_resolve(void)
{
	SET(mutex_lock, ts_resolve("pthread_mutex_lock", NULL));
	SET(mutex_trylock, ts_resolve("pthread_mutex_trylock", NULL));
	SET(mutex_timedlock, ts_resolve("pthread_mutex_timedlock", NULL));
	SET(mutex_clocklock, ts_resolve("pthread_mutex_clocklock", NULL));
	SET(mutex_unlock, ts_resolve("pthread_mutex_unlock", NULL));
	SET(rwlock_rdlock, ts_resolve("pthread_rwlock_rdlock", NULL));
	SET(rwlock_wrlock, ts_resolve("pthread_rwlock_wrlock", NULL));
	SET(rwlock_tryrdlock, ts_resolve("pthread_rwlock_tryrdlock", NULL));
	SET(rwlock_trywrlock, ts_resolve("pthread_rwlock_trywrlock", NULL));
	SET(rwlock_timedrdlock, ts_resolve("pthread_rwlock_timedrdlock", NULL));
	SET(rwlock_timedwrlock, ts_resolve("pthread_rwlock_timedwrlock", NULL));
	SET(rwlock_clockrdlock, ts_resolve("pthread_rwlock_clockrdlock", NULL));
	SET(rwlock_clockwrlock, ts_resolve("pthread_rwlock_clockwrlock", NULL));
	SET(rwlock_unlock, ts_resolve("pthread_rwlock_unlock", NULL));
	SET(cond_wait, cond_fn("pthread_cond_wait"));
	SET(cond_timedwait, cond_fn("pthread_cond_timedwait"));
	SET(cond_clockwait, ts_resolve("pthread_cond_clockwait", NULL));   /* never had an old one */
	SET(cond_signal, cond_fn("pthread_cond_signal"));
	SET(cond_broadcast, cond_fn("pthread_cond_broadcast"));
	SET(sem_wait, ts_resolve("sem_wait", NULL));
	SET(sem_trywait, ts_resolve("sem_trywait", NULL));
	SET(sem_timedwait, ts_resolve("sem_timedwait", NULL));
	SET(sem_clockwait, ts_resolve("sem_clockwait", NULL));
	SET(sem_post, ts_resolve("sem_post", NULL));
	SET(join, ts_resolve("pthread_join", NULL));
	SET(tryjoin, ts_resolve("pthread_tryjoin_np", NULL));
	SET(timedjoin, ts_resolve("pthread_timedjoin_np", NULL));
	SET(clockjoin, ts_resolve("pthread_clockjoin_np", NULL));
	__atomic_store_n(&ts_sync_real.ready, 1, __ATOMIC_RELEASE);
}
