/* Tick source and the ticks -> CLOCK_BOOTTIME conversion.
 *
 * The conversion is a chain of linear segments. Each new segment starts where
 * the previous one ends (continuity) and its slope is the long-baseline TSC
 * rate, corrected so the chain converges on the real BOOTTIME reading taken at
 * that moment. Converting never depends on when it happens, only on the tick
 * value, which is what keeps slices nested across drains. */
#include "clock.h"

#include "rawsys.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef TS_HAVE_TSC
#include <cpuid.h>
#endif

int ts_clock_tsc;

/* The wall-clock offset is read again at most this often, */
#define UNIX_OFFSET_TTL_NS 1000000000ull
/* trusted when its read took less than this, */
#define UNIX_OFFSET_WIDTH_NS 200000ull
/* and moved only when it differs by more than this (a clock step). */
#define UNIX_OFFSET_STEP_NS 1000000

struct segment {
	uint64_t tick;
	uint64_t ns;
	double rate;   /* ns per tick */
};

static uint64_t anchor_tick, anchor_ns;
static struct segment *segs;
static size_t nsegs, capsegs;
struct ts_clock_recent ts_clock_recent;

uint64_t ts_clock_boottime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ts_clock_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ticks_now(void)
{
	return ts_ticks();
}

/* A reading of mid taken between two BOOTTIME readings, the best of three:
 * mid's value, BOOTTIME halfway between, and the width of the bracket (the
 * pair's error is at most half of it), which is returned. */
static uint64_t bracket(uint64_t (*mid)(void), uint64_t *value, uint64_t *ns)
{
	uint64_t width = UINT64_MAX;
	*value = *ns = 0;
	for (int i = 0; i < 3; i++) {
		uint64_t a = ts_clock_boottime_ns();
		uint64_t v = mid();
		uint64_t b = ts_clock_boottime_ns();
		if (b - a < width) {
			width = b - a;
			*value = v;
			*ns = a + (b - a) / 2;
		}
	}
	return width;
}

/* realtime - boottime from one bracketed read; returns the bracket's width. */
static uint64_t offset_read(int64_t *offset)
{
	uint64_t real, boot;
	uint64_t width = bracket(ts_clock_realtime_ns, &real, &boot);
	*offset = (int64_t)(real - boot);
	return width;
}

int64_t ts_clock_unix_offset_ns(void)
{
	static _Atomic int64_t offset;
	static _Atomic uint64_t taken;   /* BOOTTIME of the last read; 0: none */
	uint64_t now = ts_clock_boottime_ns();
	uint64_t last = atomic_load_explicit(&taken, memory_order_acquire);
	if (last && now - last < UNIX_OFFSET_TTL_NS)
		return atomic_load_explicit(&offset, memory_order_relaxed);
	int64_t fresh;
	uint64_t width = offset_read(&fresh);
	int64_t kept = atomic_load_explicit(&offset, memory_order_relaxed);
	int64_t moved = fresh > kept ? fresh - kept : kept - fresh;
	/* A read that was interrupted never moves the offset; a read that
	 * differs by less than UNIX_OFFSET_STEP_NS is the same offset seen
	 * through jitter, and keeping it keeps every span of the process on
	 * one time base. Only a clock step moves it. */
	if (!last || (width < UNIX_OFFSET_WIDTH_NS && moved > UNIX_OFFSET_STEP_NS))
		atomic_store_explicit(&offset, fresh, memory_order_relaxed);
	atomic_store_explicit(&taken, now ? now : 1, memory_order_release);
	return atomic_load_explicit(&offset, memory_order_relaxed);
}

