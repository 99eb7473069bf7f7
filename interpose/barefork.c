/* Forks that no fork handler sees: glibc's _Fork(), clone() without
 * CLONE_VM, and fork, clone or clone3 made as system calls through
 * syscall(). The child is a copy of its parent with none of its threads:
 * it holds the parent's thread pointer and, with an agent, the parent's
 * rings in shared memory, and with the in-process writer a writer thread
 * that is not there. So it records nothing (ts_bare_fork_child) and a
 * program it execs is the fork span's child (exec.c), as after vfork.
 * These children may only make async-signal-safe calls, and the shim makes
 * no other on their behalf. In the parent the call is a fork span.
 *
 * A clone() that shares memory (CLONE_VM: a thread, a vfork-like child)
 * goes straight through. The shim's own clones call libc's (ts_real_clone). */
#include "barefork.h"
#include "ids.h"
#include "init.h"
#include "wrap.h"

#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_VM
#define CLONE_VM 0x00000100
#endif
#ifndef CLONE_THREAD
#define CLONE_THREAD 0x00010000
#endif

/* The span a fork about to be made is, on thread t (0: untraced). */
struct bare_fork {
	struct ts_thread *t;
	uint32_t span;
	uint64_t id, t0;
};

static struct bare_fork bare_begin(void)
{
	struct bare_fork f = {0};
	f.t = ts_caller();
	if (f.t) {
		f.span = f.t->next_span++;
		f.id = ts_span_id(f.t->index, f.span);
		f.t0 = ts_ticks();
	}
	return f;
}

/* In the parent: the fork span, with the child's pid (or the error). */
static void bare_end(const struct bare_fork *f, long r)
{
	int saved = errno;
	if (f->t)
		ts_record_proc(f->t, TS_OP_FORK, f->span, r, r < 0 ? saved : 0, r > 0 ? (pid_t)r : 0,
			       -1, NULL, f->t0, ts_ticks());
	if (r > 0)
		ts_http_forked((pid_t)r);
	errno = saved;
}

/* Found as the library loads: _Fork may be called from a signal handler,
 * where looking it up would not be safe. */
static pid_t (*real_fork)(void);

__attribute__((constructor)) static void find_fork(void)
{
	real_fork = (pid_t(*)(void))ts_resolve("_Fork", (const void *)_Fork);
}

TS_EXPORT pid_t _Fork(void)
{
	if (!real_fork)
		find_fork();
	if (!real_fork) {
		errno = ENOSYS;
		return -1;
	}
	struct bare_fork f = bare_begin();
	pid_t r = real_fork();
	if (r == 0) {
		ts_bare_fork_child(f.id);
		return 0;
	}
	bare_end(&f, r);
	return r;
}

/* clone()'s child without CLONE_VM starts here, on its own stack, with its
 * own copy of the parent's memory (where the trampoline's data is). */
struct bare_start {
	int (*fn)(void *);
	void *arg;
	uint64_t fork_span;
};

static int bare_child_main(void *p)
{
	const struct bare_start *s = p;
	ts_bare_fork_child(s->fork_span);
	return s->fn(s->arg);
}

TS_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	/* glibc reads all three whatever the flags say; so do we. */
	va_list ap;
	va_start(ap, arg);
	pid_t *ptid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *ctid = va_arg(ap, pid_t *);
	va_end(ap);
	if ((flags & (CLONE_VM | CLONE_THREAD)) || !fn)
		return ts_real_clone(fn, stack, flags, arg, ptid, tls, ctid);
	struct bare_fork f = bare_begin();
	struct bare_start s = {fn, arg, f.id};
	int r = ts_real_clone(bare_child_main, stack, flags, &s, ptid, tls, ctid);
	bare_end(&f, r);
	return r;
}

/* clone3's arguments, as far as they are read here (linux/sched.h). */
struct clone3_head {
	uint64_t flags;
};

bool ts_bare_fork_syscall(long nr, long a)
{
#ifdef SYS_fork
	if (nr == SYS_fork)
		return true;
#endif
	if (nr == SYS_clone)   /* flags first on x86-64 and most others */
		return !((unsigned long)a & (CLONE_VM | CLONE_THREAD));
#ifdef SYS_clone3
	return nr == SYS_clone3;   /* its flags are read once the kernel has */
#else
	return false;
#endif
}

long ts_bare_fork_call(long (*real)(long, ...), long nr, long a, long b, long c, long d, long e,
		       long f_)
{
	struct bare_fork f = bare_begin();
	long r = real(nr, a, b, c, d, e, f_);
#ifdef SYS_clone3
	/* Read by the kernel, so readable: a clone3 that shares memory is
	 * not a fork (the span number taken is left unused). */
	if (nr == SYS_clone3 && r >= 0 &&
	    (((const struct clone3_head *)a)->flags & (CLONE_VM | CLONE_THREAD)))
		return r;
#endif
	if (r == 0) {
		ts_bare_fork_child(f.id);
		return 0;
	}
	bare_end(&f, r);
	return r;
}
