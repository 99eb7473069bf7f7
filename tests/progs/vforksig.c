/* vforksig MODE: a vfork child must change nothing in its parent.
 *   sigaction  the parent has a SIGTERM handler; the child sets SIGTERM to
 *              SIG_DFL with sigaction() and writes 7 bytes to /dev/null
 *              before _exit; then the parent raises SIGTERM: its handler
 *              must run ("handled")
 *   signal     the same with signal()
 *   fds        the child closes the parent's /dev/null descriptor and
 *              dup2()s a pipe onto its number, then execs /bin/true; the
 *              parent writes 5 bytes to /dev/null through that number
 *   exec       the child execs ARG... (after vforksig exec --) with the
 *              parent's environment
 * Exit status: 0, or what went wrong. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_term(int sig)
{
	(void)sig;
	handled = 1;
}

static int wait_child(pid_t pid)
{
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int reset_in_child(int with_signal)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0)
		return 2;
	int null = open("/dev/null", O_WRONLY);
	pid_t pid = vfork();
	if (pid == 0) {
		if (with_signal) {
			signal(SIGTERM, SIG_DFL);
		} else {
			struct sigaction dfl;
			memset(&dfl, 0, sizeof dfl);
			dfl.sa_handler = SIG_DFL;
			sigaction(SIGTERM, &dfl, NULL);
		}
		(void)!write(null, "childwr", 7);
		_exit(0);
	}
	if (wait_child(pid) != 0)
		return 3;
	struct sigaction now;
	if (sigaction(SIGTERM, NULL, &now) != 0 || now.sa_handler != on_term)
		return 4;
	raise(SIGTERM);
	if (!handled)
		return 5;
	puts("handled");
	return 0;
}

static int fds(void)
{
	int null = open("/dev/null", O_WRONLY);
	int p[2];
	if (null < 0 || pipe(p) != 0)
		return 2;
	pid_t pid = vfork();
	if (pid == 0) {
		close(null);
		dup2(p[1], null);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (wait_child(pid) != 0)
		return 3;
	if (write(null, "hello", 5) != 5)
		return 4;
	puts("written");
	return 0;
}

static int run(char **argv)
{
	pid_t pid = vfork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int status = wait_child(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sigaction";
	if (!strcmp(mode, "sigaction"))
		return reset_in_child(0);
	if (!strcmp(mode, "signal"))
		return reset_in_child(1);
	if (!strcmp(mode, "fds"))
		return fds();
	if (!strcmp(mode, "exec") && argc > 3)
		return run(argv + 3);
	return 2;
}
