/* manythreads: N threads alive at once (small stacks), each writing to
 * /dev/null K times while all of them are alive, then all ending.
 *
 * Usage: manythreads N K
 * Prints "N threads" once all have been joined. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t all_alive, all_wrote;
static int null_fd, writes;

static void *run(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&all_alive);
	for (int i = 0; i < writes; i++)
		if (write(null_fd, "x", 1) != 1)
			abort();
	pthread_barrier_wait(&all_wrote);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: manythreads N K\n");
		return 2;
	}
	int n = atoi(argv[1]);
	writes = atoi(argv[2]);
	null_fd = open("/dev/null", O_WRONLY);
	pthread_t *t = calloc((size_t)n, sizeof *t);
	pthread_attr_t attr;
	if (n < 1 || !t || null_fd < 0 || pthread_attr_init(&attr) ||
	    pthread_attr_setstacksize(&attr, 64 * 1024))
		return 1;
	pthread_barrier_init(&all_alive, NULL, (unsigned)n);
	pthread_barrier_init(&all_wrote, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, run, NULL)) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%d threads\n", n);
	return 0;
}
