/* bench_poll: what a wait that returns at once costs, plain and traced.
 *
 * poll() of an empty pipe, or epoll_wait() of an epoll instance watching
 * it, both with timeout 0: the kernel has nothing to wait for, so the time
 * per call is the system call's plus whatever a tracer adds around it (the
 * shim's wait wrappers: two tick reads and a compare). nginx's event loop
 * makes such calls all the time.
 *
 * Usage: bench_poll poll|epoll N
 * Prints: nanoseconds per call (one number) on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	bool epoll = argc > 1 && strcmp(argv[1], "epoll") == 0;
	if (argc < 3 || n <= 0 || (!epoll && strcmp(argv[1], "poll") != 0)) {
		fprintf(stderr, "usage: bench_poll poll|epoll N\n");
		return 2;
	}
	int p[2];
	if (pipe(p) != 0)
		return 2;
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]}, got[8];
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0)
		return 2;
	struct pollfd pf = {p[0], POLLIN, 0};
	long ready = 0;
	/* Untimed calls: lazy binding and the tracer's start-up stay out. */
	for (long i = 0; i < 1000; i++)
		ready += epoll ? epoll_wait(ep, got, 8, 0) : poll(&pf, 1, 0);
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		ready += epoll ? epoll_wait(ep, got, 8, 0) : poll(&pf, 1, 0);
	double t1 = now_ns();
	if (ready != 0) {
		fprintf(stderr, "bench_poll: the empty pipe was ready\n");
		return 1;
	}
	printf("%.1f\n", (t1 - t0) / (double)n);
	return 0;
}
