/* sigdie SIG [HOW]: dies by signal number SIG (or survives it, as HOW says),
 * after a worker thread and the main thread made a few calls, so the trace
 * has spans and slices that the death must close.
 *   raise     raise(SIG) (the default)
 *   kill      kill(getpid(), SIG): sent to the process, not the thread
 *   pipe      SIGPIPE the real way: a write to a pipe with no reader
 *   trap      SIGTRAP the real way: a breakpoint instruction
 *   alarm     SIGALRM the real way: a timer with no handler
 *   fsize     SIGXFSZ the real way: a write beyond RLIMIT_FSIZE (1 MiB)
 *   system    raise(SIG) after system("true")
 *   sigwait   SIG blocked, raised, taken with sigwait(): exits 0
 *   signalfd  SIG blocked, raised, read from a signalfd: exits 0
 *   ignored   SIG raised while ignored (inherited SIG_IGN): exits 0
 *   handler   SIG with a handler of the program's, which sigaction
 *             reports back: exits 0
 * Prints "alive" when it survives. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sig(int sig)
{
	got = sig;
}

static void *worker(void *arg)
{
	(void)arg;
	int fd = open("/dev/null", O_WRONLY);
	for (int i = 0; i < 10; i++)
		if (write(fd, "w", 1) != 1)
			return NULL;
	close(fd);
	return NULL;
}

static int block(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int alive(void)
{
	static const char msg[] = "alive\n";
	return write(1, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1) ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int sig = atoi(argv[1]);
	const char *how = argc > 2 ? argv[2] : "raise";
	pthread_t th;
	if (pthread_create(&th, NULL, worker, NULL) != 0 || pthread_join(th, NULL) != 0)
		return 2;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || write(fd, "m", 1) != 1)
		return 2;

	if (!strcmp(how, "raise")) {
		raise(sig);
	} else if (!strcmp(how, "kill")) {
		kill(getpid(), sig);
	} else if (!strcmp(how, "pipe")) {
		int p[2];
		if (pipe(p) != 0)
			return 2;
		close(p[0]);
		(void)!write(p[1], "x", 1);
	} else if (!strcmp(how, "trap")) {
#if defined(__x86_64__) || defined(__i386__)
		__asm__ volatile("int3");
#elif defined(__aarch64__)
		__asm__ volatile("brk #0");
#else
		raise(SIGTRAP);
#endif
	} else if (!strcmp(how, "alarm")) {
		struct itimerval it = {{0, 0}, {0, 10000}};
		setitimer(ITIMER_REAL, &it, NULL);
		for (;;)
			pause();
	} else if (!strcmp(how, "fsize")) {
		char path[] = "/tmp/sigdie-XXXXXX";
		int f = mkstemp(path);
		if (f < 0)
			return 2;
		unlink(path);
		/* Large enough for the trace a tracer may write at exit. */
		struct rlimit rl = {1 << 20, 1 << 20};
		setrlimit(RLIMIT_FSIZE, &rl);
		if (lseek(f, 1 << 20, SEEK_SET) < 0)
			return 2;
		(void)!write(f, "xx", 2);
	} else if (!strcmp(how, "system")) {
		/* system() ignores SIGINT and SIGQUIT while it waits, then puts
		 * back the default: that is still a default-fatal signal. */
		if (system("true") != 0)
			return 2;
		raise(sig);
	} else if (!strcmp(how, "sigwait")) {
		if (block(sig) != 0)
			return 2;
		raise(sig);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		int which = 0;
		if (sigwait(&set, &which) != 0 || which != sig)
			return 3;
		return alive();
	} else if (!strcmp(how, "signalfd")) {
		if (block(sig) != 0)
			return 2;
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		int sfd = signalfd(-1, &set, 0);
		if (sfd < 0)
			return 2;
		raise(sig);
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof si) != sizeof si || (int)si.ssi_signo != sig)
			return 3;
		return alive();
	} else if (!strcmp(how, "ignored")) {
		raise(sig);
		return alive();
	} else if (!strcmp(how, "handler")) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sig;
		sigemptyset(&sa.sa_mask);
		if (sigaction(sig, &sa, NULL) != 0 || sigaction(sig, NULL, &old) != 0 ||
		    old.sa_handler != on_sig)
			return 3;
		raise(sig);
		if (got != sig)
			return 4;
		return alive();
	}
	return 5;   /* still here: the signal did not kill */
}
