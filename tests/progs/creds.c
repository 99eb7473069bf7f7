/* creds: a program that sets credentials of one thread only, then calls
 * what glibc applies to every thread (and aborts on when the threads do not
 * agree). Run as root; prints what each step returned. Modes:
 *   raw-setresuid  syscall(SYS_setresuid) to nobody, then setgroups()
 *                  (EPERM for the whole process)
 *   capset-v2      capset() version 2 dropping CAP_SETUID, then setuid()
 *                  (EPERM)
 *   bounding       41 prctl(PR_CAPBSET_DROP) calls, each answered at once
 *   handler        prctl(PR_SET_KEEPCAPS) in a loop and in a 1 ms SIGALRM
 *                  handler that interrupts it
 *   vfork-capset   a vfork child drops every capability and execs true;
 *                  the parent then calls setgid() (its own are untouched) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int capset(cap_user_header_t hdr, const cap_user_data_t data);

static void say(const char *what, long r)
{
	printf("%s %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void on_alarm(int sig)
{
	(void)sig;
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "raw-setresuid")) {
		say("setresuid", syscall(SYS_setresuid, 65534, 65534, 65534));
		say("setgroups", setgroups(0, NULL));
	} else if (!strcmp(mode, "capset-v2")) {
		struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_2, 0};
		struct __user_cap_data_struct d[2];
		memset(d, 0, sizeof d);
		say("capget", syscall(SYS_capget, &h, d));
		d[0].effective &= ~(1u << CAP_SETUID);
		d[0].permitted &= ~(1u << CAP_SETUID);
		say("capset", capset(&h, d));
		say("setuid", setuid(65534));
	} else if (!strcmp(mode, "bounding")) {
		long failed = 0;
		for (int cap = 0; cap <= 40; cap++)
			failed += prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0;
		say("dropped, failures:", failed);
	} else if (!strcmp(mode, "handler")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		ualarm(1000, 1000);
		for (int i = 0; i < 50; i++)
			prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		ualarm(0, 0);
		say("done", 0);
	} else if (!strcmp(mode, "vfork-capset")) {
		pid_t pid = vfork();
		if (pid == 0) {
			struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
			struct __user_cap_data_struct d[2];
			memset(d, 0, sizeof d);
			capset(&h, d);
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		say("child", st);
		say("setgid", setgid(65534));
	} else {
		return 2;
	}
	return 0;
}
