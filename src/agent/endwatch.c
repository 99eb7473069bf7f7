/* How a served process ended when it went without a word. The shim tells
 * the segment itself how the process ends when it sees the end: exit(),
 * _exit(), _Exit(), a return from main and every default-fatal signal its
 * handler takes (interpose/process.c, interpose/signal.c). It cannot see
 * SIGKILL, the exit_group system call made directly, nor a signal whose
 * default action was put back behind its back (the rt_sigaction system
 * call): only these ends come here.
 *
 * The worker is not the process's parent, so it cannot wait for it. A thread
 * of the worker waits on a pidfd and, the moment the process dies, reads
 * its wait status: from /proc/<pid>/stat (field 52, exit_code, Linux >= 3.5)
 * while it is a zombie, or, once its parent has reaped it, from the pidfd
 * (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux >= 6.15). Both files are
 * opened before it is reaped and stay bound to it, not to its pid
 * number, so a later process with the same pid is never read. The agent
 * opens them the moment it sees the segment, before it forks the worker:
 * a short-lived process may be dead and reaped by the time the worker runs,
 * and then nothing tells how it ended. Before Linux 6.15 the status is
 * gone with the zombie, so the read races the parent: a thread that does
 * nothing else reads it the moment the pidfd fires, which wins while the
 * parent is busy elsewhere, but mostly loses to a parent already blocked in
 * wait() (a shell, `traceshim run`): such an end is then taken for SIGKILL,
 * as it always was. Then the thread wakes the worker, which drains what is
 * left without waiting for its next turn. */
#include "endwatch.h"

#include "procinfo.h"
#include "rawsys.h"
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The first version of struct pidfd_info (linux/pidfd.h, Linux 6.13;
 * exit_code filled in since 6.15), for headers that predate it. */
struct pidfd_info0 {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
_Static_assert(sizeof(struct pidfd_info0) == 64, "PIDFD_INFO_SIZE_VER0");
#define INFO_EXIT (1ull << 3)
#define GET_INFO _IOWR(0xFF, 11, struct pidfd_info0)

static int pidfd = -1, statfd = -1;
static pid_t pinned;           /* whose they are */
/* exit_code reads 0 to a reader that may not ptrace the process: a 0 means
 * exit code 0 only when the process was seen readable while it lived. */
static bool stat_readable;
static _Atomic uint32_t *wake_word;
static bool watching;            /* the thread runs; it alone reads the status */
static pthread_t watcher;
static int stopfd = -1;          /* an eventfd: the watcher is to stop */
static _Atomic bool ended;       /* set once status is */
static _Atomic int status = -1;

/* /proc/<pid>/stat read from fd into buf: its last ')', which ends the
 * command name (that name may hold spaces and parentheses itself). */
static const char *read_stat(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);
	if (n <= 0 || (size_t)n == size - 1)   /* gone, or not the whole line */
		return NULL;
	buf[n] = 0;
	return strrchr(buf, ')');
}

/* Field n (from 1, as proc(5) counts) of a stat line past its ')'. */
static bool stat_field(const char *paren, int n, long long *value)
{
	const char *p = paren;
	for (int field = 2; p && field < n; field++)
		p = strchr(p + 1, ' ');
	if (!p || p[1] < '0' || p[1] > '9')
		return false;
	char *end;
	errno = 0;
	*value = strtoll(p + 1, &end, 10);
	return !errno && (*end == ' ' || *end == '\n' || !*end);
}

