/* latethread: target program for the exit tests.
 *
 * The main thread ends the process (exit, or _exit with "_exit") while
 * another thread sleeps 300 ms before it writes a line and exits with 7.
 * Without a tracer the process is gone first: the output is "bye" and the
 * status 0. A tracer that keeps the process alive at exit (waiting for a
 * collector, say) lets the late thread run and changes both.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *late(void *arg)
{
	struct timespec t = {0, 300 * 1000000L};
	nanosleep(&t, NULL);
	(void)!write(1, "ran after exit\n", 15);
	_exit(7);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (pthread_create(&t, NULL, late, NULL) != 0)
		return 1;
	struct timespec t0 = {0, 20 * 1000000L};
	nanosleep(&t0, NULL);
	(void)!write(1, "bye\n", 4);
	if (argc > 1 && strcmp(argv[1], "_exit") == 0)
		_exit(0);
	exit(0);
}
