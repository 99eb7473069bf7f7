/* Trace file output. The background thread opens the file as it starts,
 * before main runs, in its own descriptor table (see ts_fd_table_private):
 * a chroot or seccomp filter later cannot lose the trace, and the program
 * never sees, closes or inherits the descriptor. It is opened non-blocking
 * (a FIFO nobody reads never holds the process), never through a symbolic
 * link, never into a file another user owns. Each batch is written with one
 * write() in O_APPEND mode, so processes sharing the file never interleave
 * inside a packet. A write that fails, or stops part way, ends the file's
 * use: a torn packet would make everything after it unreadable. That is
 * said once on stderr, with the reason and the spans lost. */
#include "sink.h"

#include "clock.h"
#include "compress.h"
#include "config.h"
#include "context.h"
#include "fdtable.h"
#include "log.h"
#include "rawfs.h"
#include "rawsys.h"
#include "rlimits.h"
#include "safeopen.h"
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* More than a clock snapshot packet takes (snapshot.c). */
#define SNAPSHOT_ROOM 128

#define OUTPUT_FLAGS (O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK)

static int fd = -1;
/* The descriptor table is shared with the program (the kernel refused a
 * private one): the file is opened for each write and closed after it, so
 * no descriptor of ours stays where the program can reach it. */
static bool shared_table;
static bool given_up;               /* nothing more is written */
static unsigned long batch_spans;   /* spans in the batch being filled */
/* CLOCK_MONOTONIC ms after which a reader that takes nothing is not waited
 * for (0: no limit); set when the process exits. */
static _Atomic uint64_t give_up_ms;

#define NO_SPAN_WRITTEN "cannot write the trace to %s: %s; no span of this process is written"

static int open_output(char *why, size_t cap)
{
	int f = ts_open_output(ts_cfg.output, OUTPUT_FLAGS, 0644, TS_OPEN_FIFO | TS_OPEN_CHR, why, cap);
	if (f < 0 && errno == EMFILE && !shared_table && ts_fd_make_room())
		f = ts_open_output(ts_cfg.output, OUTPUT_FLAGS, 0644, TS_OPEN_FIFO | TS_OPEN_CHR, why,
				   cap);
	if (f < 0 && errno == ENXIO)
		snprintf(why, cap, "a FIFO that no process has open for reading");
	return f;
}

bool ts_sink_open(bool private_table)
{
	char why[160];
	shared_table = !private_table;
	if (given_up)
		return false;   /* a forked child: the parent said why */
	int f = open_output(why, sizeof why);
	if (f < 0) {
		given_up = true;
		bool denied = errno == EACCES || errno == EPERM;
		if (ts_ctx.parent_traced || (denied && ts_tree_of_another_user(ts_cfg.output))) {
			/* A traced program started this process, whose file
			 * its parent could write; or this process runs with
			 * other credentials than the tree's file owner (it
			 * dropped privileges, or it is set-uid). It cannot
			 * write the file because of what it, or its parent,
			 * did: other credentials, a chroot, a seccomp filter
			 * (man-db's helpers), another mount namespace. Not a
			 * misconfiguration to put on the program's stderr. */
			TS_INFO("cannot write the trace to %s: %s; this process of the traced tree "
				"(other credentials, another root, a sandbox) writes none of its spans",
				ts_cfg.output, why);
			/* Nor for a program it starts, which may not see why. */
			ts_warn_config_known(NO_SPAN_WRITTEN, ts_cfg.output, why);
			return false;
		}
		ts_warn_config(NO_SPAN_WRITTEN, ts_cfg.output, why);
		return false;
	}
	if (shared_table)
		ts_syscall(SYS_close, f);
	else
		fd = f;
	return true;
}

void ts_sink_span_added(void)
{
	batch_spans++;
}

void ts_sink_give_up_at(uint64_t monotonic_ms)
{
	atomic_store(&give_up_ms, monotonic_ms);
}

static uint64_t (*deadline_hook)(void);

void ts_sink_deadline_hook(uint64_t (*hook)(void))
{
	deadline_hook = hook;
}

/* Waits until f takes more bytes; false once the exit deadline has passed. */
static bool wait_writable(int f)
{
	for (;;) {
		if (!atomic_load(&give_up_ms) && deadline_hook)
			atomic_store(&give_up_ms, deadline_hook());
		uint64_t limit = atomic_load(&give_up_ms), now = ts_clock_monotonic_ms();
		if (limit && now >= limit)
			return false;
		/* Short steps: the deadline may be set while this waits. */
		int step = limit && limit - now < 100 ? (int)(limit - now) : 100;
		struct pollfd p = {.fd = f, .events = POLLOUT};
		if (ts_sys_poll(&p, 1, step) > 0)
			return true;
	}
}

/* Writes all n bytes; on failure, why holds the reason. */
static bool write_all(int f, const uint8_t *p, size_t n, char *why, size_t cap)
{
	while (n) {
		ssize_t w = ts_syscall(SYS_write, f, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN) {
			if (!wait_writable(f)) {
				snprintf(why, cap, "nothing read from it until the process exited");
				return false;
			}
		} else {
			snprintf(why, cap, "%s", w < 0 ? strerror(errno) : "no byte written");
			return false;
		}
	}
	return true;
}

bool ts_sink_write(struct pb *batch)
{
	if (!batch->len)
		return true;
	unsigned long spans = batch_spans;
	batch_spans = 0;
	if (batch->failed) {
		TS_WARN("out of memory while encoding: a batch of spans is lost");
		pb_clear(batch);
		return false;
	}
	if (given_up) {
		pb_clear(batch);
		return false;
	}
	char why[160];
	bool ok = false;
	int f = shared_table ? open_output(why, sizeof why) : fd;
	if (f >= 0) {
		const struct pb *out = ts_cfg.compress ? ts_compress_batch(batch) : batch;
		/* Past the program's RLIMIT_FSIZE a write is cut and the next one
		 * brings SIGXFSZ: the batch is not written at all (the room is
		 * for the clock snapshot). */
		if (ts_fsize_allows(f, out->len + SNAPSHOT_ROOM)) {
			ts_snapshot_write(f);   /* clock snapshot, when owed: see snapshot.c */
			ok = write_all(f, out->data, out->len, why, sizeof why);
		} else {
			snprintf(why, sizeof why, "it would pass this process's file size limit");
		}
		if (shared_table)
			ts_syscall(SYS_close, f);
	}
	if (!ok) {
		given_up = true;
		ts_warn_config("writing the trace to %s failed (%s): %lu spans lost, and nothing more "
			       "is written to it", ts_cfg.output, why, spans);
	}
	pb_clear(batch);
	return ok;
}

void ts_sink_after_fork(void)
{
	/* The parent's descriptor is in its background thread's table, which
	 * the child does not have: the child's background thread opens the
	 * file again, unless the parent gave it up (and said so). */
	fd = -1;
	batch_spans = 0;
	atomic_store(&give_up_ms, 0);
	ts_compress_after_fork();
}

void ts_sink_reset(void)
{
	if (fd >= 0)
		ts_syscall(SYS_close, fd);
	fd = -1;
	shared_table = given_up = false;
	batch_spans = 0;
	atomic_store(&give_up_ms, 0);
	deadline_hook = NULL;
	ts_snapshot_reset();
}
