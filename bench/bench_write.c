/* bench_write: the per-call cost of the cheapest traced call.
 *
 * write(fd, buf, 1) to /dev/null does almost no work in the kernel, so the
 * time per call is dominated by the syscall itself plus whatever a tracer adds
 * around it; scripts/bench compares runs with and without tracers.
 *
 * Usage: bench_write N [WARMUP [PAUSE_MS]]
 *   WARMUP untimed calls first (default 1), then a pause of PAUSE_MS: a
 *   tracer's buffers are then touched (no first-use page faults in the loop)
 *   and its background writer has had time to empty them, so a short loop
 *   measures recording, not start-up or dropping.
 * With BENCH_IDLE_THREAD set, an idle second thread exists during the loop:
 * the kernel and libc take slower paths in a multithreaded process, and the
 * shim's background thread makes every traced process one.
 * Prints: nanoseconds per call (one number) on stdout.
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

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
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
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long warmup = argc > 2 ? atol(argv[2]) : 1;
	long pause_ms = argc > 3 ? atol(argv[3]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: bench_write N [WARMUP [PAUSE_MS]]\n");
		return 2;
	}
	pthread_t idler;
	if (getenv("BENCH_IDLE_THREAD") && pthread_create(&idler, NULL, idle, NULL) != 0)
		return 2;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0) {
		perror("/dev/null");
		return 2;
	}
	char c = 'x';
	/* Untimed calls so lazy binding and tracer set-up stay outside the
	 * measured loop. */
	for (long i = 0; i < warmup; i++)
		if (write(fd, &c, 1) != 1)
			return 1;
	if (pause_ms > 0) {
		struct timespec p = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
		nanosleep(&p, NULL);
	}

	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(fd, &c, 1) != 1)
			return 1;
	double t1 = now_ns();

	printf("%.2f\n", (t1 - t0) / (double)n);
	return 0;
}
