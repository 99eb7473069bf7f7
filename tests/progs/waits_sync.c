/* Blocking waits on synchronisation objects, for the wait spans and their
 * wake-up arrows (tests/integration/test_waits_sync.py). Modes:
 *   handoff  thread B holds a mutex 60 ms while main waits for it, then
 *            signals a condition variable main waits about 60 ms on; prints
 *            "b_tid=N" (B's kernel tid)
 *   loop N   N uncontended lock/unlock pairs (no wait span expected)
 *   results  every outcome the wrappers must keep: error-checking,
 *            recursive, robust and timed mutexes, semaphores, joins; prints
 *            one "name=result errno" line each, compared with and without
 *            the shim */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready, signalled;
static pid_t b_tid;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void *holder(void *arg)
{
	(void)arg;
	b_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&m);
	pthread_mutex_lock(&cm);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&cm);
	sleep_ms(60);
	pthread_mutex_unlock(&m);
	sleep_ms(10);   /* main is now waiting on the condition */
	sleep_ms(60);
	pthread_mutex_lock(&cm);
	signalled = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&cm);
	return NULL;
}

static int handoff(void)
{
	pthread_t b;
	if (pthread_create(&b, NULL, holder, NULL) != 0)
		return 1;
	pthread_mutex_lock(&cm);
	while (!ready)
		pthread_cond_wait(&cv, &cm);
	pthread_mutex_unlock(&cm);
	pthread_mutex_lock(&m);   /* B holds it for 60 ms */
	pthread_mutex_unlock(&m);
	pthread_mutex_lock(&cm);
	while (!signalled)
		pthread_cond_wait(&cv, &cm);   /* B signals after about 60 ms */
	pthread_mutex_unlock(&cm);
	pthread_join(b, NULL);
	printf("b_tid=%d\n", (int)b_tid);
	return 0;
}

static int loop(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	printf("looped=%ld\n", n);
	return 0;
}

static void show(const char *name, int r)
{
	/* Error-number results are printed by name: the same on both runs. */
	printf("%s=%s\n", name, r ? strerror(r) : "0");
}

static void show_errno(const char *name, int r)
{
	printf("%s=%d %s\n", name, r, r ? strerror(errno) : "-");
}

static void *die_holding(void *arg)
{
	pthread_mutex_lock(arg);
	return NULL;   /* ends owning a robust mutex */
}

static void *exit_soon(void *arg)
{
	(void)arg;
	sleep_ms(30);
	return (void *)42;
}

/* Blocks in a cancellable wait until cancelled (the cleanup of the
 * wrapper runs as the thread unwinds). */
static sem_t never;
static void *wait_sem(void *arg)
{
	(void)arg;
	sem_wait(&never);
	return NULL;
}

static void *wait_cond(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cm);
	for (;;)
		pthread_cond_wait(&cv, &cm);
	return NULL;
}

static void unlock_cm(void *arg)
{
	(void)arg;
	pthread_mutex_unlock(&cm);
}

static void *wait_cond_cleanly(void *arg)
{
	void *r;
	pthread_cleanup_push(unlock_cm, NULL);
	r = wait_cond(arg);
	pthread_cleanup_pop(1);
	return r;
}

