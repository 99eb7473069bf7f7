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

struct ts_fork_span ts_fork_span_begin(void)
{
	struct ts_fork_span f = {0};
	f.t = ts_caller();
	if (f.t) {
		f.span = f.t->next_span++;
		f.id = ts_span_id(f.t->index, f.span);
		f.t0 = ts_ticks();
	}
	return f;
}

void ts_fork_span_end(const struct ts_fork_span *f, enum ts_op op, long r)
{
	int saved = errno;
	if (f->t)
		ts_record_proc(f->t, op, f->span, r, r < 0 ? saved : 0, r > 0 ? (pid_t)r : 0, -1,
			       NULL, f->t0, ts_ticks());
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
	struct ts_fork_span f = ts_fork_span_begin();
	pid_t r = real_fork();
	if (r == 0) {
		ts_bare_fork_child(f.id);
		return 0;
	}
	ts_fork_span_end(&f, TS_OP_FORK, r);
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
	struct ts_fork_span f = ts_fork_span_begin();
	struct bare_start s = {fn, arg, f.id};
	int r = ts_real_clone(bare_child_main, stack, flags, &s, ptid, tls, ctid);
	ts_fork_span_end(&f, TS_OP_FORK, r);
	return r;
}

long ts_bare_fork_call(long (*real)(long, ...), long nr, long a, long b, long c, long d, long e,
		       long f_)
{
	struct ts_fork_span f = ts_fork_span_begin();
	long r = real(nr, a, b, c, d, e, f_);
#ifdef SYS_clone3
	/* Read by the kernel, so readable: a clone3 that shares memory is
	 * not a fork (the span number taken is left unused). */
	if (nr == SYS_clone3 && r >= 0 &&
	    (*(const uint64_t *)a & (CLONE_VM | CLONE_THREAD)))   /* clone_args.flags */
		return r;
#endif
	if (r == 0) {
		ts_bare_fork_child(f.id);
		return 0;
	}
	ts_fork_span_end(&f, TS_OP_FORK, r);
	return r;
}
