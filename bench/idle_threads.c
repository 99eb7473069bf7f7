/* N threads (and the main thread) alive and idle for S seconds: what the
 * CPU sampler costs the consumer per thread (bench/cpu_sampler.py).
 * Usage: idle_threads N SECONDS */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds;

static void *idle(void *arg)
{
	(void)arg;
	struct timespec t = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&t, &t) != 0)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int n = atoi(argv[1]);
	seconds = atof(argv[2]);
	pthread_t *th = calloc((size_t)(n > 0 ? n : 1), sizeof *th);
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, idle, NULL) != 0)
			return 1;
	idle(NULL);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	free(th);
	return 0;
}
