/* bench_pingpong: tracer cost on a latency-bound, two-thread workload.
 *
 * Two threads bounce one byte over a pair of pipes, so every round trip is two
 * writes, two reads and two wake-ups; unlike bench_write this also shows
 * costs a tracer adds on blocking calls and any cross-thread contention in
 * its buffers.
 *
 * Both threads are pinned to one CPU: on small virtual machines a wake-up
 * across CPUs costs tens of microseconds and varies wildly with idle states,
 * which would drown the tracer's cost (a tracer's background thread can even
 * make it look faster by keeping the other CPU awake). Pass "spread" as the
 * fourth argument to leave scheduling alone.
 *
 * Usage: bench_pingpong N [WARMUP [PAUSE_MS [spread]]]
 *   WARMUP untimed round trips first (default 1), then a pause of PAUSE_MS,
 *   for the same reasons as in bench_write.
 * Environment: BENCH_SOCKET=tcp bounces the byte over a TCP connection on
 *   loopback (one socket each way, TCP_NODELAY), BENCH_SOCKET=unix over a
 *   Unix stream socketpair, instead of the pipes: a tracer that looks at
 *   what goes over stream sockets (traceshim's HTTP detection) pays for it
 *   there. The byte is 0, which no text protocol starts with.
 * Prints: nanoseconds per round trip (one number) on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];
static long rounds, warmup = 1;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *echo(void *arg)
{
	char c;
	(void)arg;
	for (long i = 0; i < rounds + warmup; i++) {
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1) {
			perror("echo");
			exit(1);
		}
	}
	return NULL;
}

static void round_trip(void)
{
	char c = 0;
	if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) {
		perror("round trip");
		exit(1);
	}
}

/* A connected TCP pair on loopback: a[0] and b[0] are the two ends, a[1]
 * and b[1] the same descriptors (each end reads and writes one socket). */
static int tcp_pair(int a[2], int b[2])
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&addr, &len) != 0)
		return -1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
		return -1;
	int s = accept(l, NULL, NULL);
	close(l);
	if (s < 0)
		return -1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	a[0] = a[1] = c;
	b[0] = b[1] = s;
	return 0;
}

/* ping carries the byte to the echo thread, pong back: the main thread
 * writes ping[1] and reads pong[0], the echo thread the other ends. Over
 * one socket pair, ping[1] and pong[0] are the main thread's end. */
static int make_channels(void)
{
	const char *how = getenv("BENCH_SOCKET");
	if (!how || !*how)
		return pipe(ping) || pipe(pong) ? -1 : 0;
	int main_end[2], echo_end[2];
	if (strcmp(how, "tcp") == 0) {
		if (tcp_pair(main_end, echo_end) != 0)
			return -1;
	} else if (strcmp(how, "unix") == 0) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return -1;
		main_end[0] = main_end[1] = sv[0];
		echo_end[0] = echo_end[1] = sv[1];
	} else {
		fprintf(stderr, "BENCH_SOCKET: tcp or unix, not '%s'\n", how);
		exit(2);
	}
	ping[1] = main_end[1];
	pong[0] = main_end[0];
	ping[0] = echo_end[0];
	pong[1] = echo_end[1];
	return 0;
}

int main(int argc, char **argv)
{
	rounds = argc > 1 ? atol(argv[1]) : 100000;
	warmup = argc > 2 ? atol(argv[2]) : 1;
	long pause_ms = argc > 3 ? atol(argv[3]) : 0;
	if (rounds <= 0 || warmup < 0) {
		fprintf(stderr, "usage: bench_pingpong N [WARMUP [PAUSE_MS [spread]]]\n");
		return 2;
	}
	if (!(argc > 4 && strcmp(argv[4], "spread") == 0)) {
		/* Only this thread and the echo thread it creates inherit the
		 * mask; threads a tracer started earlier keep theirs. */
		cpu_set_t one;
		int cpu = sched_getcpu();
		CPU_ZERO(&one);
		CPU_SET(cpu >= 0 ? cpu : 0, &one);
		(void)sched_setaffinity(0, sizeof one, &one);
	}
	if (make_channels() != 0) {
		perror("pipe or socket");
		return 2;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, echo, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 2;
	}
	for (long i = 0; i < warmup; i++)
		round_trip();
	if (pause_ms > 0) {
		struct timespec p = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
		nanosleep(&p, NULL);
	}

	double t0 = now_ns();
	for (long i = 0; i < rounds; i++)
		round_trip();
	double t1 = now_ns();

	pthread_join(t, NULL);
	printf("%.2f\n", (t1 - t0) / (double)rounds);
	return 0;
}
