/* fdlist: target program for the descriptor tests.
 *
 * Prints the descriptors above stderr it has open, as /proc/self/fd lists
 * them, at several points of its life: at the start of main, after some I/O
 * and a pause long enough for a tracer to have written to its output, and
 * after a child ran. The child is the program itself started with fork and
 * exec; it prints what its first open() returned and its own list. Run with
 * and without a tracer, the output must be the same.
 *
 * Usage: fdlist [PAUSE_MS]   (fdlist --child: the exec'd side)
 *        fdlist --io N       (N opens, reads and closes of /dev/null, nothing
 *                             else: a single process that makes spans)
 * Exit status: 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int by_number(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int io(long n)
{
	for (long i = 0; i < n; i++) {
		char buf[16];
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof buf) < 0 || close(fd) != 0) {
			perror("/dev/null");
			return 1;
		}
	}
	return 0;
}

static void list(const char *when)
{
	int fds[256], n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		perror("opendir");
		exit(1);
	}
	for (struct dirent *e; (e = readdir(d)) && n < 256;) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd > 2 && fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, (size_t)n, sizeof *fds, by_number);
	printf("%s:", when);
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child")) {
		int fd = open("/dev/null", O_RDONLY);
		printf("child first open: %d\n", fd);
		list("child");
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--io"))
		return io(atol(argv[2]));
	long pause_ms = argc > 1 ? atol(argv[1]) : 300;
	list("start");
	if (io(20) != 0)
		return 1;
	struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
	nanosleep(&pause, NULL);
	list("after a pause");
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "--child", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
		fprintf(stderr, "child failed\n");
		return 1;
	}
	list("end");
	return 0;
}
