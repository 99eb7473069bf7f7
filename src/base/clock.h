/* Timestamps: the hot path reads the TSC (or CLOCK_BOOTTIME where there is no
 * usable TSC); the drainer converts ticks to BOOTTIME nanoseconds. */
#ifndef TS_CLOCK_H
#define TS_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define TS_HAVE_TSC 1
#endif

extern int ts_clock_tsc;

uint64_t ts_clock_boottime_ns(void);
uint64_t ts_clock_realtime_ns(void);
/* CLOCK_REALTIME - CLOCK_BOOTTIME, to turn a span's BOOTTIME times into
 * wall time. Stable: every span of a process gets the same offset until the
 * wall clock is stepped, however the reads are interrupted. Any thread. */
int64_t ts_clock_unix_offset_ns(void);
/* CLOCK_MONOTONIC in milliseconds (deadlines). */
uint64_t ts_clock_monotonic_ms(void);
/* The same, as of the last clock tick (a few ms behind, and cheaper: no
 * read of the time stamp counter): ages of cache entries. */
uint64_t ts_clock_coarse_ms(void);
/* A CPU-time clock (CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID) in ns,
 * plus one: 0 when it cannot be read. A system call (the vDSO has none for
 * these clocks), async-signal-safe: for once-per-thread or exit paths only. */
uint64_t ts_clock_cpu_ns1(int clock);

static inline uint64_t ts_ticks(void)
{
#ifdef TS_HAVE_TSC
	if (__builtin_expect(ts_clock_tsc, 1))
		return __rdtsc();
#endif
	return ts_clock_boottime_ns();
}

/* Chooses the tick source and takes the first (ticks, ns) anchor: the TSC
 * when the CPU says it is invariant, unless force_gettime. */
void ts_clock_init(bool force_gettime);
/* The same, with the TSC taken on the word of whoever set TRACESHIM_CLOCK=tsc
 * (traceshim run checks once for its whole tree): no cpuid, which traps to
 * the hypervisor in a virtual machine, in every process. */
void ts_clock_init_tsc(void);
/* Whether the CPU's TSC is invariant (constant rate, runs in every C-state). */
bool ts_clock_tsc_invariant(void);

/* The first (ticks, ns) anchor; a consumer in another process starts its
 * conversion from the producer's anchor, so both convert alike. */
void ts_clock_anchor(uint64_t *tick, uint64_t *ns);
void ts_clock_init_at(bool tsc, uint64_t tick, uint64_t ns);

/* Drainer side (single-threaded): takes a fresh (ticks, ns) pair and extends the
 * conversion. The mapping is continuous and monotonic, and a tick value always
 * converts to the same nanosecond value however late it is converted, so a span
 * begun in one drain and ended in another nests correctly. */
void ts_clock_sync(void);

/* The segment of the conversion a tick was last converted in, and the ticks
 * it covers, [from, to): the next ticks are mostly in it, converted inline
 * (two for every span). Empty (from == to) when unknown. */
struct ts_clock_recent {
	uint64_t from, to, ns;
	double rate;   /* ns per tick */
};
extern struct ts_clock_recent ts_clock_recent;
uint64_t ts_clock_to_ns_slow(uint64_t ticks);

static inline uint64_t ts_clock_to_ns(uint64_t ticks)
{
	const struct ts_clock_recent *r = &ts_clock_recent;
	if (ticks - r->from < r->to - r->from) {
		/* As the segment's own conversion does it (clock.c), rounding. */
		double d = ((double)(int64_t)(ticks - r->from)) * r->rate;
		int64_t off = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
		return (uint64_t)((int64_t)r->ns + off);
	}
	return ts_clock_to_ns_slow(ticks);
}
/* Forgets the calibration (used by the unit tests). */
void ts_clock_reset(void);
/* Child after fork: starts a new calibration without freeing the old one. */
void ts_clock_after_fork(void);

#endif
