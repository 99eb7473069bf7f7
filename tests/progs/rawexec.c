/* rawexec: executes a program with the execve system call itself, as Go's
 * syscall.Exec does, so that no exec wrapper sees it.
 *
 * Usage: rawexec PROG [ARG...]   (prints "before" first)
 * Exit status: PROG's; 127 when it could not be executed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: rawexec PROG [ARG...]\n");
		return 2;
	}
	printf("before\n");
	fflush(stdout);
	syscall(SYS_execve, argv[1], argv + 1, environ);
	perror("rawexec");
	return 127;
}
