/* keydtor: a thread whose thread-specific destructor writes as the thread
 * ends, as jemalloc's and Rust's do: the tracer's own destructor, for a key
 * made before the program's, runs first in glibc's rounds. Each of four
 * threads writes "work" to /dev/null, then its destructor writes "dtor".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

enum { THREADS = 4 };

static pthread_key_t key;
static int null_fd;

static void destructor(void *value)
{
	(void)value;
	(void)!write(null_fd, "dtor\n", 5);
}

static void *worker(void *arg)
{
	if (pthread_setspecific(key, &key) != 0)
		return NULL;
	(void)!write(null_fd, "work\n", 5);
	return arg;
}

int main(void)
{
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0 || pthread_key_create(&key, destructor) != 0)
		return 1;
	for (int i = 0; i < THREADS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0 || pthread_join(t, NULL) != 0)
			return 1;
	}
	puts("ok");
	return 0;
}
