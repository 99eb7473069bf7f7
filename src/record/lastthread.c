/* The shim's threads (the background writer, the OTLP exporter and the
 * threads it starts) are threads for glibc too, so without help a program
 * whose last thread ends would never exit: glibc ends the process (exit(0))
 * when the thread that ends is the last one it knows of, and the kernel when
 * no task is left. Here the shim does what they would have:
 *  - glibc's rule: the program's threads are counted as glibc counts them
 *    (the main thread, and each made with pthread_create, until it ends
 *    through glibc: pthread_exit or return from its start routine, when
 *    thread-specific destructors run). The last one calls exit(0) itself,
 *    once the program's own thread-specific destructors have run, where
 *    glibc would have: on that thread, whose descriptor table is the
 *    program's (exit handlers run and stdio is flushed into the program's
 *    files; the background thread's table is its own);
 *  - the kernel's rule: a thread that ends with a raw exit system call (or
 *    is killed alone, as seccomp's strict mode does) is not glibc's business.
 *    When the main thread is a zombie (a read of /proc/self/stat, at most
 *    every 10 ms) and no task but the shim's is left (/proc/self/task), the
 *    background thread writes the trace and the shim's threads leave the same
 *    way, so the kernel ends the process as it would have.
 * While any task of the program runs (even one glibc made for itself, which
 * the count cannot see), nothing is done. */
#include "lastthread.h"

#include "rawsys.h"
#include "registry.h"

#include "clock.h"
#include "log.h"
#include "procinfo.h"
#include "rawfs.h"
#include "resolve.h"
#include "thread.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic int program_threads = 1;   /* glibc's count, the shim's threads left out */
static pthread_key_t counted_key;         /* set on each counted thread */
static _Atomic int key_ready;


static bool tasks_left(bool program_only);

/* Runs when a counted thread ends through glibc, among its thread-specific
 * destructors (value 1), and once more in the next round (value 2) when it
 * is the program's last: by then the program's own destructors have run. */
static bool main_gone_and_alone(void);

/* With an agent, no background thread notices the kernel's rule: the last
 * task says the process ends as it leaves (with status 0, what its thread
 * exit gives the process), through what the process's start-up set. */
static void (*_Atomic alone_ends)(void);

void ts_lastthread_when_alone(void (*ends)(void))
{
	atomic_store(&alone_ends, ends);
}

static void last_task_ends(void (*ends)(void))
{
	TS_DEBUG("the main thread is gone and this is the last task: the process ends");
	ts_set_exit_status(0);
	ends();
}

static void counted_end(void *arg)
{
	if (arg == (void *)1) {
		int before = atomic_fetch_sub(&program_threads, 1);
		void (*ends)(void) = atomic_load(&alone_ends);
		if (before == 1)
			pthread_setspecific(counted_key, (void *)2);
		else if (before == 2 && ends && main_gone_and_alone())
			last_task_ends(ends);
		return;
	}
	/* A task glibc counts and the shim cannot (a thread glibc made for
	 * itself, such as a SIGEV_THREAD timer's) keeps the process, as it
	 * would have; threads just past their own end get a moment to go. */
	struct timespec ms = {0, 1000000};
	for (int i = 0; tasks_left(true); i++) {
		if (i == 10)
			return;
		ts_sys_nanosleep(&ms, NULL);
	}
	TS_DEBUG("the program's last thread ends: exit(0), as glibc does");
	ts_set_exit_status(0);
	ts_real_exit(0);
}

static void mark_counted(void)
{
	if (atomic_load(&key_ready))
		pthread_setspecific(counted_key, (void *)1);
}

void ts_lastthread_setup(void)
{
	if (!atomic_load(&key_ready) && pthread_key_create(&counted_key, counted_end) == 0)
		atomic_store(&key_ready, 1);
}

void ts_lastthread_creating(void)
{
	atomic_fetch_add(&program_threads, 1);
}

