/* threads_io: target program for the safety tests.
 *
 * Several named threads doing file I/O at the same time: the tracer needs one
 * track per thread with the name set by pthread_setname_np (which happens
 * after the thread started, so the name arrives late), and every thread's
 * slices must land on its own track with nothing lost or mixed up.
 *
 * Usage: threads_io DIR   (each worker writes DIR/worker-N.dat, then removes it)
 * Exit status: 0 and "ok" on stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WORKERS 4
#define BLOCKS 1000
#define BLOCK_SIZE 32

static const char *dir;

struct worker {
	pthread_t thread;
	int index;
	int failed;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[16], path[4096], block[BLOCK_SIZE];

	snprintf(name, sizeof name, "worker-%d", w->index);
	pthread_setname_np(pthread_self(), name);
	snprintf(path, sizeof path, "%s/worker-%d.dat", dir, w->index);
	memset(block, 'a' + w->index, sizeof block);

	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		w->failed = 1;
		return NULL;
	}
	for (int i = 0; i < BLOCKS; i++)
		if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
			w->failed = 1;
	if (fsync(fd) != 0)
		w->failed = 1;
	if (close(fd) != 0)
		w->failed = 1;
	unlink(path);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker workers[WORKERS];

	if (argc != 2 || strlen(argv[1]) > 4000) {
		fprintf(stderr, "usage: threads_io DIR\n");
		return 2;
	}
	dir = argv[1];
	for (int i = 0; i < WORKERS; i++) {
		workers[i].index = i;
		workers[i].failed = 0;
		if (pthread_create(&workers[i].thread, NULL, worker_main,
				   &workers[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	int failed = 0;
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(workers[i].thread, NULL);
		failed |= workers[i].failed;
	}
	if (failed) {
		fprintf(stderr, "a worker failed\n");
		return 1;
	}
	printf("ok\n");
	return 0;
}
