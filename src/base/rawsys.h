/* The shim's own system calls, made without libc's syscall(), poll() or
 * nanosleep(): the library exports those to trace the program's waits
 * (interpose/futex.c, poll.c, sleep.c), and its own code, running on the
 * program's threads or its own, must not go through its wrappers (a ring
 * waiting for room would record a wait from inside a recording). Results
 * and errno as libc's: -1 with errno set on failure. */
#ifndef TS_RAWSYS_H
#define TS_RAWSYS_H

#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

/* A system call with up to six arguments, unused ones 0. Async-signal-safe. */
long ts_syscall6(long nr, long a, long b, long c, long d, long e, long f);

#define TS_SYSCALL_(nr, a, b, c, d, e, f, ...)                                            \
	ts_syscall6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* ts_syscall(SYS_x, args...): as syscall(SYS_x, args...). */
#define ts_syscall(...) TS_SYSCALL_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

/* poll(fds, n, timeout_ms) as a system call (ppoll, which every
 * architecture has). */
int ts_sys_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
/* nanosleep(req, rem) as a system call. */
int ts_sys_nanosleep(const struct timespec *req, struct timespec *rem);

#endif
