/* Finding the real functions behind the interposed ones. */
#ifndef TS_RESOLVE_H
#define TS_RESOLVE_H

#include <pthread.h>

/* Address of the next definition of `name` after the shim: dlsym(RTLD_NEXT)
 * first, then every loaded object, which also finds definitions in libraries
 * opened with RTLD_LOCAL (outside the global scope RTLD_NEXT searches).
 * `self` (the wrapper) is never returned. NULL when nothing defines it. */
void *ts_resolve(const char *name, const void *self);

/* The definition of `name` that the object holding address `caller` (a
 * return address) would use if the shim were not loaded: first what that
 * object's own dependencies define (dlsym on its handle searches only them),
 * so that a library that brought its own copy of another (two builds of
 * OpenSSL in one Python process) keeps calling its own; then ts_resolve().
 * The main program, or an address in no object: ts_resolve() alone. */
void *ts_resolve_from(const char *name, const void *self, const void *caller);

/* exit() itself, not the shim's wrapper (the caller has set the exit status). */
__attribute__((noreturn)) void ts_real_exit(int status);

int ts_real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			   void *(*fn)(void *), void *arg);

/* libc's clone(), not the shim's wrapper (interpose/barefork.c): what the
 * shim's own clones use (the agent's start, the crash unwinder's thread).
 * Found as the library loads, so a crash handler never resolves it; -1 with
 * ENOSYS when there is none. */
int ts_real_clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls,
		  pid_t *ctid);

#endif
