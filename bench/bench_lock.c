/* bench_lock: what a tracer adds to locking, uncontended and blocked.
 *
 * Usage: bench_lock pair N     N pthread_mutex_lock/unlock pairs on a free
 *                              mutex (the fast path); prints ns per pair
 *        bench_lock handoff N  two threads take turns through a mutex and a
 *                              condition variable, N handoffs each way:
 *                              every one a blocked wait and a wake-up;
 *                              prints ns per handoff
 * A second, idle thread runs in both, so the process is multithreaded as in
 * the programs that lock at all. Both threads are pinned to one CPU, as in
 * bench_pingpong (a wake-up across CPUs of a small virtual machine varies
 * too much). Prints one number on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long turns, turn;   /* turn: whose go it is, 0 main, 1 the other */
static volatile int stop;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *idle(void *arg)
{
	(void)arg;
	while (!stop)
		usleep(100000);
	return NULL;
}

/* Waits for its turn, passes it on: one blocked wait per handoff. */
static void take_turns(long me)
{
	for (long i = 0; i < turns; i++) {
		pthread_mutex_lock(&m);
		while (turn != me)
			pthread_cond_wait(&cv, &m);
		turn = !me;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&m);
	}
}

static void *other(void *arg)
{
	(void)arg;
	take_turns(1);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_lock pair|handoff N\n");
		return 2;
	}
	long n = atol(argv[2]);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);
	pthread_t idler;
	pthread_create(&idler, NULL, idle, NULL);
	double t0, t1;
	if (!strcmp(argv[1], "pair")) {
		for (long i = 0; i < 100000; i++) {   /* warm-up */
			pthread_mutex_lock(&m);
			pthread_mutex_unlock(&m);
		}
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			pthread_mutex_lock(&m);
			__asm__ volatile("" ::: "memory");
			pthread_mutex_unlock(&m);
		}
		t1 = now_ns();
	} else {
		turns = n;
		pthread_t th;
		t0 = now_ns();
		pthread_create(&th, NULL, other, NULL);
		take_turns(0);
		pthread_join(th, NULL);
		t1 = now_ns();
		n *= 2;
	}
	stop = 1;
	pthread_join(idler, NULL);
	printf("%.2f\n", (t1 - t0) / (double)n);
	return 0;
}
