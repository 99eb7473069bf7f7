/* libsiglock: preloaded before the shim, it wraps signal(), sigset() and
 * sigaction() under one lock of its own, as the JVM's signal-chaining
 * library (libjsig) does. Its signal() calls the next one with the lock
 * held: a next signal() that called the exported sigaction() would come
 * back here and wait for ever. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* not recursive */

__sighandler_t signal(int sig, __sighandler_t handler)
{
	__sighandler_t (*next)(int, __sighandler_t) = (__sighandler_t (*)(int, __sighandler_t))dlsym(
		RTLD_NEXT, "signal");
	pthread_mutex_lock(&lock);
	__sighandler_t old = next(sig, handler);
	pthread_mutex_unlock(&lock);
	return old;
}

__sighandler_t sigset(int sig, __sighandler_t disp)
{
	__sighandler_t (*next)(int, __sighandler_t) = (__sighandler_t (*)(int, __sighandler_t))dlsym(
		RTLD_NEXT, "sigset");
	pthread_mutex_lock(&lock);
	__sighandler_t old = next(sig, disp);
	pthread_mutex_unlock(&lock);
	return old;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int (*next)(int, const struct sigaction *, struct sigaction *) =
		(int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
	pthread_mutex_lock(&lock);
	int rc = next(sig, act, old);
	pthread_mutex_unlock(&lock);
	return rc;
}
