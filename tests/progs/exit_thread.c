/* exit_thread: target program for the safety tests.
 *
 * A thread calls exit() while the main thread is blocked inside read(): the
 * tracer's exit-time flush runs on one thread while another is stuck in the
 * middle of a traced call, holding whatever state that wrapper holds. The
 * flush must neither hang nor drop the exiting thread's earlier events, and
 * the exit status must come through unchanged.
 *
 * Usage: exit_thread FILE   (the thread writes 100 lines to FILE first)
 * Exit status: 3.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LINES 100

static const char *out_path;
static pid_t main_tid;
static int pipe_fds[2];

/* True once the main thread sits in the read() system call. The kernel
 * shows a blocked thread's syscall number first in /proc/.../syscall. */
static int main_blocked_in_read(void)
{
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)main_tid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* A running thread shows "running", which atol() would read as 0 (read). */
	return buf[0] >= '0' && buf[0] <= '9' && atol(buf) == SYS_read;
}

static void *exiter(void *arg)
{
	(void)arg;
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("open");
		exit(2);
	}
	char line[64];
	for (int i = 0; i < LINES; i++) {
		int len = snprintf(line, sizeof line, "line %d\n", i);
		if (write(fd, line, (size_t)len) != len)
			exit(2);
	}
	close(fd);

	/* Wait (bounded) until main really blocks, so exit() races with an
	 * in-progress traced read rather than with main still starting it. */
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 20000 && !main_blocked_in_read(); i++)
		nanosleep(&ms, NULL);
	exit(3);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: exit_thread FILE\n");
		return 2;
	}
	out_path = argv[1];
	main_tid = (pid_t)syscall(SYS_gettid);
	if (pipe(pipe_fds) != 0) {
		perror("pipe");
		return 2;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, exiter, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 2;
	}
	static const char msg[] = "main waiting\n";
	if (write(1, msg, sizeof msg - 1) != sizeof msg - 1)
		return 1;
	char c;
	/* Nobody ever writes to the pipe: only exit() ends this. */
	ssize_t n = read(pipe_fds[0], &c, 1);
	fprintf(stderr, "read returned %zd\n", n);
	return 1;
}
