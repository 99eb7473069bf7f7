/* burst: target program for the agent tests.
 *
 * THREADS threads each make N write() calls of zero bytes to stdout as fast
 * as they can, then the process ends the way MODE says:
 *   exit  return from main (status 0)
 *   kill  SIGKILL itself: nothing of the shim runs after the last write
 *   wait  print "ready" and wait to be killed by someone else
 * Usage: burst N [MODE [THREADS]]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long n;

static void *writer(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++)
		if (write(1, "", 0) != 0)
			abort();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	n = atol(argv[1]);
	const char *mode = argc > 2 ? argv[2] : "exit";
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	if (threads <= 1) {
		writer(NULL);
	} else {
		pthread_t *th = calloc((size_t)threads, sizeof *th);
		if (!th)
			return 2;
		for (int i = 0; i < threads; i++)
			if (pthread_create(&th[i], NULL, writer, NULL) != 0)
				return 2;
		for (int i = 0; i < threads; i++)
			pthread_join(th[i], NULL);
		free(th);
	}
	if (!strcmp(mode, "kill"))
		raise(SIGKILL);
	if (!strcmp(mode, "wait")) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}
