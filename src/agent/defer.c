/* When conversion waits (defer.h). The CPUs are taken when, over the last
 * window, tasks waited for a CPU more than half the time: the kernel's CPU
 * pressure (/proc/pressure/cpu, "some"), which the conversion would only
 * add to, taking its time from the program's. A task alone on an idle
 * machine never waits, so the worker's own conversion does not count. A
 * kernel without pressure figures: the CPUs are taken when what was idle,
 * plus what this worker itself used, came to less than a quarter of one
 * CPU (/proc/stat). Read at most once a window; unreadable, nothing waits. */
#include "defer.h"

#include "clock.h"
#include "config.h"
#include "rawsys.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_MS 200
/* A process younger than this converts as it goes: most are short, and
 * their records are converted at their end anyway, where waiting would only
 * have added the copy. */
#define YOUNG_MS 1000

static uint64_t serving_since_ms;

static struct {
	bool valid, busy, no_pressure;
	uint64_t at_ms;
	uint64_t stalled_us;    /* /proc/pressure/cpu: some tasks waited */
	uint64_t idle, total;   /* /proc/stat: clock ticks */
	uint64_t own_ns;        /* this process's CPU time */
} last;

/* The whole of a small /proc file in buf (NUL-terminated); false if none. */
static bool read_small(const char *path, char *buf, size_t cap)
{
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	long n = ts_syscall(SYS_read, fd, buf, cap - 1);
	ts_syscall(SYS_close, fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

/* "some avg10=.. avg60=.. avg300=.. total=N": N, microseconds. */
static bool read_stalled(uint64_t *us)
{
	char buf[256];
	if (!read_small("/proc/pressure/cpu", buf, sizeof buf) || strncmp(buf, "some ", 5))
		return false;
	const char *total = strstr(buf, " total=");
	const char *eol = strchr(buf, '\n');
	if (!total || (eol && total > eol))
		return false;
	char *end;
	*us = strtoull(total + 7, &end, 10);
	return end != total + 7;
}

/* The "cpu" line of /proc/stat: ticks idle (idle and iowait) and in all
 * (user, nice, system, idle, iowait, irq, softirq, steal). */
static bool read_ticks(uint64_t *idle, uint64_t *total)
{
	char buf[256];
	if (!read_small("/proc/stat", buf, sizeof buf) || strncmp(buf, "cpu ", 4))
		return false;
	char *p = buf + 4;
	uint64_t v[8];
	for (int i = 0; i < 8; i++) {
		char *end;
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return false;
		p = end;
	}
	*idle = v[3] + v[4];
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	return true;
}

/* From the stall time: more than half the window. */
static bool stalled(uint64_t now_ms, bool *known)
{
	uint64_t us;
	*known = read_stalled(&us);
	if (!*known)
		return false;
	bool busy = last.valid && us >= last.stalled_us && now_ms > last.at_ms &&
		    (us - last.stalled_us) * 2 > (now_ms - last.at_ms) * 1000;
	last.stalled_us = us;
	return busy;
}

/* From idle time, less what this worker used. */
static bool idle_short(bool *known)
{
	uint64_t idle, total, own = ts_clock_cpu_ns1(CLOCK_PROCESS_CPUTIME_ID);
	*known = own && read_ticks(&idle, &total);
	if (!*known)
		return false;
	bool busy = false;
	long hz = sysconf(_SC_CLK_TCK), cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (last.valid && total > last.total && idle >= last.idle && hz > 0 && cpus > 0) {
		uint64_t d_total = total - last.total, d_idle = idle - last.idle;
		uint64_t d_own = (own - last.own_ns) / (1000000000ull / (uint64_t)hz);
		busy = (d_idle + d_own) * 4 * (uint64_t)cpus < d_total;
	}
	last.idle = idle;
	last.total = total;
	last.own_ns = own;
	return busy;
}

static bool cpus_taken(void)
{
	uint64_t now = ts_clock_monotonic_ms();
	if (last.valid && now - last.at_ms < WINDOW_MS)
		return last.busy;
	bool known = false, busy = false;
	if (!last.no_pressure) {
		busy = stalled(now, &known);
		last.no_pressure = !known && !last.valid;
	}
	if (last.no_pressure)
		busy = idle_short(&known);
	last.valid = known;
	last.busy = busy;
	last.at_ms = now;
	return busy;
}

bool ts_defer_over(size_t held)
{
	return held >= (size_t)ts_cfg.defer_mb << 20;
}

bool ts_defer_wanted(size_t held)
{
	if (ts_cfg.defer == TS_DEFER_OFF || ts_defer_over(held))
		return false;
	if (ts_cfg.defer == TS_DEFER_ALWAYS)
		return true;
	return ts_clock_monotonic_ms() - serving_since_ms >= YOUNG_MS && cpus_taken();
}

void ts_defer_start(void)
{
	serving_since_ms = ts_clock_monotonic_ms();
}

void ts_defer_reset(void)
{
	memset(&last, 0, sizeof last);
	serving_since_ms = 0;
}
