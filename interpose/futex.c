/* syscall(): a close made through it is traced as close() is (libuv closes
 * its descriptors so, to stay out of a cancellation point), and a
 * close_range ends the HTTP connections it closes as the function does.
 * Futex waits made through it (FUTEX_WAIT, FUTEX_WAIT_BITSET, private or
 * shared, on either clock) are spans when they blocked (waitwrap.h), with
 * the futex word's address; glibc's own locks use the kernel directly and
 * never come here. syscall() is the program's way to reach every system
 * call, and the shim's too: whatever else it is asked goes straight through
 * with all six arguments, as glibc's syscall() passes them (it reads six
 * whatever the call takes), and errno as the real call leaves it. The
 * shim's own futex waits (a ring waiting for room, the background thread)
 * are system calls of its own (rawsys.h), never made through here. */
#include "barefork.h"
#include "credmirror.h"
#include "rlimits.h"
#include "waitwrap.h"

#include <linux/close_range.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef long (*syscall_fn)(long, ...);

static bool futex_wait_op(long nr, long op)
{
	if (nr != SYS_futex)
		return false;
	int cmd = (int)op & FUTEX_CMD_MASK;
	return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
}

/* The relative timeout in ms + 1 (0: none, or FUTEX_WAIT_BITSET's deadline). */
static uint32_t futex_timeout(long op, const struct timespec *ts)
{
	if (!ts_plausible_ptr(ts) || ((int)op & FUTEX_CMD_MASK) != FUTEX_WAIT || ts->tv_sec < 0)
		return 0;
	uint64_t ms = (uint64_t)ts->tv_sec * 1000u + (uint64_t)ts->tv_nsec / 1000000u;
	return ms >= UINT32_MAX - 1 ? UINT32_MAX : (uint32_t)ms + 1;
}

TS_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);
	TS_REAL_TYPED(syscall_fn, syscall, -1);
	if (nr == SYS_close)
		TS_CLOSE_BODY((int)a, real(nr, a, b, c, d, e, f));
#ifdef SYS_close_range
	if (nr == SYS_close_range) {
		long r = real(nr, a, b, c, d, e, f);
		if (r == 0 && !((unsigned)c & CLOSE_RANGE_CLOEXEC))
			ts_fds_closed((unsigned)a, (unsigned)b);
		return r;
	}
#endif
	if (ts_cred_call(nr)) {   /* libcap makes them so; a set*id here is this thread's alone */
		long r = real(nr, a, b, c, d, e, f);
		if (r == 0)
			ts_cred_mirror(nr, (unsigned long)a, (unsigned long)b, (unsigned long)c,
				       (unsigned long)d);
		return r;
	}
	if (nr == SYS_seccomp || (nr == SYS_prctl && a == PR_SET_SECCOMP)) {
		long r = real(nr, a, b, c, d, e, f);
		if (r >= 0 && (nr == SYS_prctl || a == SECCOMP_SET_MODE_STRICT || a == SECCOMP_SET_MODE_FILTER))
			ts_sandbox_entered();
		return r;
	}
	if (ts_bare_fork_syscall(nr, a))
		return ts_bare_fork_call(real, nr, a, b, c, d, e, f);
	if (nr == SYS_setrlimit)   /* the limits are followed (rlimit.c) */
		return ts_rlimit_call(0, (int)a, (const void *)b, NULL);
	if (nr == SYS_prlimit64)
		return ts_rlimit_call((pid_t)a, (int)b, (const void *)c, (void *)d);
	if (__builtin_expect(!futex_wait_op(nr, b), 1))
		return real(nr, a, b, c, d, e, f);
	TS_WAIT_BODY(TS_OP_FUTEX_WAIT, real(nr, a, b, c, d, e, f),
		     (w_.arg = (uint64_t)a, w_.aux = (uint32_t)b,
		      w_.aux2 = r_ == -1 && e_ == EFAULT ? 0 : futex_timeout(b, (const struct timespec *)d)));
}
