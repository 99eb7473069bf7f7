/* Diagnostics on stderr, written with one raw write() so they never go
 * through the interposed functions and never touch stdio buffers of the host.
 *
 * A misconfiguration is reported once per run: a process tree started by one
 * traced program shares its environment, so every process would find the
 * same bad value. Each reported message is remembered by a hash; children
 * get the list in TRACESHIM_REPORTED (childenv.c) and stay quiet about the
 * messages in it. */
#include "log.h"

#include "procinfo.h"
#include "rawsys.h"
#include "rlimits.h"

#include "fdtable.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ts_log_level = TS_LOG_OFF;

#define REPORTED_MAX 32
/* Hashes of the messages reported in this run; 0 marks a free slot. */
static _Atomic uint32_t reported[REPORTED_MAX];

static char *capture;
static size_t capture_cap;
static _Atomic uint32_t *capture_len;

void ts_log_capture(char *buf, size_t cap, _Atomic uint32_t *len)
{
	capture = buf;
	capture_cap = cap;
	capture_len = len;
}

/* Lines the background thread could not write: its own descriptor table had
 * no room for the program's stderr (a program started with a descriptor
 * limit of a few). A program thread says them later (ts_log_say_deferred),
 * from the program's table, where stderr is. One try-lock, never waited on:
 * the saying may be done at exit from a signal handler. */
static char unsaid[1024];
static _Atomic uint32_t unsaid_len;
static _Atomic int unsaid_busy;

static void defer(const char *line, size_t len)
{
	if (atomic_exchange(&unsaid_busy, 1))
		return;
	uint32_t at = atomic_load(&unsaid_len);
	if (at + len <= sizeof unsaid) {
		memcpy(unsaid + at, line, len);
		atomic_store(&unsaid_len, at + (uint32_t)len);
	}
	atomic_store(&unsaid_busy, 0);
}

void ts_log_say_deferred(void)
{
	if (ts_fd_private() || !atomic_load(&unsaid_len) || atomic_exchange(&unsaid_busy, 1))
		return;
	int saved = errno;
	int fd = ts_fd_stderr();
	size_t len = atomic_load(&unsaid_len);
	if (fd >= 0 && ts_fsize_allows(fd, len))
		ts_syscall(SYS_write, fd, unsaid, len);
	ts_fd_give_back(fd);
	atomic_store(&unsaid_len, 0);
	atomic_store(&unsaid_busy, 0);
	errno = saved;
}

/* One line: control characters (a newline in a value, a terminal escape)
 * become '?'. */
static void emit_text(const char *msg)
{
	int saved = errno;
	char buf[512];
	int n = snprintf(buf, sizeof buf, "traceshim[%ld]: ", (long)ts_proc_pid());
	if (n < 0)
		n = 0;
	size_t len = (size_t)n;
	for (; *msg && len < sizeof buf - 1; msg++)
		buf[len++] = (unsigned char)*msg < ' ' || *msg == 0x7f ? '?' : *msg;
	buf[len++] = '\n';
	if (capture) {
		uint32_t at = atomic_load(capture_len);
		if (at + len <= capture_cap) {
			memcpy(capture + at, buf, len);
			atomic_store(capture_len, at + (uint32_t)len);
		}
	}
	/* The background thread's descriptor table is its own: stderr is the
	 * program's, reached through fdtable.h. */
	int fd = ts_fd_stderr();
	if (fd >= 0) {
		/* Never past the program's file size limit (SIGXFSZ). */
		if (ts_fsize_allows(fd, len))
			ts_syscall(SYS_write, fd, buf, len);
	} else if (ts_fd_private())
		defer(buf, len);
	ts_fd_give_back(fd);
	errno = saved;
}

static void format(char *buf, size_t cap, const char *fmt, va_list ap)
{
	if (vsnprintf(buf, cap, fmt, ap) < 0)
		buf[0] = 0;
}

void ts_log(int level, const char *fmt, ...)
{
	if (level > ts_log_level)
		return;
	char msg[480];
	va_list ap;
	va_start(ap, fmt);
	format(msg, sizeof msg, fmt, ap);
	va_end(ap);
	emit_text(msg);
}

/* FNV-1a; never 0, the free-slot mark. */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h ? h : 1;
}

/* Adds h to the list unless it is there; true when it was already. */
static bool remember(uint32_t h)
{
	for (int i = 0; i < REPORTED_MAX; i++) {
		uint32_t cur = atomic_load(&reported[i]);
		if (cur == h)
			return true;
		if (!cur) {
			uint32_t expect = 0;
			if (atomic_compare_exchange_strong(&reported[i], &expect, h) || expect == h)
				return expect == h;
			i--;   /* taken meanwhile by another message: look at it again */
		}
	}
	return false;   /* full: reported again by children, never lost */
}

static bool quiet;

void ts_log_quiet(bool on)
{
	quiet = on;
}

void ts_warn_config(const char *fmt, ...)
{
	if (quiet)
		return;
	char msg[480];
	va_list ap;
	va_start(ap, fmt);
	format(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (remember(hash(msg)) && ts_log_level < TS_LOG_WARN)
		return;
	emit_text(msg);
}

void ts_warn_config_known(const char *fmt, ...)
{
	char msg[480];
	va_list ap;
	va_start(ap, fmt);
	format(msg, sizeof msg, fmt, ap);
	va_end(ap);
	(void)remember(hash(msg));
}

void ts_log_inherit(const char *list)
{
	for (const char *p = list; p && *p;) {
		char *end;
		unsigned long h = strtoul(p, &end, 16);
		if (end == p || (*end && *end != ','))
			return;   /* not ours: ignored */
		if (h && h <= UINT32_MAX)
			remember((uint32_t)h);
		p = *end ? end + 1 : end;
	}
}

size_t ts_log_reported(char *out, size_t cap)
{
	size_t len = 0;
	if (cap)
		out[0] = 0;
	for (int i = 0; i < REPORTED_MAX; i++) {
		uint32_t h = atomic_load(&reported[i]);
		if (!h)
			break;
		int n = snprintf(out + len, cap - len, "%s%08x", len ? "," : "", h);
		if (n < 0 || (size_t)n >= cap - len) {
			out[len] = 0;
			break;
		}
		len += (size_t)n;
	}
	return len;
}

void ts_log_reset(int level)
{
	atomic_store(&unsaid_len, 0);
	for (int i = 0; i < REPORTED_MAX; i++)
		atomic_store(&reported[i], 0);
	capture = NULL;
	capture_cap = 0;
	capture_len = NULL;
	ts_log_level = level;
}
