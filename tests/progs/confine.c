/* confine: target program for the output tests.
 *
 * Shuts itself in right at the start of main, the way sandboxed programs do
 * after start-up: `chroot DIR` (DIR: an empty directory) or `seccomp` (a
 * filter on every thread that refuses open and openat with EPERM). Then it
 * does some I/O and exits. A tracer that opens its output late loses the
 * whole trace.
 *
 * Usage: confine chroot DIR | confine seccomp
 * Exit status: 0; stdout holds one line per step.
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
	struct sock_fprog prog = {sizeof f / sizeof *f, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	/* Every thread, as a sandbox does: the tracer's own thread too. */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

static void say(const char *line)
{
	if (write(1, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(1);
}

int main(int argc, char **argv)
{
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
