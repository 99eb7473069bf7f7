/* bench_rss: the peak resident memory of one program run, exit included.
 *
 * Runs PROG with LIB preloaded (none when LIB is "-") and prints the child's
 * ru_maxrss from wait4: the peak over its whole life, so memory a tracer
 * needs to flush at exit is counted, which the program's own VmHWM read in
 * main would miss. This launcher is small and not traced itself (LD_PRELOAD
 * is set for the child only): the memory the child inherits across fork,
 * which the kernel counts in its peak, is far below any program's own.
 *
 * Usage: bench_rss LIB PROG [ARGS...]
 * Prints: peak RSS in KiB (one number) on stdout, after whatever PROG
 * printed; exits with PROG's status.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_rss LIB|- PROG [ARGS...]\n");
		return 2;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		if (strcmp(argv[1], "-") != 0 && setenv("LD_PRELOAD", argv[1], 1) != 0)
			_exit(127);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("wait4");
		return 2;
	}
	printf("%ld\n", ru.ru_maxrss);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
