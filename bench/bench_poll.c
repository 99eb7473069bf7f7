/* bench_poll: what a wait that returns at once costs, plain and traced.
 *
 * poll() of a pipe, or epoll_wait() of an epoll instance watching it:
 * "poll" and "epoll" with timeout 0 on the empty pipe (a call that cannot
 * wait: the shim passes it straight on), "poll-ready" and "epoll-ready"
 * with a timeout of a second on a pipe that holds a byte, so the call may
 * wait but returns at once (the shim times it: two tick reads and a
 * compare). The time per call is the system call's plus whatever a tracer
 * adds around it. nginx's event loop makes such calls all the time.
 *
 * Usage: bench_poll poll|epoll|poll-ready|epoll-ready N
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
	const char *mode = argc > 1 ? argv[1] : "";
	bool epoll = strncmp(mode, "epoll", 5) == 0;
	bool ready = strstr(mode, "-ready") != NULL;
	if (argc < 3 || n <= 0 || (strcmp(mode, "poll") != 0 && strcmp(mode, "epoll") != 0 &&
				   strcmp(mode, "poll-ready") != 0 && strcmp(mode, "epoll-ready") != 0)) {
		fprintf(stderr, "usage: bench_poll poll|epoll|poll-ready|epoll-ready N\n");
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
	if (ready && write(p[1], "x", 1) != 1)
		return 2;
	int timeout = ready ? 1000 : 0;
	long got_ready = 0;
	/* Untimed calls: lazy binding and the tracer's start-up stay out. */
	for (long i = 0; i < 1000; i++)
		got_ready += epoll ? epoll_wait(ep, got, 8, timeout) : poll(&pf, 1, timeout);
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		got_ready += epoll ? epoll_wait(ep, got, 8, timeout) : poll(&pf, 1, timeout);
	double t1 = now_ns();
	if (got_ready != (ready ? n + 1000 : 0)) {
		fprintf(stderr, "bench_poll: the pipe was %sready\n", ready ? "not " : "");
		return 1;
	}
	printf("%.1f\n", (t1 - t0) / (double)n);
	return 0;
}
