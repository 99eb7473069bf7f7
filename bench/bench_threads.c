/* bench_threads: many threads making traced calls at once.
 *
 * THREADS threads each write(fd, buf, 1) to /dev/null N times, all starting
 * together, so every thread's buffer fills at the same time: scripts/bench
 * runs it under bench_rss to see how much memory a tracer adds per thread
 * and counts how many of the THREADS x N calls reach the trace.
 *
 * Usage: bench_threads THREADS N
 * Prints: nanoseconds per call, all threads together (one number), on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_barrier_t start;
static int fd;
static long n;

static void *writer(void *arg)
{
	(void)arg;
	char c = 'x';
	pthread_barrier_wait(&start);
	for (long i = 0; i < n; i++)
		if (write(fd, &c, 1) != 1)
			abort();
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long threads = argc > 2 ? atol(argv[1]) : 0;
	n = argc > 2 ? atol(argv[2]) : 0;
	if (threads <= 0 || threads > 4096 || n <= 0) {
		fprintf(stderr, "usage: bench_threads THREADS N\n");
		return 2;
	}
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0) {
		perror("/dev/null");
		return 2;
	}
	pthread_t *tids = calloc((size_t)threads, sizeof *tids);
	/* The main thread joins the barrier too, so the clock starts when
	 * every writer is ready. */
	if (!tids || pthread_barrier_init(&start, NULL, (unsigned)threads + 1) != 0)
		return 2;
	for (long t = 0; t < threads; t++)
		if (pthread_create(&tids[t], NULL, writer, NULL) != 0) {
			fprintf(stderr, "bench_threads: cannot start thread %ld\n", t + 1);
			return 2;
		}
	pthread_barrier_wait(&start);
	double t0 = now_ns();
	for (long t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	double t1 = now_ns();
	printf("%.2f\n", (t1 - t0) / ((double)n * (double)threads));
	free(tids);
	return 0;
}
