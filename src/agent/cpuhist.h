/* A thread's CPU time as sampled: the schedstat line it is read from, and
 * the history of (time, cumulative CPU time) samples a span's CPU time is
 * interpolated from. Pure functions, no system calls (unit-tested). */
#ifndef TS_CPUHIST_H
#define TS_CPUHIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc/<pid>/task/<tid>/schedstat: "cpu_ns wait_ns timeslices\n". */
struct ts_schedstat {
	uint64_t cpu_ns;      /* time on a CPU */
	uint64_t wait_ns;     /* time runnable, waiting for a CPU (run queue) */
	uint64_t slices;      /* times it was given a CPU */
};
/* Parses the line in buf (len bytes); false when it is not three decimal
 * numbers separated by single spaces (a newline after them allowed). */
bool ts_schedstat_parse(const char *buf, size_t len, struct ts_schedstat *out);

/* Samples in time order. When full, the older half is thinned (every
 * second sample dropped), so the history always reaches back to the first
 * sample, finely for the recent past and more coarsely further back. Idle
 * stretches (the same CPU time at both ends) take one entry. */
#define TS_CPU_HIST 128
struct ts_cpu_hist {
	unsigned n;
	uint64_t t[TS_CPU_HIST];      /* ns, increasing */
	uint64_t cpu[TS_CPU_HIST];    /* ns, never decreasing */
};

/* Adds a sample at t, later than every one kept (else ignored, as is a
 * CPU time lower than the last). */
void ts_cpu_hist_add(struct ts_cpu_hist *h, uint64_t t, uint64_t cpu);
/* A sample earlier than every one kept (a thread's start, when its CPU time
 * was 0); ignored unless before the first and no higher than its CPU time. */
void ts_cpu_hist_front(struct ts_cpu_hist *h, uint64_t t, uint64_t cpu);
/* The CPU time at t, linear between the samples around it; false when t is
 * outside the samples' time. */
bool ts_cpu_hist_at(const struct ts_cpu_hist *h, uint64_t t, uint64_t *cpu);
/* The CPU time spent between start and end (no more than end - start);
 * false when either is outside the samples' time. */
bool ts_cpu_hist_span(const struct ts_cpu_hist *h, uint64_t start, uint64_t end, uint64_t *cpu);

#endif