static int results(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t ec, rec, rob;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec, &a);
	show("errorcheck.lock", pthread_mutex_lock(&ec));
	show("errorcheck.relock", pthread_mutex_lock(&ec));
	show("errorcheck.unlock", pthread_mutex_unlock(&ec));
	show("errorcheck.unlock_again", pthread_mutex_unlock(&ec));
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &a);
	show("recursive.lock", pthread_mutex_lock(&rec));
	show("recursive.relock", pthread_mutex_lock(&rec));
	show("recursive.unlock1", pthread_mutex_unlock(&rec));
	show("recursive.unlock2", pthread_mutex_unlock(&rec));
	show("recursive.unlock3", pthread_mutex_unlock(&rec));
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&rob, &a);
	pthread_t th;
	pthread_create(&th, NULL, die_holding, &rob);
	pthread_join(th, NULL);
	show("robust.lock", pthread_mutex_lock(&rob));
	show("robust.consistent", pthread_mutex_consistent(&rob));
	show("robust.unlock", pthread_mutex_unlock(&rob));
	pthread_mutexattr_destroy(&a);

	/* Timed: a lock held by another thread times out; a bad timeout is
	 * EINVAL only when the lock is taken. */
	pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
	pthread_create(&th, NULL, die_holding, &held);   /* a normal mutex stays locked */
	pthread_join(th, NULL);
	struct timespec when;
	clock_gettime(CLOCK_REALTIME, &when);
	when.tv_nsec += 20000000L;
	if (when.tv_nsec >= 1000000000L) {
		when.tv_sec++;
		when.tv_nsec -= 1000000000L;
	}
	show("timedlock.held", pthread_mutex_timedlock(&held, &when));
	struct timespec bad = {when.tv_sec, 2000000000L};
	show("timedlock.held_bad", pthread_mutex_timedlock(&held, &bad));
	pthread_mutex_t free_m = PTHREAD_MUTEX_INITIALIZER;
	show("timedlock.free_bad", pthread_mutex_timedlock(&free_m, &bad));
	show("clocklock.bad_clock", pthread_mutex_clocklock(&free_m, CLOCK_PROCESS_CPUTIME_ID, &when));
	show("timedlock.free", pthread_mutex_timedlock(&free_m, &when));
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	show("rwlock.wrlock", pthread_rwlock_wrlock(&rw));
	show("rwlock.rdlock_own", pthread_rwlock_rdlock(&rw));
	show("rwlock.wrlock_own", pthread_rwlock_wrlock(&rw));
	show("rwlock.unlock", pthread_rwlock_unlock(&rw));

	sem_t sem;
	sem_init(&sem, 0, 1);
	errno = 0;
	show_errno("sem.timedwait_bad", sem_timedwait(&sem, &bad));
	show_errno("sem.clockwait_bad_clock", sem_clockwait(&sem, CLOCK_PROCESS_CPUTIME_ID, &when));
	show_errno("sem.wait", sem_wait(&sem));
	clock_gettime(CLOCK_REALTIME, &when);
	when.tv_nsec += 20000000L;
	if (when.tv_nsec >= 1000000000L) {
		when.tv_sec++;
		when.tv_nsec -= 1000000000L;
	}
	errno = 0;
	show_errno("sem.timedwait_empty", sem_timedwait(&sem, &when));
	errno = 1234;   /* a try that would block must not change errno */
	sem_post(&sem);
	show_errno("sem.wait_again", sem_wait(&sem));
	printf("sem.errno_kept=%d\n", errno);

	pthread_create(&th, NULL, exit_soon, NULL);
	void *ret = NULL;
	show("join.self", pthread_join(pthread_self(), NULL));
	show("join.waited", pthread_join(th, &ret));
	printf("join.value=%ld\n", (long)ret);
	pthread_attr_t da;
	pthread_attr_init(&da);
	pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
	pthread_create(&th, &da, exit_soon, NULL);
	show("join.detached", pthread_join(th, NULL));
	pthread_attr_destroy(&da);
	sleep_ms(50);   /* the detached thread ends */

	/* Cancelled while blocked in sem_wait and pthread_cond_wait. */
	sem_init(&never, 0, 0);
	pthread_t ca, cb;
	pthread_create(&ca, NULL, wait_sem, NULL);
	pthread_create(&cb, NULL, wait_cond_cleanly, NULL);
	sleep_ms(30);
	pthread_cancel(ca);
	pthread_cancel(cb);
	void *ra = NULL, *rb = NULL;
	pthread_join(ca, &ra);
	pthread_join(cb, &rb);
	printf("cancel.sem=%s\n", ra == PTHREAD_CANCELED ? "canceled" : "not canceled");
	printf("cancel.cond=%s\n", rb == PTHREAD_CANCELED ? "canceled" : "not canceled");
	show("cancel.mutex_free", pthread_mutex_trylock(&cm));
	pthread_mutex_unlock(&cm);
	/* Nobody waits now: these make no span (the cancelled waits were
	 * taken off the count). */
	pthread_cond_signal(&cv);
	sem_post(&never);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "handoff"))
		return handoff();
	if (argc >= 3 && !strcmp(argv[1], "loop"))
		return loop(atol(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "results"))
		return results();
	fprintf(stderr, "usage: waits_sync handoff | loop N | results\n");
	return 2;
}
