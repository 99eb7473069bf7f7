/* Per-process span counts for the summary, and the block each process
 * appends to the run's summary file:
 *   P pid ppid duration exit failed end name  the process (end: BOOTTIME ns)
 *   A kind count errors total max bytes name  one span name
 *   S duration name                           one of its slowest spans
 *   F name error-type message count           its failed spans of one kind
 * Fields are separated by tabs; names have tabs and newlines replaced. */
#include "summary.h"

#include "config.h"
#include "fdtable.h"
#include "ids.h"
#include "large.h"
#include "log.h"
#include "rawfs.h"
#include "rawsys.h"
#include "safeopen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Last: the streams here are the shim's own, never traced. */
#define TS_OWNSTDIO_NAMES
#include "ownstdio.h"

#define NAMES 256          /* distinct span names counted per process */
#define SLOWEST 5
#define FAILED 20

struct agg {
	char name[64];
	uint8_t kind;
	uint64_t count, errors, total_ns, max_ns, bytes;
};

struct slow {
	uint64_t dur;
	char name[64];
};

struct failed {
	char name[64], type[32], msg[96];
	uint64_t count;
};

static bool enabled, execing;
static long root_pid;              /* the process that prints the report */
static TS_LARGE char path[PATH_MAX];
static TS_LARGE char child_env[2][PATH_MAX + 32];
static TS_LARGE struct agg aggs[NAMES];
static unsigned naggs, nfailed;
static uint64_t other_failed;
static struct slow slowest[SLOWEST];
static TS_LARGE struct failed failed[FAILED];
static struct {
	char name[64];
	int pid, ppid, exit;
	bool failed;
	uint64_t start, end;
} proc;

static void copy_clean(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < cap; i++)
		dst[i] = (src[i] == '\t' || src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
	dst[i] = 0;
}

const char *ts_summary_init(bool on)
{
	enabled = on;
	if (!on)
		return NULL;
	const char *given = ts_env("TRACESHIM_SUMMARY_FILE");
	const char *root = ts_env("TRACESHIM_SUMMARY_ROOT");
	if (given && root) {
		snprintf(path, sizeof path, "%s", given);
		root_pid = atol(root);
		return path;
	}
	/* The first process of the run: it makes the file and prints the report. */
	const char *dir = ts_env("TMPDIR");
	snprintf(path, sizeof path, "%s/traceshim-summary.%ld.%lx", dir ? dir : "/tmp",
		 (long)ts_syscall(SYS_getpid), (unsigned long)(ts_ids.seed & 0xffffffffu));
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ts_warn_config("cannot create the summary file %s: %s", path, strerror(errno));
		enabled = false;
		return NULL;
	}
	ts_syscall(SYS_close, fd);
	root_pid = (long)ts_syscall(SYS_getpid);
	return path;
}

/* On the program's stderr; this runs on the background thread, whose
 * descriptor table is its own (its stderr is /dev/null). */
static void report(void)
{
	int fd = ts_fd_stderr();
	if (fd == 2) {
		ts_summary_report(path, stderr);
		return;
	}
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		ts_fd_give_back(fd);
		return;
	}
	ts_summary_report(path, out);
	fclose(out);
}

const char *ts_summary_child_env(int i)
{
	if (!enabled || i < 0 || i > 1)
		return NULL;
	if (i == 0)
		snprintf(child_env[0], sizeof child_env[0], "TRACESHIM_SUMMARY_FILE=%s", path);
	else
		snprintf(child_env[1], sizeof child_env[1], "TRACESHIM_SUMMARY_ROOT=%ld", root_pid);
	return child_env[i];
}

void ts_summary_exec(bool pending)
{
	execing = pending;
}

void ts_summary_reset(void)
{
	/* Only what was used: a forked child of a process that kept no summary
	 * would otherwise fault in the whole tables just to zero them. */
	memset(aggs, 0, naggs * sizeof *aggs);
	if (slowest[0].dur)
		memset(slowest, 0, sizeof slowest);
	naggs = nfailed = 0;
	other_failed = 0;
	memset(&proc, 0, sizeof proc);
}

void ts_summary_forget(void)
{
	ts_summary_reset();
	enabled = execing = false;
	root_pid = 0;
	path[0] = 0;
}

static int64_t attr_int(const struct ts_span *s, const char *key)
{
	for (unsigned i = 0; i < s->nattrs; i++)
		if (s->attrs[i].type == TS_VAL_INT && !strcmp(s->attrs[i].key, key))
			return s->attrs[i].v.i;
	return 0;
}

static struct agg *agg_of(const char *name, uint8_t kind)
{
	for (unsigned i = 0; i < naggs; i++)
		if (aggs[i].kind == kind && !strncmp(aggs[i].name, name, sizeof aggs[i].name - 1))
			return &aggs[i];
	if (naggs == NAMES)
		return NULL;
	struct agg *a = &aggs[naggs++];
	copy_clean(a->name, sizeof a->name, name);
	a->kind = kind;
	return a;
}