uint64_t ts_clock_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ts_clock_cpu_ns1(int clock)
{
	struct timespec ts;
	if (ts_syscall(SYS_clock_gettime, clock, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 1;
}

uint64_t ts_clock_coarse_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool ts_clock_tsc_invariant(void)
{
#ifdef TS_HAVE_TSC
	/* Two cpuid instructions, not __get_cpuid()'s four: in a virtual
	 * machine each one traps to the hypervisor (several microseconds). */
	unsigned a, b, c, d;
	__cpuid(0x80000000u, a, b, c, d);
	if (a < 0x80000007u)
		return false;
	__cpuid(0x80000007u, a, b, c, d);
	return (d >> 8) & 1;   /* "invariant TSC": constant rate, runs in all C-states */
#else
	return false;
#endif
}

/* A (ticks, ns) pair read as close together as the machine allows. */
static void read_pair(uint64_t *tick, uint64_t *ns)
{
	bracket(ticks_now, tick, ns);
}

void ts_clock_init(bool force_gettime)
{
	ts_clock_tsc = !force_gettime && ts_clock_tsc_invariant();
	ts_clock_reset();
}

void ts_clock_init_tsc(void)
{
#ifdef TS_HAVE_TSC
	ts_clock_tsc = 1;
#else
	ts_clock_tsc = 0;
#endif
	ts_clock_reset();
}

void ts_clock_anchor(uint64_t *tick, uint64_t *ns)
{
	*tick = anchor_tick;
	*ns = anchor_ns;
}

void ts_clock_init_at(bool tsc, uint64_t tick, uint64_t ns)
{
	ts_clock_reset();
	ts_clock_tsc = tsc;
	anchor_tick = tick;
	anchor_ns = ns;
}

void ts_clock_after_fork(void)
{
	/* The parent's drainer may have been inside realloc(): drop, never free;
	 * the child calibrates afresh from an anchor taken now. */
	segs = NULL;
	nsegs = capsegs = 0;
	ts_clock_recent = (struct ts_clock_recent){0};
	if (ts_clock_tsc)
		read_pair(&anchor_tick, &anchor_ns);
}

void ts_clock_reset(void)
{
	free(segs);
	segs = NULL;
	nsegs = capsegs = 0;
	ts_clock_recent = (struct ts_clock_recent){0};
	if (ts_clock_tsc)
		read_pair(&anchor_tick, &anchor_ns);
}

static uint64_t at(const struct segment *s, uint64_t tick)
{
	double d = ((double)(int64_t)(tick - s->tick)) * s->rate;
	int64_t off = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
	return (uint64_t)((int64_t)s->ns + off);
}

void ts_clock_sync(void)
{
	if (!ts_clock_tsc)
		return;
	uint64_t tick, ns;
	read_pair(&tick, &ns);
	/* A baseline of a few microseconds would give a poor slope: wait a little. */
	while (nsegs == 0 && ns - anchor_ns < 20000)
		read_pair(&tick, &ns);
	if (tick <= anchor_tick)
		return;
	double rate = (double)(ns - anchor_ns) / (double)(tick - anchor_tick);
	struct segment next;
	if (nsegs == 0) {
		next = (struct segment){anchor_tick, anchor_ns, rate};
	} else {
		struct segment *last = &segs[nsegs - 1];
		if (tick <= last->tick)
			return;
		uint64_t predicted = at(last, tick);
		double err = (double)(int64_t)(ns - predicted);
		double corrected = rate + err / (double)(tick - last->tick);
		if (corrected < rate * 0.5)
			corrected = rate * 0.5;
		if (corrected > rate * 1.5)
			corrected = rate * 1.5;
		next = (struct segment){tick, predicted, corrected};
	}
	if (nsegs == capsegs) {
		size_t cap = capsegs ? capsegs * 2 : 64;
		struct segment *grown = realloc(segs, cap * sizeof *segs);
		if (!grown) {
			/* Out of memory: keep extending the last segment, still consistent. */
			return;
		}
		segs = grown;
		capsegs = cap;
	}
	segs[nsegs++] = next;
	/* The last segment ended where this one starts. */
	ts_clock_recent = (struct ts_clock_recent){0};
}

/* Segment i is the one ts_clock_to_ns() tries first. */
static uint64_t remember(size_t i, uint64_t tick)
{
	ts_clock_recent = (struct ts_clock_recent){
		.from = segs[i].tick, .to = i + 1 < nsegs ? segs[i + 1].tick : UINT64_MAX,
		.ns = segs[i].ns, .rate = segs[i].rate};
	return at(&segs[i], tick);
}

/* A segment begins every drain cycle, and the records a cycle reads were
 * mostly written during the one before: the segment found is remembered
 * (ts_clock_recent) and tried first, before a search through thousands.
 * Segments start at increasing ticks, so it is the one the search finds. */
uint64_t ts_clock_to_ns_slow(uint64_t tick)
{
	if (!ts_clock_tsc)
		return tick;
	if (nsegs == 0)
		ts_clock_sync();
	if (nsegs == 0)
		return anchor_ns;
	if (tick >= segs[nsegs - 1].tick)
		return remember(nsegs - 1, tick);
	size_t lo = 0, hi = nsegs - 1;   /* last segment starting at or before tick */
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		if (segs[mid].tick <= tick)
			lo = mid;
		else
			hi = mid - 1;
	}
	return remember(lo, tick);
}
