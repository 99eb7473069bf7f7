/* spawner MODE: starts /usr/bin/env in one of the ways a program can, and
 * leaves with its exit status.
 *   empty   execve with an empty environment
 *   spawn   posix_spawn with an environment of its own (only FOO=bar)
 *   system  system("env; exit 3")
 *   popen   popen("env", "r"), copying what it prints
 *   missing execvp of a program that does not exist (exit 127)
 *   noexec  execl of a runnable file the kernel refuses (ENOEXEC), then a
 *           write; prints the errno
 *   nowait  system("true") with SIGCHLD ignored: no status to be had (ECHILD);
 *           prints what system returned and its errno
 *   sysnull system(NULL): glibc starts a shell the shim does not see */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "empty";
	char *args[] = {"env", NULL};
	if (!strcmp(mode, "empty")) {
		char *none[] = {NULL};
		execve("/usr/bin/env", args, none);
		return 126;
	}
	if (!strcmp(mode, "spawn")) {
		char *own[] = {"FOO=bar", NULL};
		pid_t pid;
		if (posix_spawn(&pid, "/usr/bin/env", NULL, NULL, args, own) != 0)
			return 126;
		int status;
		waitpid(pid, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	if (!strcmp(mode, "system")) {
		int status = system("env; exit 3");
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	if (!strcmp(mode, "popen")) {
		FILE *f = popen("env", "r");
		if (!f)
			return 126;
		char line[4096];
		while (fgets(line, sizeof line, f))
			fputs(line, stdout);
		int status = pclose(f);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	if (!strcmp(mode, "missing")) {
		char *a[] = {"traceshim-no-such-program", NULL};
		execvp(a[0], a);
		perror("execvp");
		return 127;
	}
	if (!strcmp(mode, "noexec")) {
		/* Executable, a regular file: the shim takes it for a program
		 * that will run, and the kernel does not. */
		char path[] = "noexec-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, "\x7f" "ELFjunk", 8) != 8 || fchmod(fd, 0755) != 0)
			return 126;
		close(fd);
		execl(path, path, (char *)NULL);
		int err = errno;
		unlink(path);
		printf("errno %d\n", err);
		return 0;
	}
	if (!strcmp(mode, "sysnull")) {
		printf("system(NULL) %d\n", system(NULL));
		return 0;
	}
	if (!strcmp(mode, "nowait")) {
		signal(SIGCHLD, SIG_IGN);
		int r = system("true");
		printf("system %d errno %d\n", r, r == -1 ? errno : 0);
		return 0;
	}
	return 2;
}
