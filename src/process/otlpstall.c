/* The mark of a receiver that did not answer (otlpstall.h). */
#include "otlpstall.h"

#include "clock.h"
#include "config.h"
#include "otel_env.h"
#include "rawfs.h"
#include "rawsys.h"
#include "rundir.h"
#include "strhash.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

/* How long a mark holds, and the grace a process gives the receiver then. */
#define MARK_HOLDS_S 60
#define GRACE_MS 100

/* "<run dir>/otlp-stalled.<hash of the endpoint>"; false when there is no
 * run directory to be had. */
static bool mark_path(char *out, size_t cap, bool create)
{
	char dir[PATH_MAX], why[64];
	if (!ts_rundir_path(dir, sizeof dir) || !ts_rundir_usable(dir, create, why, sizeof why))
		return false;
	unsigned long long h = ts_strhash(ts_otel.endpoint, strlen(ts_otel.endpoint));
	return (size_t)snprintf(out, cap, "%s/otlp-stalled.%016llx", dir, h) < cap;
}

static bool marked_recently(const char *path)
{
	struct stat st;
	struct timespec now;
	if (ts_sys_stat(path, &st) != 0 || clock_gettime(CLOCK_REALTIME, &now) != 0)
		return false;
	return now.tv_sec >= st.st_mtim.tv_sec && now.tv_sec - st.st_mtim.tv_sec < MARK_HOLDS_S;
}

uint64_t ts_otlp_stall_deadline(uint64_t deadline_ms)
{
	char path[PATH_MAX + 64];
	if (!mark_path(path, sizeof path, false) || !marked_recently(path))
		return deadline_ms;
	uint64_t short_one = ts_clock_monotonic_ms() + GRACE_MS;
	return short_one < deadline_ms ? short_one : deadline_ms;
}

void ts_otlp_stall_outcome(size_t left)
{
	char path[PATH_MAX + 64];
	if (!mark_path(path, sizeof path, left != 0))
		return;
	if (!left) {
		ts_syscall(SYS_unlinkat, AT_FDCWD, path, 0);
		return;
	}
	/* Made, or its time moved on: the receiver still does not answer. */
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path,
				 O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ts_syscall(SYS_utimensat, fd, NULL, NULL, 0);
	ts_syscall(SYS_close, fd);
}
