/* Blocking waits for the wait tests (test_waits.py): each one about 60 ms
 * on the main thread, with what ended it printed (results and errno only,
 * so a traced and a plain run print the same):
 *   (no argument) a poll of an empty pipe that times out; a poll, a select
 *     and an epoll_wait that another thread's write ends (a pipe, an
 *     eventfd); a nanosleep, clock_nanosleep, usleep; a waitpid for a child
 *     that sleeps; a futex wait (syscall) another thread wakes; then calls
 *     that return at once (timeout 0, data there already, a futex value
 *     that changed).
 *   eintr: a poll, a nanosleep and a futex wait a signal interrupts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 60

static void report(const char *what, long ret, int err)
{
	printf("%s ret=%ld errno=%s\n", what, ret, err ? strerrorname_np(err) : "0");
	fflush(stdout);
}

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* A thread that writes 8 bytes to fd after WAIT_MS. */
struct later {
	int fd;
	_Atomic uint32_t *word;   /* or wakes this futex word */
};

static void *write_later(void *arg)
{
	struct later *l = arg;
	pause_ms(WAIT_MS);
	if (l->word) {
		atomic_store(l->word, 1);
		syscall(SYS_futex, l->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	} else {
		uint64_t one = 1;
		if (write(l->fd, &one, sizeof one) != (ssize_t)sizeof one)
			perror("write");
	}
	return NULL;
}

static pthread_t start_later(struct later *l)
{
	pthread_t th;
	pthread_create(&th, NULL, write_later, l);
	return th;
}

static void drain(int fd)
{
	uint64_t v;
	if (read(fd, &v, sizeof v) < 0)
		perror("read");
}

static int all(void)
{
	int p[2];
	if (pipe(p) != 0)
		return 1;
	struct pollfd pf = {p[0], POLLIN, 0};
	errno = 0;
	int r = poll(&pf, 1, WAIT_MS);
	report("poll-timeout", r, r < 0 ? errno : 0);

	struct later l = {p[1], NULL};
	pthread_t th = start_later(&l);
	r = poll(&pf, 1, 5000);
	report("poll-pipe", r, r < 0 ? errno : 0);
	pthread_join(th, NULL);
	drain(p[0]);

	int efd = eventfd(0, 0);
	struct later le = {efd, NULL};
	th = start_later(&le);
	struct pollfd pe = {efd, POLLIN, 0};
	r = poll(&pe, 1, -1);
	report("poll-eventfd", r, r < 0 ? errno : 0);
	pthread_join(th, NULL);
	drain(efd);

	th = start_later(&l);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	r = select(p[0] + 1, &rd, NULL, NULL, NULL);
	report("select-pipe", r, r < 0 ? errno : 0);
	pthread_join(th, NULL);
	drain(p[0]);

	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	struct epoll_event got[4];
	th = start_later(&le);
	r = epoll_wait(ep, got, 4, 5000);
	report("epoll_wait", r, r < 0 ? errno : 0);
	pthread_join(th, NULL);
	drain(efd);

	struct timespec ts = {0, WAIT_MS * 1000000L};
	r = nanosleep(&ts, NULL);
	report("nanosleep", r, r < 0 ? errno : 0);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	report("clock_nanosleep", r, 0);
	r = usleep(WAIT_MS * 1000);
	report("usleep", r, r < 0 ? errno : 0);

	pid_t child = fork();
	if (child == 0) {
		pause_ms(WAIT_MS);
		_exit(7);
	}
	int st = 0;
	pid_t w = waitpid(child, &st, 0);
	report("waitpid", w == child, 0);
	report("waitpid-status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);

	static _Atomic uint32_t word;
	struct later lf = {-1, &word};
	th = start_later(&lf);
	long f;
	while ((f = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)) == 0 &&
	       atomic_load(&word) == 0)
		;   /* a spurious wake-up waits again */
	report("futex", f, f < 0 ? errno : 0);
	pthread_join(th, NULL);

	/* At once: no spans. */
	uint64_t one = 1;
	if (write(p[1], &one, sizeof one) < 0)
		return 1;
	for (int i = 0; i < 100; i++) {
		r = poll(&pf, 1, 0);
		if (r != 1)
			report("poll-at-once", r, errno);
		r = poll(&pf, 1, 1000);   /* may wait, but the pipe has data */
		if (r != 1)
			report("poll-ready-at-once", r, errno);
		r = epoll_wait(ep, got, 4, 0);
		if (r != 0)
			report("epoll-at-once", r, errno);
	}
	f = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	report("futex-changed", f, f < 0 ? errno : 0);
	report("getpid-via-syscall", syscall(SYS_getpid) == getpid(), 0);
	errno = 0;
	f = syscall(SYS_close, 12345);
	report("close-via-syscall", f, errno);
	close(ep);
	close(efd);
	close(p[0]);
	close(p[1]);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM in WAIT_MS, without SA_RESTART. */
static void alarm_soon(void)
{
	struct itimerval it = {{0, 0}, {0, WAIT_MS * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static int eintr(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	int p[2];
	if (pipe(p) != 0)
		return 1;
	struct pollfd pf = {p[0], POLLIN, 0};
	alarm_soon();
	errno = 0;
	int r = poll(&pf, 1, -1);
	report("poll-eintr", r, r < 0 ? errno : 0);
	alarm_soon();
	struct timespec ts = {5, 0}, rem = {0, 0};
	r = nanosleep(&ts, &rem);
	report("nanosleep-eintr", r, r < 0 ? errno : 0);
	report("nanosleep-rem-positive", rem.tv_sec > 0 || rem.tv_nsec > 0, 0);
	static _Atomic uint32_t word;
	alarm_soon();
	long f = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	report("futex-eintr", f, f < 0 ? errno : 0);
	struct timespec tmo = {0, WAIT_MS * 1000000L};
	f = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &tmo, NULL, 0);
	report("futex-timeout", f, f < 0 ? errno : 0);
	alarm_soon();
	unsigned left = sleep(5);
	report("sleep-eintr", left > 0, 0);
	return 0;
}

/* Bad pointers: each call fails with EFAULT, as it does without the shim,
 * which must not read them first. A pipe exists, so that polls would be
 * watched for the write that wakes them. */
static int efault(void)
{
	int p[2];
	if (pipe(p) != 0)
		return 1;
	void *bad = (void *)-4096L, *low = (void *)8;
	errno = 0;
	int r = poll(bad, 1, 10);
	report("poll-efault", r, r < 0 ? errno : 0);
	struct timeval tv = {0, 10000};
	r = select(p[0] + 1, bad, NULL, NULL, &tv);
	report("select-efault", r, r < 0 ? errno : 0);
	/* More entries than the descriptor limit allows, with the array at
	 * the end of a page whose next one is not mapped: EINVAL, and no entry
	 * read. */
	struct rlimit lim;
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (two == MAP_FAILED || munmap(two + page, (size_t)page) != 0 ||
	    getrlimit(RLIMIT_NOFILE, &lim) != 0)
		return 1;
	struct pollfd *last = (struct pollfd *)(two + page) - 1;
	*last = (struct pollfd){p[0], POLLIN, 0};
	errno = 0;
	r = poll(last, (nfds_t)lim.rlim_cur + 1, 10);
	report("poll-over-limit", r, r < 0 ? errno : 0);
	struct timespec short_wait = {0, 10000000L};
	errno = 0;
	r = ppoll(last, (nfds_t)lim.rlim_cur + 1, &short_wait, NULL);
	report("ppoll-over-limit", r, r < 0 ? errno : 0);
	r = nanosleep(low, NULL);
	report("nanosleep-efault", r, r < 0 ? errno : 0);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, bad, NULL);
	report("clock_nanosleep-efault", r, 0);
	static _Atomic uint32_t word;
	long f = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, bad, NULL, 0);
	report("futex-efault", f, f < 0 ? errno : 0);
	/* A child that takes a while to end: the wait blocks, then cannot
	 * write the status. */
	pid_t child = fork();
	if (child == 0) {
		struct timespec ts = {0, WAIT_MS * 1000000L};
		nanosleep(&ts, NULL);
		_exit(3);
	}
	pid_t w = waitpid(child, bad, 0);
	report("waitpid-efault", w, w < 0 ? errno : 0);
	w = waitpid(child, NULL, 0);
	report("waitpid-after", w == child, w < 0 ? errno : 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "eintr") == 0)
		return eintr();
	if (argc > 1 && strcmp(argv[1], "efault") == 0)
		return efault();
	return all();
}
