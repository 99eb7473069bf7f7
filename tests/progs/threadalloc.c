/* threadalloc: a program whose allocator makes a traced call the first time
 * each thread allocates, as rustc's jemalloc may block on its arena lock
 * (pthread_mutex_lock) when a thread first allocates. glibc allocates in
 * pthread_getattr_np(), which the tracer calls while it registers a new
 * thread: the call made inside is the thread's, and must land on the one
 * thread track it has. The allocator is glibc's, reached through its
 * __libc_ names; here the first allocation of a thread reads a setting with
 * readlink(). Eight threads each write a line to /dev/null.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/* The project builds with hidden symbols by default. */
#define EXPORT __attribute__((visibility("default")))

enum { THREADS = 8 };

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t k, size_t n);
extern void *__libc_realloc(void *p, size_t n);

static __thread int thread_ready;

static void thread_first_allocation(void)
{
	if (thread_ready)
		return;
	thread_ready = 1;   /* first: readlink may allocate */
	char conf[256];
	(void)!readlink("/etc/malloc.conf", conf, sizeof conf);
}

EXPORT void *malloc(size_t n)
{
	thread_first_allocation();
	return __libc_malloc(n);
}

EXPORT void *calloc(size_t k, size_t n)
{
	thread_first_allocation();
	return __libc_calloc(k, n);
}

EXPORT void *realloc(void *p, size_t n)
{
	thread_first_allocation();
	return __libc_realloc(p, n);
}

static int null_fd;

static void *worker(void *arg)
{
	(void)!write(null_fd, "thread\n", 7);
	return arg;
}

int main(void)
{
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0)
		return 1;
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		if (pthread_join(t[i], NULL) != 0)
			return 1;
	puts("ok");
	return 0;
}
