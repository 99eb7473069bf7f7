/* barefork: children made by forks that run no fork handler: glibc's
 * _Fork(), clone() without CLONE_VM, and the fork and clone3 system calls
 * through syscall(). Each child either writes a line to /dev/null many
 * times and ends with exit() (which runs the library's destructor), or
 * executes PROG. Around each fork the parent opens a file of its own, so
 * that a trace tells whether the parent's calls after the fork are still
 * its own.
 *
 * Usage: barefork exit|exec PROG [ARG...]
 * Prints one line per child with its exit status; exits 3. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern pid_t _Fork(void);

static const char *mode;
static char **prog;
static char clone_stack[64 * 1024] __attribute__((aligned(16)));

static int child(void)
{
	if (!strcmp(mode, "exec")) {
		execv(prog[0], prog);
		_exit(127);
	}
	int fd = open("/dev/null", O_WRONLY);
	for (int i = 0; i < 2000; i++)
		if (write(fd, "child\n", 6) != 6)
			_exit(1);
	close(fd);
	exit(5);
}

static int clone_child(void *arg)
{
	(void)arg;
	return child();
}

static pid_t make(const char *how)
{
	if (!strcmp(how, "_Fork"))
		return _Fork();
	if (!strcmp(how, "SYS_fork"))
		return (pid_t)syscall(SYS_fork);
	if (!strcmp(how, "SYS_clone3")) {
		struct clone_args ca;
		memset(&ca, 0, sizeof ca);
		ca.exit_signal = SIGCHLD;
		return (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	}
	return clone(clone_child, clone_stack + sizeof clone_stack, SIGCHLD, NULL);
}

static void mark(const char *how, const char *when)
{
	char path[64];
	snprintf(path, sizeof path, "/dev/null/%s-%s", how, when);
	int fd = open(path, O_RDONLY);   /* fails: ENOTDIR, a span with the name */
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "exit") && strcmp(argv[1], "exec"))) {
		fprintf(stderr, "usage: barefork exit|exec PROG [ARG...]\n");
		return 2;
	}
	mode = argv[1];
	prog = argv + 2;
	static const char *const hows[] = {"_Fork", "SYS_fork", "SYS_clone3", "clone"};
	for (unsigned i = 0; i < sizeof hows / sizeof hows[0]; i++) {
		mark(hows[i], "before");
		fflush(stdout);
		pid_t p = make(hows[i]);
		if (p == 0)
			return child();
		if (p < 0) {
			perror(hows[i]);
			return 1;
		}
		int st;
		if (waitpid(p, &st, 0) != p)
			return 1;
		printf("%s %d\n", hows[i], WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		mark(hows[i], "after");
	}
	return 3;
}