/* Failures are counted per span name and error type (a compiler's header
 * search fails the same way dozens of times). */
static void count_failure(const struct ts_span *s)
{
	char name[64], type[32];
	copy_clean(name, sizeof name, s->name);
	copy_clean(type, sizeof type, s->error_type ? s->error_type : "error");
	for (unsigned i = 0; i < nfailed; i++)
		if (!strcmp(failed[i].name, name) && !strcmp(failed[i].type, type)) {
			failed[i].count++;
			return;
		}
	if (nfailed == FAILED) {
		other_failed++;
		return;
	}
	struct failed *f = &failed[nfailed++];
	memcpy(f->name, name, sizeof name);
	memcpy(f->type, type, sizeof type);
	copy_clean(f->msg, sizeof f->msg, s->status_message);
	f->count = 1;
}

void ts_summary_span(const struct ts_span *s)
{
	if (!enabled || !s->name)
		return;
	uint64_t dur = s->end_ns - s->start_ns;
	struct agg *a = agg_of(s->name, s->kind);
	if (a) {
		a->count++;
		a->total_ns += dur;
		if (dur > a->max_ns)
			a->max_ns = dur;
		int64_t bytes = attr_int(s, "traceshim.io.bytes");
		a->bytes += bytes > 0 ? (uint64_t)bytes : 0;
		a->errors += s->status == TS_STATUS_ERROR;
	}
	if (s->status == TS_STATUS_ERROR)
		count_failure(s);
	/* Keep the slowest few, sorted longest first. */
	if (dur <= slowest[SLOWEST - 1].dur)
		return;
	int i = SLOWEST - 1;
	for (; i > 0 && slowest[i - 1].dur < dur; i--)
		slowest[i] = slowest[i - 1];
	slowest[i].dur = dur;
	copy_clean(slowest[i].name, sizeof slowest[i].name, s->name);
}

void ts_summary_process(const char *name, int pid, int ppid, uint64_t start_ns)
{
	copy_clean(proc.name, sizeof proc.name, name);
	proc.pid = pid;
	proc.ppid = ppid;
	proc.start = start_ns;
	proc.exit = -1;
}

void ts_summary_process_end(uint64_t end_ns, int exit_code, bool failed_)
{
	proc.end = end_ns;
	proc.exit = exit_code;
	proc.failed = failed_;
}

void ts_summary_finish(void)
{
	if (!enabled || !proc.pid)
		return;
	size_t cap = 4096 + naggs * 160u + SLOWEST * 96u + nfailed * 220u;
	char *buf = malloc(cap);
	if (!buf)
		return;
	size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__))
	PUT("P\t%d\t%d\t%llu\t%d\t%d\t%llu\t%s\n", proc.pid, proc.ppid,
	    (unsigned long long)(proc.end - proc.start), proc.exit, proc.failed,
	    (unsigned long long)proc.end, proc.name);
	for (unsigned i = 0; i < naggs; i++)
		PUT("A\t%u\t%llu\t%llu\t%llu\t%llu\t%llu\t%s\n", aggs[i].kind,
		    (unsigned long long)aggs[i].count, (unsigned long long)aggs[i].errors,
		    (unsigned long long)aggs[i].total_ns, (unsigned long long)aggs[i].max_ns,
		    (unsigned long long)aggs[i].bytes, aggs[i].name);
	for (int i = 0; i < SLOWEST && slowest[i].dur; i++)
		PUT("S\t%llu\t%s\n", (unsigned long long)slowest[i].dur, slowest[i].name);
	for (unsigned i = 0; i < nfailed; i++)
		PUT("F\t%s\t%s\t%s\t%llu\n", failed[i].name, failed[i].type, failed[i].msg,
		    (unsigned long long)failed[i].count);
	if (other_failed)
		PUT("F\tother spans\terror\t\t%llu\n", (unsigned long long)other_failed);
#undef PUT
	if (n >= cap)
		n = cap - 1;
	/* One write in append mode: blocks of processes ending together never mix. */
	char why[160];
	int fd = ts_open_output(path, O_WRONLY | O_APPEND, 0, 0, why, sizeof why);
	if (fd >= 0) {
		(void)!ts_syscall(SYS_write, fd, buf, n);
		ts_syscall(SYS_close, fd);
	} else {
		TS_WARN("cannot append to the summary file %s: %s", path, why);
	}
	free(buf);
	/* The process that began the run reports when it ends, not when it
	 * becomes another program (exec keeps the pid). */
	if (!execing && ts_syscall(SYS_getpid) == root_pid) {
		report();
		ts_sys_unlink(path);
	}
}