void ts_lastthread_create_failed(void)
{
	atomic_fetch_sub(&program_threads, 1);
}

void ts_lastthread_started(void)
{
	mark_counted();
}

void ts_lastthread_after_fork(void)
{
	atomic_store(&program_threads, 1);
	ts_shim_tids_after_fork();
	mark_counted();
}

static bool is_shim(pid_t tid)
{
	return ts_shim_tid(tid);
}

/* The state letter of /proc/self/stat or of a task's stat (0 when
 * unknown), and the number of threads (the zombie main thread included). */
static char stat_of(const char *path, long *threads)
{
	char buf[512];
	/* System calls: open(), read() and close() are the shim's wrappers. */
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = ts_syscall(SYS_read, fd, buf, sizeof buf - 1);
	ts_syscall(SYS_close, fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = strrchr(buf, ')');   /* the name may hold anything */
	if (!p || p[1] != ' ')
		return 0;
	if (threads) {
		/* Field 20; the state is field 3. */
		const char *q = p + 2;
		for (int field = 3; field < 20 && q; field++)
			q = strchr(q + 1, ' ');
		*threads = q ? strtol(q + 1, NULL, 10) : 0;
	}
	return p[2];
}

static char state_of(const char *path)
{
	return stat_of(path, NULL);
}

static long shim_threads(void)
{
	return (long)ts_shim_tids_count();
}

static bool gone(char state)
{
	return state == 'Z' || state == 'X';
}

/* Whether a task other than the caller and the zombie main thread runs:
 * any (true also when it cannot tell), or only the program's. The directory
 * is read with system calls: opendir() is the shim's wrapper, and this runs
 * on the program's threads as they end. */
static bool tasks_left(bool program_only)
{
	int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, "/proc/self/task",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return true;
	pid_t self = (pid_t)ts_syscall(SYS_gettid), pid = (pid_t)ts_syscall(SYS_getpid);
	bool left = false;
	char buf[1024] __attribute__((aligned(8)));
	for (long n; !left && (n = ts_sys_getdents64(fd, buf, sizeof buf)) > 0;) {
		long at = 0;
		for (const char *name; !left && (name = ts_dirent_next(buf, n, &at));) {
			pid_t tid = (pid_t)atoi(name);
			if (tid <= 0 || tid == self || tid == pid || (program_only && is_shim(tid)))
				continue;
			char path[64];
			snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
			left = !gone(state_of(path));
		}
	}
	ts_syscall(SYS_close, fd);
	return left;
}

/* The main thread is a zombie (killed alone, or ended with a raw exit) and
 * no other task is left but the caller: when it ends, so does the process. */
static bool main_gone_and_alone(void)
{
	long threads = 0;
	return gone(stat_of("/proc/self/stat", &threads)) && threads <= 2 + shim_threads() &&
	       !tasks_left(false);
}

bool ts_lastthread_gone(void)
{
	/* The drainer may cycle every millisecond: a look at most every 10. */
	static uint64_t next_look;
	uint64_t now = ts_clock_monotonic_ms();
	if (now < next_look)
		return false;
	next_look = now + 10;
	long threads = 0;
	if (!gone(stat_of("/proc/self/stat", &threads)))
		return false;
	/* More threads than the zombie and the shim's: one of the program's
	 * runs, no need to look at each. A task of the program that runs on
	 * (one glibc made for itself, a clone() of the program's) keeps the
	 * process, as it would without the shim, or ends it later. */
	if (threads > 1 + shim_threads() || tasks_left(true))
		return false;
	TS_DEBUG("no thread of the program is left: the process ends");
	return true;
}

void ts_lastthread_leave(void)
{
	/* The last task leaves as the program's did, and the kernel ends the
	 * process; when the OTLP exporter's thread is there too (it waits
	 * for work forever), the whole group goes at once. */
	if (tasks_left(false))
		ts_syscall(SYS_exit_group, 0);
	for (;;)
		ts_syscall(SYS_exit, 0);
}
