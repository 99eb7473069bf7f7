/* bench_api: the cost of one ts_span_begin()/ts_span_end() pair of
 * traceshim.h, with the tracer preloaded or without it (the header's no-op).
 *
 * Usage: bench_api N [WARMUP [PAUSE_MS [ATTRS]]]
 *   WARMUP untimed pairs first, then a pause of PAUSE_MS so the tracer's
 *   background thread has emptied its buffer: a loop of N pairs that fits
 *   the buffer then measures recording, not dropping. ATTRS 1: each begin
 *   also carries two attributes (an int and a string).
 * Prints: nanoseconds per pair (one number) on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../include/traceshim.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void pairs(long n, int attrs)
{
	for (long i = 0; i < n; i++) {
		ts_span_t s = attrs ? ts_span_begin("work", TS_ATTRS(ts_int("item", i), ts_str("kind", "bench")))
				    : ts_span_begin("work", TS_NO_ATTRS);
		ts_span_end(s, TS_STATUS_UNSET);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	long warmup = argc > 2 ? atol(argv[2]) : 1;
	long pause_ms = argc > 3 ? atol(argv[3]) : 0;
	int attrs = argc > 4 ? atoi(argv[4]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: bench_api N [WARMUP [PAUSE_MS [ATTRS]]]\n");
		return 2;
	}
	pairs(warmup, attrs);
	if (pause_ms > 0) {
		struct timespec p = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
		nanosleep(&p, NULL);
	}
	double t0 = now_ns();
	pairs(n, attrs);
	double t1 = now_ns();
	printf("%.2f\n", (t1 - t0) / (double)n);
	return 0;
}
