/* The background thread's own descriptor table (see fdtable.h). */
#include "fdtable.h"

#include "rawfs.h"
#include "rawsys.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Set on the background thread once it has a table of its own. */
static __thread bool private_table __attribute__((tls_model("initial-exec")));
static int program_pidfd = -1;   /* in that table */
static bool stdin_filler;         /* 0 is /dev/null there: see ts_fd_make_room */

/* After unshare(): every copy of the program's descriptors goes, so none
 * keeps a pipe or socket of the program open. */
static void close_copies(void)
{
	if (ts_syscall(SYS_close_range, 0u, ~0u, 0) == 0)
		return;
	/* Read with system calls: opendir() is the library's own wrapper. */
	int dir = (int)ts_syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/fd",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		struct rlimit rl;
		unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ?
			(unsigned)rl.rlim_cur : 65536;
		for (unsigned fd = 0; fd < max; fd++)
			ts_syscall(SYS_close, fd);
		return;
	}
	char buf[1024] __attribute__((aligned(8)));
	for (long n; (n = ts_sys_getdents64(dir, buf, sizeof buf)) > 0;) {
		long at = 0;
		for (const char *name; (name = ts_dirent_next(buf, n, &at));)
			if (name[0] != '.' && atoi(name) != dir)
				ts_syscall(SYS_close, atoi(name));
	}
	ts_syscall(SYS_close, dir);
}

bool ts_fd_table_private(bool borrow)
{
	/* Linux 5.9 makes the new table without copying any descriptor;
	 * before, unshare copies them and they are closed. */
	if (ts_syscall(SYS_close_range, 0u, ~0u, CLOSE_RANGE_UNSHARE) != 0) {
		if (ts_syscall(SYS_unshare, CLONE_FILES) != 0)
			return false;
		close_copies();
	}
	/* 0, 1 and 2 on /dev/null: what a library prints from this thread
	 * (glibc's fatal messages, say) must never land in the trace file or a
	 * socket that took the number. (A sanitizer's report from here goes
	 * to its log_path.) */
	for (int i = 0; i < 3; i++) {
		long got = ts_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
		if (got < 0)
			break;
		stdin_filler |= got == 0;
	}
	private_table = true;
	if (borrow)
		program_pidfd = (int)ts_syscall(SYS_pidfd_open, (pid_t)ts_syscall(SYS_getpid), 0);
	return true;
}

bool ts_fd_make_room(void)
{
	/* The table has the program's descriptor limit (a thread cannot have a
	 * limit of its own, and raising the process's would change what the
	 * program sees). Standard input is the one filler nothing writes to:
	 * the trace file may take its number. */
	if (!private_table || !stdin_filler)
		return false;
	stdin_filler = false;
	return ts_syscall(SYS_close, 0) == 0;
}

bool ts_fd_private(void)
{
	return private_table;
}

/* A consumer in another process (ts_fd_borrow_from). */
static bool foreign_table;

void ts_fd_borrow_from(int pid)
{
	if (program_pidfd >= 0)
		ts_syscall(SYS_close, program_pidfd);
	/* 0, 1 and 2 taken, so that no borrowed descriptor is one of them. */
	for (int i = 0; i < 3; i++)
		if (ts_syscall(SYS_fcntl, i, F_GETFD) < 0)
			ts_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
	program_pidfd = (int)ts_syscall(SYS_pidfd_open, (pid_t)pid, 0);
	foreign_table = true;
}

int ts_fd_borrow(int fd)
{
	if (!private_table && !foreign_table)
		return fd;
	return program_pidfd >= 0 ? (int)ts_syscall(SYS_pidfd_getfd, program_pidfd, fd, 0) : -1;
}

/* What stderr was when the process started (0: not noted, 1: noted, 2:
 * closed then). */
static int stderr_noted;
static dev_t stderr_dev;
static ino_t stderr_ino;

void ts_fd_note_stderr(void)
{
	struct stat st;
	if (ts_sys_fstat(2, &st) != 0) {
		stderr_noted = 2;
		return;
	}
	stderr_dev = st.st_dev;
	stderr_ino = st.st_ino;
	stderr_noted = 1;
}

static bool stderr_unchanged(int fd)
{
	struct stat st;
	return !stderr_noted || (stderr_noted == 1 && ts_sys_fstat(fd, &st) == 0 &&
				 st.st_dev == stderr_dev && st.st_ino == stderr_ino);
}

int ts_fd_stderr(void)
{
	if (foreign_table)
		return 2;   /* the worker's own: what it says also reaches the program's (log.h) */
	int local = ts_fd_borrow(2);
	if (local < 0 && private_table)
		local = (int)ts_syscall(SYS_openat, AT_FDCWD, "/proc/self/fd/2",
				     O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
	if (local >= 0 && !stderr_unchanged(local)) {
		ts_fd_give_back(local);
		return -1;
	}
	return local;
}

void ts_fd_give_back(int local)
{
	/* A worker's borrowed descriptors are above its own 0, 1 and 2. */
	if (local >= 0 && (private_table || (foreign_table && local > 2)))
		ts_syscall(SYS_close, local);
}
