/* pthread_create (through a trampoline that carries the creator's context to
 * the new thread) and the calls that rename threads. */
#include "credmirror.h"
#include "lastthread.h"
#include "registry.h"
#include "rlimits.h"
#include "wrap.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

struct trampoline {
	void *(*fn)(void *);
	void *arg;
	struct ts_thread_link link;
};

static void *trampoline_main(void *p)
{
	struct trampoline tr = *(struct trampoline *)p;
	ts_lastthread_started();
	ts_thread_start(&tr.link, (void *)tr.fn);
	/* Only now: an allocator's free() may wait on a mutex (jemalloc's,
	 * held across a fork by the forking thread), whose wrapper would
	 * register the thread before its start did, a second track for it. */
	free(p);
	return tr.fn(tr.arg);
}

/* Threads started by the shim's own threads (libcurl's resolver, for one)
 * belong to the shim too: never traced. */
struct muted_start {
	void *(*fn)(void *);
	void *arg;
};

static void *muted_main(void *p)
{
	struct muted_start m = *(struct muted_start *)p;
	free(p);
	ts_thread_mute();
	void *r = m.fn(m.arg);
	ts_shim_thread_end();
	return r;
}

/* Through ts_real_pthread_create, as every thread of the shim's: under
 * AddressSanitizer it clears the stack shadow a reused stack may carry. */
static int create_muted(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct muted_start *m = malloc(sizeof *m);
	if (!m)
		return EAGAIN;
	*m = (struct muted_start){fn, arg};
	int r = ts_real_pthread_create(th, attr, muted_main, m);
	if (r != 0)
		free(m);
	return r;
}

TS_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
			     void *arg)
{
	TS_REAL(pthread_create, EAGAIN);
	if (ts_tls.muted)
		return create_muted(th, attr, fn, arg);
	struct ts_thread *t = ts_caller();
	struct trampoline *tr = t ? malloc(sizeof *tr) : NULL;
	if (!tr)
		return real(th, attr, fn, arg);
	uint32_t span = t->next_span++;
	uint32_t child = ts_thread_next_index();
	*tr = (struct trampoline){fn, arg, {t->index, span, child}};
	ts_lastthread_creating();   /* before the thread may end */
	uint64_t t0 = ts_ticks();
	int r = real(th, attr, trampoline_main, tr);
	uint64_t t1 = ts_ticks();
	if (r != 0) {
		free(tr);
		ts_lastthread_create_failed();
	}
	ts_record_thread_create(t, span, child, r, t0, t1);
	return r;
}

TS_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
	TS_REAL(pthread_setname_np, ERANGE);
	int r = real(th, name);
	if (r == 0)
		ts_thread_renamed(th);
	return r;
}

/* prctl takes up to four more unsigned long arguments. */
typedef int (*prctl_fn)(int, ...);

TS_EXPORT int prctl(int option, ...)
{
	TS_REAL_TYPED(prctl_fn, prctl, -1);
	va_list ap;
	va_start(ap, option);
	unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long);
	unsigned long c = va_arg(ap, unsigned long), d = va_arg(ap, unsigned long);
	va_end(ap);
	int r = real(option, a, b, c, d);
	if (r == 0 && option == PR_SET_NAME) {
		int saved = errno;
		ts_thread_renamed(pthread_self());
		errno = saved;
	}
	if (r == 0 && option == PR_SET_SECCOMP)
		ts_sandbox_entered();
	if (r == 0)
		ts_cred_mirror(SYS_prctl, (unsigned long)option, a, b, c);
	return r;
}

/* The calling thread's capabilities: the in-process writer's thread gets
 * the same (credmirror.h). */
TS_EXPORT int capset(cap_user_header_t hdr, const cap_user_data_t data)
{
	TS_REAL(capset, -1);
	int r = real(hdr, data);
	if (r == 0)
		ts_cred_mirror(SYS_capset, (unsigned long)hdr, (unsigned long)data, 0, 0);
	return r;
}
