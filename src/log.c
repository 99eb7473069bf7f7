/* Diagnostics on stderr, written with one raw write() so they never go
 * through the interposed functions and never touch stdio buffers of the host. */
#include "log.h"

#include "fdtable.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int ts_log_level = TS_LOG_OFF;
static atomic_int config_warned;

static void emit(const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[512];
	int n = snprintf(buf, sizeof buf, "traceshim[%ld]: ", (long)syscall(SYS_getpid));
	if (n < 0)
		n = 0;
	int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof buf - 2)
		len = sizeof buf - 2;
	buf[len++] = '\n';
	/* The background thread's descriptor table is its own: stderr is the
	 * program's, reached through fdtable.h. */
	int fd = ts_fd_stderr();
	if (fd >= 0)
		syscall(SYS_write, fd, buf, len);
	ts_fd_give_back(fd);
	errno = saved;
}

void ts_log(int level, const char *fmt, ...)
{
	if (level > ts_log_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void ts_warn_config(const char *fmt, ...)
{
	if (ts_log_level < TS_LOG_WARN && atomic_exchange(&config_warned, 1))
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}
