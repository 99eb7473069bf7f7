/* The trace file's ClockSnapshot (BOOTTIME and REALTIME read together, so
 * the UI can show wall time), written once per process.
 *
 * Perfetto's importer reads the snapshots in file order and rejects one whose
 * BOOTTIME (the trace clock) is below an earlier one's: "the trace clock is
 * not monotonic", stat invalid_clock_snapshots, an import error. Every traced
 * process appends its own snapshot to a file that others may be appending to
 * at the same moment: the processes of a tree, unrelated programs given one
 * TRACESHIM_OUTPUT, after what earlier runs left there. Clocks read when a
 * process starts and written at its first flush land after the snapshot of a
 * process that read its clocks later but wrote first.
 *
 * So the clocks are read immediately before the write, while this process
 * holds an exclusive lock on the file, and the lock is released once the
 * snapshot is written. Snapshots then reach the file in the order their
 * clocks were read, and BOOTTIME is one clock for the whole machine (an
 * earlier run wrote its snapshots before, with earlier readings; only a file
 * kept across a reboot, where BOOTTIME starts again, still goes back).
 *
 * The lock is a POSIX record lock because it belongs to a process: processes
 * forked without exec share the file's open file description, which flock()
 * and OFD locks treat as a single owner. (Its one weakness, that a process
 * closing any descriptor of the file drops it, needs the program itself to
 * have the trace file open.) It is only tried, for a few milliseconds at
 * most: a writer never blocks on it. When it cannot be had, the snapshot
 * waits for a later batch; a file system without locks gets no snapshot at
 * all. Either way nothing but the wall-clock labels is lost: the
 * trace's timestamps are BOOTTIME already. */
#include "snapshot.h"

#include "clock.h"
#include "log.h"
#include "perfetto.h"
#include "rawsys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Other writers hold the lock for two clock reads and one small write. */
#define LOCK_TRIES 20
#define LOCK_RETRY_NS 500000L

static bool owed;
static uint32_t owed_sequence;
static struct pb packet;

void ts_snapshot_owe(uint32_t sequence)
{
	owed = true;
	owed_sequence = sequence;
}

/* 32-bit systems take 64-bit offsets (struct flock with the large-file
 * build) through fcntl64. */
static long lock_call(int fd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};   /* the whole file */
#ifdef SYS_fcntl64
	return ts_syscall(SYS_fcntl64, fd, F_SETLK, &fl);
#else
	return ts_syscall(SYS_fcntl, fd, F_SETLK, &fl);
#endif
}

/* 1: locked; 0: busy (try with a later batch); -1: the file cannot be locked. */
static int try_lock(int fd)
{
	for (int i = 0; i < LOCK_TRIES; i++) {
		if (lock_call(fd, F_WRLCK) == 0)
			return 1;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		struct timespec pause = {0, LOCK_RETRY_NS};
		ts_sys_nanosleep(&pause, NULL);
	}
	return 0;
}

void ts_snapshot_write(int fd)
{
	if (!owed || fd < 0)
		return;
	int saved = errno;
	int locked = try_lock(fd);
	if (locked < 0) {
		TS_INFO("cannot lock the trace file (%s): it gets no clock snapshot (no wall time)",
			strerror(errno));
		owed = false;
	} else if (locked) {
		pb_clear(&packet);
		uint64_t boot = ts_clock_boottime_ns();
		ts_pf_clock_snapshot(&packet, owed_sequence, boot,
				     (uint64_t)((int64_t)boot + ts_clock_unix_offset_ns()));
		if (pb_ok(&packet)) {
			/* One small write: whole or not at all, even on a pipe. */
			ssize_t w;
			do
				w = ts_syscall(SYS_write, fd, packet.data, packet.len);
			while (w < 0 && errno == EINTR);
			if (w >= 0 || errno != EAGAIN)
				owed = false;   /* written, or the batch's write reports the error */
		}
		lock_call(fd, F_UNLCK);
	}
	errno = saved;
}

void ts_snapshot_reset(void)
{
	owed = false;
	owed_sequence = 0;
}
