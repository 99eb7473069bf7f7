/* When conversion waits (defer.h). The CPUs are taken when, over the last
 * window, the time they were idle, plus what this worker itself used, came
 * to less than a quarter of one CPU: the work of the program (and of
 * anything else running) would then lose what the conversion takes. The
 * kernel's counters are read from /proc/stat (clock ticks, summed over the
 * CPUs), at most once a window; unreadable, nothing waits. */
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

static struct {
	bool valid, busy;
	uint64_t at_ms;
	uint64_t idle, total;   /* clock ticks */
	uint64_t own_ns;        /* this process's CPU time */
} last;

/* The "cpu" line of /proc/stat: ticks idle (idle and iowait) and in all
 * (user, nice, system, idle, iowait, irq, softirq, steal). */
static bool read_ticks(uint64_t *idle, uint64_t *total)
{
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, "/proc/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[256];
	long n = ts_syscall(SYS_read, fd, buf, sizeof buf - 1);
	ts_syscall(SYS_close, fd);
	if (n <= 4 || memcmp(buf, "cpu ", 4))
		return false;
	buf[n] = 0;
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

static bool cpus_taken(void)
{
	uint64_t now = ts_clock_monotonic_ms();
	if (last.valid && now - last.at_ms < WINDOW_MS)
		return last.busy;
	uint64_t idle, total, own = ts_clock_cpu_ns1(CLOCK_PROCESS_CPUTIME_ID);
	if (!read_ticks(&idle, &total) || !own) {
		last.valid = false;
		return false;
	}
	bool busy = false;
	if (last.valid && total > last.total && idle >= last.idle) {
		long hz = sysconf(_SC_CLK_TCK);
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		if (hz > 0 && cpus > 0) {
			uint64_t d_total = total - last.total, d_idle = idle - last.idle;
			uint64_t d_own = (own - last.own_ns) / (1000000000ull / (uint64_t)hz);
			/* Free for the conversion: what was idle and what it used. */
			uint64_t spare = d_idle + d_own;
			busy = spare * 4 * (uint64_t)cpus < d_total;
		}
	}
	last.valid = true;
	last.busy = busy;
	last.at_ms = now;
	last.idle = idle;
	last.total = total;
	last.own_ns = own;
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
	return ts_cfg.defer == TS_DEFER_ALWAYS || cpus_taken();
}

void ts_defer_reset(void)
{
	memset(&last, 0, sizeof last);
}