/* The process's start (BOOTTIME ns, to /proc's 10 ms), 0 when unknown. */
static uint64_t start_ns_of(const char *paren)
{
	long long ticks = 0;
	if (!paren || !stat_field(paren, 22, &ticks) || ticks <= 0)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (uint64_t)ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

bool ts_endwatch_made_by(uint64_t process_start_ns, uint64_t segment_ns)
{
	return process_start_ns <= segment_ns + 20000000ull;   /* /proc's tick, twice */
}

uint64_t ts_endwatch_start_of(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	uint64_t ns = start_ns_of(read_stat(fd, buf, sizeof buf));
	close(fd);
	return ns;
}

static int from_wait_status(long long w)
{
	if (w < 0 || w > 0xffff)
		return -1;
	if (WIFEXITED((int)w))
		return WEXITSTATUS((int)w);
	if (WIFSIGNALED((int)w))
		return TS_EXIT_SIGNAL | WTERMSIG((int)w);
	return -1;
}

/* While it is a zombie. */
static int status_from_stat(void)
{
	char buf[2048];
	const char *paren = statfd >= 0 ? read_stat(statfd, buf, sizeof buf) : NULL;
	long long w;
	/* Field 3 is the state: only a dead process has its final status. */
	if (!paren || paren[1] != ' ' || (paren[2] != 'Z' && paren[2] != 'X') ||
	    !stat_field(paren, 52, &w))
		return -1;
	if (w == 0 && !stat_readable)
		return -1;
	return from_wait_status(w);
}

/* Once reaped (the kernel keeps it with the pidfd). */
static int status_from_pidfd(void)
{
	struct pidfd_info0 info;
	memset(&info, 0, sizeof info);
	info.mask = INFO_EXIT;
	if (ioctl(pidfd, GET_INFO, &info) != 0 || !(info.mask & INFO_EXIT))
		return -1;
	return from_wait_status(info.exit_code);
}

static int read_status(void)
{
	int st = status_from_pidfd();
	if (st < 0)
		st = status_from_stat();
	if (st < 0)   /* reaped between the two */
		st = status_from_pidfd();
	return st;
}

static void *watch(void *arg)
{
	(void)arg;
	struct pollfd p[2] = {{pidfd, POLLIN, 0}, {stopfd, POLLIN, 0}};
	for (;;) {
		int n = ts_sys_poll(p, 2, -1);
		if (n > 0 && p[1].revents)
			return NULL;   /* the worker is done with this process */
		if (n > 0)
			break;
		if (errno != EINTR) {
			struct timespec pause = {0, 10000000L};
			ts_sys_nanosleep(&pause, NULL);
		}
	}
	atomic_store(&status, read_status());
	atomic_store_explicit(&ended, true, memory_order_release);
	atomic_fetch_add(wake_word, 1);
	ts_syscall(SYS_futex, wake_word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	return NULL;
}

static bool start_thread(void)
{
	/* Joinable, and told to stop through stopfd: a worker that serves
	 * another process after this one lets it go first. */
	stopfd = eventfd(0, EFD_CLOEXEC);
	if (stopfd < 0)
		return false;
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0) {
		close(stopfd);
		stopfd = -1;
		return false;
	}
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* No signal is ever the watcher's to take. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	bool ok = ts_real_pthread_create(&watcher, &attr, watch, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return ok;
}

void ts_endwatch_pin(pid_t pid)
{
	ts_endwatch_unpin();
	pidfd = (int)ts_syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	statfd = open(path, O_RDONLY | O_CLOEXEC);
	pinned = pid;
}

void ts_endwatch_unpin(void)
{
	if (statfd >= 0)
		close(statfd);
	if (pidfd >= 0)
		close(pidfd);
	statfd = pidfd = -1;
	pinned = 0;
}

bool ts_endwatch_start(pid_t pid, uint64_t started_ns, _Atomic uint32_t *wake)
{
	wake_word = wake;
	if (pinned != pid)
		ts_endwatch_pin(pid);
	if (pidfd < 0)
		return false;
	char buf[2048];
	const char *paren = statfd >= 0 ? read_stat(statfd, buf, sizeof buf) : NULL;
	long long start_code = 0;
	/* Started after its own segment was made: a later process with the
	 * same pid. The pidfd was opened first, so it is that later process's
	 * too, or a dead one. */
	if (!ts_endwatch_made_by(start_ns_of(paren), started_ns)) {
		ts_endwatch_unpin();
		return false;
	}
	/* Field 26, startcode, reads 1 while the process lives to a reader
	 * that may not ptrace it (and 0 once it has no memory left). */
	stat_readable = paren && stat_field(paren, 26, &start_code) && start_code != 1;
	watching = start_thread();
	if (!watching && stopfd >= 0) {
		close(stopfd);
		stopfd = -1;
	}
	return true;
}

void ts_endwatch_adopt(pid_t pid, int pid_fd, int stat_fd)
{
	ts_endwatch_unpin();
	pidfd = pid_fd;
	statfd = stat_fd;
	pinned = pid_fd >= 0 ? pid : 0;
}

void ts_endwatch_pinned(int *pid_fd, int *stat_fd)
{
	*pid_fd = pidfd;
	*stat_fd = statfd;
}

void ts_endwatch_end(void)
{
	if (watching) {
		uint64_t one = 1;
		/* Its end is waited for: it may still bump the wake word, in the
		 * segment about to be unmapped. */
		if (write(stopfd, &one, sizeof one) == sizeof one)
			pthread_join(watcher, NULL);
		else
			pthread_detach(watcher);
	}
	if (stopfd >= 0)
		close(stopfd);
	stopfd = -1;
	watching = false;
	ts_endwatch_unpin();
	stat_readable = false;
	wake_word = NULL;
	atomic_store(&ended, false);
	atomic_store(&status, -1);
}

bool ts_endwatch_gone(void)
{
	if (watching)
		return atomic_load_explicit(&ended, memory_order_acquire);
	if (pidfd < 0)
		return true;
	struct pollfd p = {pidfd, POLLIN, 0};
	return ts_sys_poll(&p, 1, 0) > 0;
}

int ts_endwatch_status(void)
{
	if (!ts_endwatch_gone() || pidfd < 0)
		return -1;
	if (watching)
		return atomic_load(&status);
	return read_status();   /* no thread: read late, it may be reaped by now */
}
