/* silentend: target program for the agent tests. It makes five write()
 * calls to /dev/null, then ends in a way the shim never sees, so only the
 * agent can tell how it ended:
 *   exit CODE   the exit_group system call, made directly, with CODE
 *   signal SIG  dies of SIG, its action put back to the default with the
 *               rt_sigaction system call (the shim's handler is gone
 *               without its knowing), sent with the kill system call
 * It lives 300 ms after its writes: the agent holds a process from the
 * moment it sees its segment, and what is tested is how the end is read
 * when the parent reaps at once, not a process gone before it was seen.
 * Usage: silentend exit CODE | silentend signal SIG
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The kernel's struct sigaction; all zero is SIG_DFL, no flags, no mask. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[2]);
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return 2;
	for (int i = 0; i < 5; i++)
		if (write(fd, "x", 1) != 1)
			return 2;
	struct timespec linger = {0, 300000000L};
	nanosleep(&linger, NULL);
	if (!strcmp(argv[1], "exit")) {
		syscall(SYS_exit_group, n);
	} else if (!strcmp(argv[1], "signal")) {
		struct kernel_sigaction dfl;
		memset(&dfl, 0, sizeof dfl);
		if (syscall(SYS_rt_sigaction, n, &dfl, NULL, sizeof dfl.mask) != 0)
			return 2;
		syscall(SYS_kill, getpid(), n);
	}
	return 5;   /* still here: it did not end */
}
