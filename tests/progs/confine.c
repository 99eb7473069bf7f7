/* confine: target program for the output tests.
 *
 * Shuts itself in right at the start of main, the way sandboxed programs do
 * after start-up: `chroot DIR` (DIR: an empty directory) or `seccomp` (a
 * filter on every thread that refuses open and openat with EPERM). Then it
 * does some I/O and exits. A tracer that opens its output late loses the
 * whole trace.
 *
 * With `nofdtable PROG [ARG...]` it instead refuses what a tracer needs for
 * a descriptor table of its own, as an old kernel in a container does
 * (close_range: ENOSYS, unshare: EPERM), then executes PROG.
 *
 * Usage: confine chroot DIR | confine seccomp | confine nofdtable PROG [ARG...]
 * Exit status: 0 (PROG's with nofdtable); stdout holds one line per step.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int install(struct sock_filter *f, unsigned short n, unsigned flags)
{
	struct sock_fprog prog = {n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static int deny_fd_table(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 436 /* close_range */, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 3, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	return install(f, sizeof f / sizeof *f, 0);
}

static int deny_open(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 437 /* openat2 */, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	/* Every thread, as a sandbox does: the tracer's own thread too. */
	return install(f, sizeof f / sizeof *f, SECCOMP_FILTER_FLAG_TSYNC);
}

static void say(const char *line)
{
	if (write(1, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(1);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "nofdtable")) {
		if (deny_fd_table() != 0) {
			perror("seccomp");
			return 2;
		}
		execv(argv[2], argv + 2);
		perror("execv");
		return 127;
	}
	if (argc == 3 && !strcmp(argv[1], "chroot")) {
		if (chroot(argv[2]) != 0 || chdir("/") != 0) {
			perror("chroot");
			return 2;
		}
		say("chrooted\n");
	} else if (argc == 2 && !strcmp(argv[1], "seccomp")) {
		if (deny_open() != 0) {
			perror("seccomp");
			return 2;
		}
		say("filtered\n");
	} else {
		fprintf(stderr, "usage: confine chroot DIR | confine seccomp\n");
		return 2;
	}
	int fd = open("/etc/hostname", O_RDONLY);
	say(fd < 0 ? "open refused\n" : "open worked\n");
	for (int i = 0; i < 5; i++)
		say("confined step\n");
	return 0;
}
