/* spawner MODE: starts /usr/bin/env in one of the ways a program can, and
 * leaves with its exit status.
 *   empty   execve with an empty environment
 *   spawn   posix_spawn with an environment of its own (only FOO=bar)
 *   system  system("env; exit 3")
 *   popen   popen("env", "r"), copying what it prints
 *   missing execvp of a program that does not exist (exit 127) */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	return 2;
}
