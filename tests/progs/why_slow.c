/* why_slow: target program for the waits and CPU tests.
 *
 * The scenario a "why was it slow" trace has to explain, in three steps:
 *   1. thread B (named "holder") holds a mutex for 60 ms while the main
 *      thread waits for it;
 *   2. B then signals a condition variable the main thread waits about 60 ms
 *      on;
 *   3. the main thread polls an empty pipe for 60 ms while B spins on the
 *      CPU for 100 ms.
 * The trace should show each wait on the main thread, who held the mutex,
 * arrows from B's unlock and signal into the waits they ended, and how much
 * CPU each thread used.
 *
 * Usage: why_slow
 * Output: "holder <tid of B>" then "ok"; exit status 0 (1 when a wait was
 * shorter than it must have been, which would make the test meaningless).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static atomic_int holding, spinning;
static atomic_long holder_tid;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *holder(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "holder");
	atomic_store(&holder_tid, (long)syscall(SYS_gettid));
	pthread_mutex_lock(&held);
	atomic_store(&holding, 1);
	sleep_ms(60);
	pthread_mutex_unlock(&held);   /* ends the main thread's mutex wait */

	sleep_ms(60);
	pthread_mutex_lock(&cond_lock);
	ready = 1;
	pthread_cond_signal(&cond);    /* ends its condition wait */
	pthread_mutex_unlock(&cond_lock);

	atomic_store(&spinning, 1);
	volatile unsigned long sink = 0;
	double end = now_ms() + 100;
	while (now_ms() < end)
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i;
	return NULL;
}

int main(void)
{
	pthread_t b;
	if (pthread_create(&b, NULL, holder, NULL) != 0)
		return 2;
	while (!atomic_load(&holding))
		sched_yield();

	double t0 = now_ms();
	pthread_mutex_lock(&held);     /* 1: about 60 ms */
	double waited_mutex = now_ms() - t0;
	pthread_mutex_unlock(&held);

	t0 = now_ms();
	pthread_mutex_lock(&cond_lock);
	while (!ready)
		pthread_cond_wait(&cond, &cond_lock);   /* 2: about 60 ms */
	pthread_mutex_unlock(&cond_lock);
	double waited_cond = now_ms() - t0;

	while (!atomic_load(&spinning))
		sched_yield();
	int fds[2];
	if (pipe(fds) != 0)
		return 2;
	struct pollfd p = {.fd = fds[0], .events = POLLIN};
	t0 = now_ms();
	int r = poll(&p, 1, 60);       /* 3: times out after 60 ms */
	double waited_poll = now_ms() - t0;
	pthread_join(b, NULL);
	close(fds[0]);
	close(fds[1]);

	printf("holder %ld\n", atomic_load(&holder_tid));
	if (r != 0 || waited_mutex < 50 || waited_cond < 50 || waited_poll < 50) {
		printf("short waits: mutex %.1f ms, condition %.1f ms, poll %.1f ms (%d)\n",
		       waited_mutex, waited_cond, waited_poll, r);
		return 1;
	}
	printf("ok\n");
	return 0;
}
