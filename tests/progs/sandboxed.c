/* sandboxed: target program for the tests of programs that shut themselves
 * in with a seccomp filter.
 *
 * `sandboxed allowlist` does what sshd's pre-login child does: it makes a
 * pipe, then allows only the system calls it needs itself (those of
 * OpenSSH's filter: no prctl, prlimit64, fstat, openat, getsockopt,
 * rt_sigaction...), every other one killing the process, and then polls and
 * uses the pipe and returns from main. A tracer that makes a system call of
 * its own in a wrapper or at exit gets the program killed by SIGSYS.
 *
 * `sandboxed noopen PROG [ARG...]` makes opening a file for writing fail
 * with ENOSYS (open, openat; openat2 altogether), as man-db's filter does
 * for its helpers, then executes PROG, which starts under that filter.
 *
 * Exit status: 0 (PROG's with noopen); stdout holds one line per step. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int install(struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = {n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static int allow_only_its_own(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW(__NR_read), ALLOW(__NR_write), ALLOW(__NR_writev), ALLOW(__NR_close),
		ALLOW(__NR_poll), ALLOW(__NR_ppoll), ALLOW(__NR_pselect6), ALLOW(__NR_select),
		ALLOW(__NR_exit), ALLOW(__NR_exit_group), ALLOW(__NR_getpid), ALLOW(__NR_gettid),
		ALLOW(__NR_getuid), ALLOW(__NR_geteuid), ALLOW(__NR_getrandom),
		ALLOW(__NR_clock_gettime), ALLOW(__NR_gettimeofday), ALLOW(__NR_futex),
		ALLOW(__NR_rt_sigprocmask), ALLOW(__NR_rt_sigreturn), ALLOW(__NR_brk),
		ALLOW(__NR_mmap), ALLOW(__NR_munmap), ALLOW(__NR_mremap), ALLOW(__NR_madvise),
		ALLOW(__NR_shutdown),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	return install(f, sizeof f / sizeof *f);
}

/* open, openat and openat2 for writing (or creating) fail: reading, as the
 * dynamic loader does, goes on. */
static int deny_open_for_writing(void)
{
	const unsigned writing = O_WRONLY | O_RDWR | O_CREAT;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 437 /* openat2: its flags are in a struct */, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 3, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* openat: flags in args[2]; open: in args[1] (the low words) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, writing, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	return install(f, sizeof f / sizeof *f);
}

static void say(const char *line)
{
	if (write(1, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(1);
}

static int allowlist(void)
{
	int p[2];
	if (pipe(p) != 0 || allow_only_its_own() != 0) {
		perror("sandboxed: set-up");
		return 1;
	}
	say("sandboxed\n");
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	char buf[16];
	int empty = poll(&pf, 1, 0);
	int full = write(p[1], "x", 1) == 1 ? poll(&pf, 1, 1000) : -1;
	int got = full == 1 ? (int)read(p[0], buf, sizeof buf) : -1;
	struct timespec ts = {0, 0};
	int again = ppoll(&pf, 1, &ts, NULL);
	snprintf(buf, sizeof buf, "%d %d %d %d\n", empty, full, got, again);
	say(buf);
	close(p[0]);
	close(p[1]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "allowlist"))
		return allowlist();
	if (argc >= 3 && !strcmp(argv[1], "noopen")) {
		if (deny_open_for_writing() != 0) {
			perror("sandboxed: seccomp");
			return 1;
		}
		execv(argv[2], argv + 2);
		perror("sandboxed: exec");
		return 127;
	}
	fprintf(stderr, "usage: sandboxed allowlist | sandboxed noopen PROG [ARG...]\n");
	return 2;
}
