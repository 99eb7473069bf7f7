/* ownmalloc: a program with an allocator of its own, as one with a
 * statically linked jemalloc has (rustc). The allocator starts with the
 * first allocation, made before the preloaded tracer's constructor has run
 * (in rustc, by libLLVM's constructor; here, from the program's
 * .preinit_array, which runs before every library's), and reads its
 * settings while it holds its lock, as jemalloc reads /etc/malloc.conf with
 * readlink(). The tracer is started by that call: if it allocated (a
 * thread of its own) before returning, it would wait on the lock for ever.
 * A bump allocator: free() keeps the memory. Then main starts a thread and
 * writes a line from each.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The project builds with hidden symbols by default. */
#define EXPORT __attribute__((visibility("default")))

#define ARENA_BYTES (64u << 20)
#define HEADER 16u   /* the block's size, keeping 16-byte alignment */

/* A spin lock, not recursive, taken without a call a tracer may wrap (as
 * jemalloc's first try to take its lock is). */
static atomic_flag lock = ATOMIC_FLAG_INIT;
static int started;
static unsigned char arena[ARENA_BYTES] __attribute__((aligned(64)));
static size_t used;

static void start_locked(void)
{
	char conf[256];
	(void)!readlink("/etc/malloc.conf", conf, sizeof conf);
	started = 1;
}

static void *take(size_t n, size_t align)
{
	if (align < HEADER)
		align = HEADER;
	while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
		;
	if (!started)
		start_locked();
	size_t at = (used + HEADER + align - 1) & ~(align - 1);
	void *p = NULL;
	if (n <= ARENA_BYTES && at <= ARENA_BYTES - n) {
		p = arena + at;
		memcpy(arena + at - sizeof n, &n, sizeof n);
		used = at + n;
	}
	atomic_flag_clear_explicit(&lock, memory_order_release);
	if (!p)
		errno = ENOMEM;
	return p;
}

static size_t size_of(const void *p)
{
	size_t n;
	memcpy(&n, (const unsigned char *)p - sizeof n, sizeof n);
	return n;
}

EXPORT void *malloc(size_t n)
{
	return take(n, HEADER);
}

EXPORT void *calloc(size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return take(k * n, HEADER);   /* the arena is never reused: zero already */
}

EXPORT void *realloc(void *old, size_t n)
{
	void *p = take(n, HEADER);
	if (p && old)
		memcpy(p, old, size_of(old) < n ? size_of(old) : n);
	return p;
}

EXPORT void free(void *p)
{
	(void)p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	return take(n, align);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return take(n, align);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = take(n, align);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

EXPORT size_t malloc_usable_size(void *p)
{
	return p ? size_of(p) : 0;
}

static void first_allocation(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	(void)envp;
	free(malloc(1));
}

__attribute__((section(".preinit_array"), used)) static void (*const early)(int, char **, char **) =
	first_allocation;

static void *worker(void *arg)
{
	char *line = strdup("thread\n");
	(void)!write(1, line, strlen(line));
	free(line);
	return arg;
}

int main(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 1;
	(void)!write(1, "main\n", 5);
	return 0;
}
