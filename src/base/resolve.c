/* Real-symbol lookup. RTLD_NEXT only searches the global scope; a library
 * loaded with dlopen(RTLD_LOCAL) (Python's extension modules and their
 * dependencies, for one) is outside it, so the fallback walks every loaded
 * object and asks each one by handle. */
#include "resolve.h"

#include "rawsys.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct search {
	const char *name;
	const void *self;
	const char *self_path;
	void *found;
};

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct search *s = arg;
	if (!info->dlpi_name || !info->dlpi_name[0])
		return 0;   /* the main program: in the global scope already */
	if (s->self_path && !strcmp(info->dlpi_name, s->self_path))
		return 0;
	void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return 0;
	void *p = dlsym(h, s->name);
	dlclose(h);
	if (p && p != s->self) {
		s->found = p;
		return 1;
	}
	return 0;
}

void *ts_resolve(const char *name, const void *self)
{
	int saved = errno;
	void *p = dlsym(RTLD_NEXT, name);
	if (!p || p == self) {
		Dl_info me;
		struct search s = {.name = name, .self = self};
		if (dladdr((const void *)ts_resolve, &me))
			s.self_path = me.dli_fname;
		dl_iterate_phdr(visit, &s);
		p = s.found;
	}
	errno = saved;
	return p;
}

void *ts_resolve_from(const char *name, const void *self, const void *caller)
{
	int saved = errno;
	void *p = NULL;
	Dl_info info;
	struct link_map *map = NULL;
	/* The main program's scope is the global one, which ts_resolve() searches
	 * past the shim; its l_name is empty. */
	if (caller && dladdr1(caller, &info, (void **)&map, RTLD_DL_LINKMAP) && map && map->l_name &&
	    map->l_name[0]) {
		void *h = dlopen(map->l_name, RTLD_LAZY | RTLD_NOLOAD);
		if (h) {
			p = dlsym(h, name);
			dlclose(h);   /* RTLD_NOLOAD: only drops the reference just taken */
		}
		if (p == self)
			p = NULL;
	}
	if (!p)
		p = ts_resolve(name, self);
	errno = saved;
	return p;
}

/* AddressSanitizer's, when it is loaded (weak: NULL otherwise). */
extern void __asan_unpoison_memory_region(void const volatile *addr, size_t size)
	__attribute__((weak));

struct start {
	void *(*fn)(void *);
	void *arg;
};

/* Threads made here bypass the sanitizer's pthread_create, so it never
 * clears their stack's shadow; a stack glibc hands out again (a forked
 * child reuses its parent's other threads' stacks) would still carry the
 * redzones of old frames and fail the first check that lands on one. The
 * free part of the stack, below this frame, is cleared. */
__attribute__((noinline)) static void clear_stale_shadow(void)
{
	pthread_attr_t a;
	void *lo;
	size_t size;
	char here;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &lo, &size) == 0 && (char *)lo < &here)
		__asan_unpoison_memory_region(lo, (size_t)(&here - (char *)lo));
	pthread_attr_destroy(&a);
}

static void *start(void *p)
{
	struct start s = *(struct start *)p;
	free(p);
	if (__asan_unpoison_memory_region)
		clear_stale_shadow();
	return s.fn(s.arg);
}

int ts_real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			   void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	if (!real)
		real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
			ts_resolve("pthread_create", NULL);
	if (!real)
		return EAGAIN;
	if (!__asan_unpoison_memory_region)
		return real(th, attr, fn, arg);
	struct start *s = malloc(sizeof *s);
	if (!s)
		return EAGAIN;
	*s = (struct start){fn, arg};
	int rc = real(th, attr, start, s);
	if (rc != 0)
		free(s);
	return rc;
}

typedef int (*clone_fn)(int (*)(void *), void *, int, void *, ...);
static clone_fn real_clone;

__attribute__((constructor)) static void find_clone(void)
{
	real_clone = (clone_fn)ts_resolve("clone", NULL);
}

int ts_real_clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls,
		  pid_t *ctid)
{
	if (!real_clone)
		find_clone();
	if (!real_clone) {
		errno = ENOSYS;
		return -1;
	}
	return real_clone(fn, stack, flags, arg, ptid, tls, ctid);
}

void ts_real_exit(int status)
{
	void (*real)(int) = (void (*)(int))ts_resolve("exit", NULL);
	if (real)
		real(status);
	for (;;)
		ts_syscall(SYS_exit_group, status);
}
