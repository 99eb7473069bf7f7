/* Trace file output. Each batch is written with one write() in O_APPEND mode,
 * so processes sharing the file never interleave inside a packet. Before each
 * write the descriptor is checked to still be the file it was opened as: a
 * program that closed it (close loops, closefrom) and reused the number must
 * never receive trace bytes. */
#include "sink.h"

#include "compress.h"
#include "snapshot.h"
#include "../config.h"
#include "../fdinfo.h"
#include "../log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static dev_t file_dev;
static ino_t file_ino;
static bool open_failed;
/* Held while the descriptor is checked and written, and while it is moved. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;

/* Where to park the descriptor: above the numbers programs usually take, but
 * inside the kernel's initial table of 64. Growing that table in a threaded
 * process waits for an RCU grace period (about 15 ms here), which would cost
 * every traced process that much at its first flush. */
static int high_fd_floor(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 64)
		return 3;
	return 40;
}

static bool open_file(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, ts_cfg.output,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (!open_failed)
			ts_warn_config("cannot open trace file %s: %s", ts_cfg.output, strerror(errno));
		open_failed = true;
		return false;
	}
	int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, high_fd_floor());
	if (high >= 0) {
		syscall(SYS_close, fd);
		fd = high;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		syscall(SYS_close, fd);
		return false;
	}
	file_dev = st.st_dev;
	file_ino = st.st_ino;
	atomic_store(&ts_private_fd, fd);
	return true;
}

/* True when our descriptor still refers to the trace file. */
static bool still_ours(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == file_dev && st.st_ino == file_ino;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = syscall(SYS_write, fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

bool ts_sink_write(struct pb *batch)
{
	if (!batch->len)
		return true;
	if (batch->failed) {
		TS_WARN("out of memory while encoding: a batch of spans is lost");
		pb_clear(batch);
		return false;
	}
	pthread_mutex_lock(&sink_lock);
	bool ok = false;
	int fd = atomic_load(&ts_private_fd);
	if (fd >= 0 && !still_ours(fd)) {
		TS_INFO("trace descriptor %d was closed or replaced by the program; reopening", fd);
		atomic_store(&ts_private_fd, -1);
		fd = -1;
	}
	if (fd >= 0 || (!open_failed && open_file())) {
		fd = atomic_load(&ts_private_fd);
		const struct pb *out = ts_cfg.compress ? ts_compress_batch(batch) : batch;
		ts_snapshot_write(fd);   /* clock snapshot, when owed: see snapshot.c */
		ok = write_all(fd, out->data, out->len);
		if (!ok)
			TS_WARN("writing %s failed: %s", ts_cfg.output, strerror(errno));
	}
	pthread_mutex_unlock(&sink_lock);
	pb_clear(batch);
	return ok;
}

void ts_sink_after_fork(void)
{
	pthread_mutex_init(&sink_lock, NULL);
	ts_compress_after_fork();
}

void ts_private_fd_evict(int wanted_fd)
{
	(void)ts_private_sock_release(wanted_fd);
	if (atomic_load(&ts_private_fd) != wanted_fd)
		return;
	pthread_mutex_lock(&sink_lock);
	int fd = atomic_load(&ts_private_fd);
	if (fd < 0 || fd != wanted_fd) {
		pthread_mutex_unlock(&sink_lock);
		return;
	}
	int moved = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1);
	if (moved < 0)
		moved = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
	atomic_store(&ts_private_fd, moved);
	pthread_mutex_unlock(&sink_lock);
	/* The program's dup2() now replaces the old number. */
}
