/* One thread computes while the other waits, for the CPU sampler's tests:
 * thread "spinner" spins on the CPU for ~100 ms inside an API span "spin",
 * while the main thread sleeps (in poll, ~100 ms) inside an API span
 * "sleep". Prints the CPU time and the time the spin took, as the thread
 * itself measured them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "traceshim.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;
static uint64_t spin_cpu_ns, spin_wall_ns;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *spinner(void *arg)
{
	(void)arg;
	ts_span_t s = ts_span_begin("spin", TS_NO_ATTRS);
	uint64_t cpu0 = thread_cpu_ns(), start = now_ns(), end = start + 100000000u, x = 1;
	while (now_ns() < end)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005u + 1442695040888963407u;
	sink = x;
	/* What it really had, to compare with what the tracer says. */
	spin_cpu_ns = thread_cpu_ns() - cpu0;
	spin_wall_ns = now_ns() - start;
	ts_span_end(s, TS_STATUS_OK);
	return NULL;
}

int main(void)
{
	/* A settled start: the consumer has sampled the main thread before
	 * its span begins. */
	poll(NULL, 0, 30);
	pthread_t th;
	pthread_setname_np(pthread_self(), "main");
	if (pthread_create(&th, NULL, spinner, NULL) != 0)
		return 1;
	pthread_setname_np(th, "spinner");
	ts_span_t s = ts_span_begin("sleep", TS_NO_ATTRS);
	uint64_t t0 = now_ns();
	while (now_ns() - t0 < 100000000u)
		poll(NULL, 0, (int)((100000000u - (now_ns() - t0)) / 1000000u) + 1);
	ts_span_end(s, TS_STATUS_OK);
	pthread_join(th, NULL);
	/* Time for a few more samples after the spin. */
	poll(NULL, 0, 30);
	printf("spin_cpu_ns=%llu spin_wall_ns=%llu\n", (unsigned long long)spin_cpu_ns,
	       (unsigned long long)spin_wall_ns);
	return 0;
}
