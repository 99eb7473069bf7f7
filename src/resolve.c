/* Real-symbol lookup. RTLD_NEXT only searches the global scope; a library
 * loaded with dlopen(RTLD_LOCAL) (Python's extension modules and their
 * dependencies, for one) is outside it, so the fallback walks every loaded
 * object and asks each one by handle. */
#include "resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

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

int ts_real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			   void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	if (!real)
		real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
			ts_resolve("pthread_create", NULL);
	return real ? real(th, attr, fn, arg) : EAGAIN;
}
