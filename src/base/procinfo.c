/* The traced process's identity and end (see procinfo.h). */
#include "procinfo.h"

#include "large.h"
#include "rawfs.h"
#include "rawsys.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t ts_process_start_ticks;
static _Atomic int exit_status = -1;
static pid_t owner;

static bool fixed;   /* set by a worker */
static pid_t fixed_pid, fixed_ppid;
static TS_LARGE char exe[4096];
static TS_LARGE char args[4096];
static size_t args_len;
static pid_t read_for;   /* the pid exe and args were read in (in-process) */

pid_t ts_proc_pid(void)
{
	return fixed ? fixed_pid : (pid_t)ts_syscall(SYS_getpid);
}

static pid_t forked_by;   /* the parent this process was forked by, 0: unknown */

pid_t ts_proc_ppid(void)
{
	return fixed ? fixed_ppid : forked_by ? forked_by : getppid();
}

/* The executable of this image: a fork keeps it, only exec changes it
 * (and with it this memory), so /proc is asked once per image. */
static TS_LARGE char self_exe[4096];
static _Atomic int self_exe_state;   /* 0 unread, 1 being read, 2 read */

void ts_proc_self_exe(char *buf, size_t cap)
{
	int st = atomic_load_explicit(&self_exe_state, memory_order_acquire);
	int expect = 0;
	if (st == 0 && atomic_compare_exchange_strong(&self_exe_state, &expect, 1)) {
		ssize_t n = ts_sys_readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
		self_exe[n > 0 ? n : 0] = 0;
		atomic_store_explicit(&self_exe_state, 2, memory_order_release);
		st = 2;
	}
	if (cap && (st == 2 || atomic_load_explicit(&self_exe_state, memory_order_acquire) == 2)) {
		size_t n = strnlen(self_exe, cap - 1);
		memcpy(buf, self_exe, n);
		buf[n] = 0;
		return;
	}
	/* Another thread, or the code a handler interrupted, is reading it. */
	ssize_t n = cap ? ts_sys_readlink("/proc/self/exe", buf, cap - 1) : -1;
	if (cap)
		buf[n > 0 ? n : 0] = 0;
}

/* In-process: read once per process (a forked child reads again). */
static void read_self(void)
{
	pid_t pid = (pid_t)ts_syscall(SYS_getpid);
	if (fixed || read_for == pid)
		return;
	ts_proc_self_exe(exe, sizeof exe);
	args_len = 0;
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t got = ts_syscall(SYS_read, fd, args, sizeof args);
		args_len = got > 0 ? (size_t)got : 0;
		ts_syscall(SYS_close, fd);
	}
	read_for = pid;
}

const char *ts_proc_exe(void)
{
	read_self();
	return exe;
}

const char *ts_proc_args(size_t *len)
{
	read_self();
	*len = args_len;
	return args;
}

void ts_proc_set(pid_t pid, pid_t ppid, const char *e, const char *a, size_t a_len)
{
	fixed = pid != 0;
	read_for = 0;
	fixed_pid = pid;
	fixed_ppid = ppid;
	snprintf(exe, sizeof exe, "%s", e);
	args_len = a_len < sizeof args ? a_len : sizeof args;
	memcpy(args, a, args_len);
}

void ts_proc_set_owner(pid_t pid)
{
	owner = pid;
}

void ts_proc_forked(pid_t pid, pid_t parent)
{
	owner = pid;
	forked_by = parent;
}

void ts_set_exit_status(int status)
{
	/* A vfork child shares this memory: its exit is not ours. */
	if (owner && ts_syscall(SYS_getpid) != owner)
		return;
	atomic_store(&exit_status, status);
}

int ts_exit_status(void)
{
	return atomic_load(&exit_status);
}
