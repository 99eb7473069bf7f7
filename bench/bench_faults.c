/* bench_faults: what a fault the program recovers from costs it. A JVM takes
 * SIGSEGV for its null checks, a WebAssembly runtime for its bounds: each is
 * an event of the shim's, and a thread's first 100 of each second carry a
 * stack, unwound while the handler waits.
 *
 * Usage: bench_faults N   (N faults, each recovered with siglongjmp)
 * Prints: microseconds per fault, over the first 100 (unwound) and over all
 * N, on one line. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sigjmp_buf back;
/* Read at each fault: the compiler cannot know it stays NULL. */
static int *volatile nowhere;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(back, 1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	static int n;
	n = argc > 1 ? atoi(argv[1]) : 1000;
	if (n < 100)
		n = 100;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	double start = now_us(), first = 0;
	for (volatile int i = 0; i < n; i++) {
		if (sigsetjmp(back, 1) == 0)
			nowhere[2] = 1;
		if (i == 99)
			first = now_us() - start;
	}
	double all = now_us() - start;
	printf("%.1f %.1f\n", first / 100, all / n);
	return 0;
}
