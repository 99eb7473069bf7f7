/* The fork span of every fork wrapper (fork, vfork as fork, and those of
 * barefork.c), and the forks made as system calls through syscall(): fork,
 * and clone or clone3 without shared memory. */
#ifndef TS_BAREFORK_H
#define TS_BAREFORK_H

#include "ops.h"

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>

/* A fork about to be made, as a span of the calling thread t (NULL:
 * untraced, and id 0). */
struct ts_fork_span {
	struct ts_thread *t;
	uint32_t span;
	uint64_t id, t0;
};
struct ts_fork_span ts_fork_span_begin(void);
/* In the parent, once the fork returned r (the child's pid, or -1 with
 * errno, which is kept): the span. */
void ts_fork_span_end(const struct ts_fork_span *f, enum ts_op op, long r);

/* Whether syscall(nr, a, ...) may make a child that is a copy: fork, and
 * clone without shared memory (flags first on x86-64 and most others);
 * clone3's flags are read once the kernel has read them. */
static inline bool ts_bare_fork_syscall(long nr, long a)
{
#ifdef SYS_fork
	if (nr == SYS_fork)
		return true;
#endif
	if (nr == SYS_clone)
		return !((unsigned long)a & (CLONE_VM | CLONE_THREAD));
#ifdef SYS_clone3
	return nr == SYS_clone3;
#else
	return false;
#endif
}
/* Makes that call through real, as a fork span, and sets the child up. */
long ts_bare_fork_call(long (*real)(long, ...), long nr, long a, long b, long c, long d, long e,
		       long f);

#endif
