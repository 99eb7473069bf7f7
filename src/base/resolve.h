/* Finding the real functions behind the interposed ones. */
#ifndef TS_RESOLVE_H
#define TS_RESOLVE_H

#include <pthread.h>

/* Address of the next definition of `name` after the shim: dlsym(RTLD_NEXT)
 * first, then every loaded object, which also finds definitions in libraries
 * opened with RTLD_LOCAL (outside the global scope RTLD_NEXT searches).
 * `self` (the wrapper) is never returned. NULL when nothing defines it. */
void *ts_resolve(const char *name, const void *self);

/* exit() itself, not the shim's wrapper (the caller has set the exit status). */
__attribute__((noreturn)) void ts_real_exit(int status);

int ts_real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			   void *(*fn)(void *), void *arg);

#endif
