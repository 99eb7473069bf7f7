/* daemonchain: a chain of forks in which each parent leaves at once, as a
 * daemon's double fork does: the child goes on with the reaper as its
 * parent. Each parent appends "PARENT CHILD" to FILE before it leaves; the
 * last child appends "done".
 *
 * Usage: daemonchain N FILE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *file, const char *line)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		_exit(1);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: daemonchain N FILE\n");
		return 2;
	}
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++) {
		pid_t child = fork();
		if (child < 0)
			return 1;
		if (child > 0) {
			char line[64];
			snprintf(line, sizeof line, "%d %d\n", (int)getpid(), (int)child);
			note(argv[2], line);
			return 0;
		}
	}
	note(argv[2], "done\n");
	return 0;
}
