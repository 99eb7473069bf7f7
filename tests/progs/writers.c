/* writers: target program for the roll-up tests.
 *
 * Four threads each write their own file WRITES times (one small write()
 * each) and, when BAD is given, make BAD writes that fail (EBADF); the main
 * thread then opens a file that is not there (ENOENT). Many quick calls of
 * one name under a thread, failed ones among them: what roll-ups fold, and
 * what they must keep.
 *
 * Usage: writers DIR [WRITES [BAD]]   (defaults 50 and 0; the files are removed)
 * Exit status: 0 and "ok" on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKERS 4

static const char *dir;
static long writes = 50, bad;

struct worker {
	pthread_t thread;
	int index;
	int failed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char path[4096], block[16];
	snprintf(path, sizeof path, "%s/writer-%d.dat", dir, w->index);
	memset(block, 'a' + w->index, sizeof block);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		w->failed = 1;
		return NULL;
	}
	for (long i = 0; i < writes; i++)
		if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
			w->failed = 1;
	for (long i = 0; i < bad; i++)
		if (write(-1, block, sizeof block) != -1 || errno != EBADF)
			w->failed = 1;
	if (close(fd) != 0)
		w->failed = 1;
	unlink(path);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4 || strlen(argv[1]) > 4000) {
		fprintf(stderr, "usage: writers DIR [WRITES [BAD]]\n");
		return 2;
	}
	dir = argv[1];
	if (argc > 2)
		writes = strtol(argv[2], NULL, 10);
	if (argc > 3)
		bad = strtol(argv[3], NULL, 10);
	struct worker workers[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		workers[i].index = i;
		workers[i].failed = 0;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	int failed = 0;
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(workers[i].thread, NULL);
		failed |= workers[i].failed;
	}
	char missing[4096];
	snprintf(missing, sizeof missing, "%s/not-there", dir);
	if (open(missing, O_RDONLY) != -1 || errno != ENOENT)
		failed = 1;
	if (failed) {
		fprintf(stderr, "a writer failed\n");
		return 1;
	}
	printf("ok\n");
	return 0;
}
