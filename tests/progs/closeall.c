/* closeall: target program for the safety tests.
 *
 * Daemons and fork/exec helpers routinely close every fd above stderr, which
 * includes whatever fd a tracer keeps for its output file. The tracer must
 * survive each way of doing it: a close() loop (which it can see), and
 * closefrom() / close_range() (which may bypass its close() wrapper). After
 * each sweep the program does traced I/O again, so the test can check those
 * later calls still reach the trace.
 *
 * Usage: closeall DIR   (DIR: a writable scratch directory)
 * Exit status: 0; stdout holds one known line per phase.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[4096];

/* Re-open the scratch file by name and copy its content to stdout with
 * write(): an open, a read, a write and a close that the tracer records. */
static int phase(const char *label)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror("open");
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0)
		return -1;
	if (write(1, label, strlen(label)) != (ssize_t)strlen(label) ||
	    write(1, buf, (size_t)n) != n)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 || strlen(argv[1]) > sizeof path - 32) {
		fprintf(stderr, "usage: closeall DIR\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/closeall.txt", argv[1]);
	static const char content[] = "known content\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, content, sizeof content - 1) != sizeof content - 1) {
		perror("create scratch file");
		return 2;
	}
	/* A few more open fds, so the sweeps have real work to do. */
	int extra[3];
	extra[0] = open("/dev/null", O_RDONLY);
	extra[1] = open(path, O_RDONLY);
	extra[2] = dup(extra[1]);
	(void)extra;

	if (phase("before: ") != 0)
		return 1;

	for (int i = 3; i < 1024; i++)
		close(i);
	if (phase("after close loop: ") != 0)
		return 1;

	fd = open("/dev/null", O_RDONLY);
	closefrom(3);
	if (phase("after closefrom: ") != 0)
		return 1;

	fd = open("/dev/null", O_RDONLY);
	if (close_range(3, ~0U, 0) != 0) {
		perror("close_range");
		return 1;
	}
	if (phase("after close_range: ") != 0)
		return 1;

	/* The tracer may have reopened its output after the sweeps; fork-style
	 * cleanup with CLOEXEC must not lose it either. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		perror("close_range(CLOEXEC)");
		return 1;
	}
	if (phase("after close_range cloexec: ") != 0)
		return 1;

	unlink(path);
	static const char last[] = "closeall finished\n";
	if (write(1, last, sizeof last - 1) != sizeof last - 1)
		return 1;
	return 0;
}
