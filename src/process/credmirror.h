/* Credentials the program sets for one thread, made the same on the
 * in-process writer's thread (see credmirror.c). */
#ifndef TS_CREDMIRROR_H
#define TS_CREDMIRROR_H

#include <stdbool.h>
#include <sys/syscall.h>

/* A system call that may set a credential of the calling thread's alone:
 * syscall()'s wrapper hands these to ts_cred_mirror. */
static inline bool ts_cred_call(long nr)
{
	switch (nr) {
	case SYS_capset: case SYS_prctl: case SYS_setuid: case SYS_setgid: case SYS_setreuid:
	case SYS_setregid: case SYS_setresuid: case SYS_setresgid: case SYS_setgroups:
	case SYS_setfsuid: case SYS_setfsgid:
		return true;
	default:
		return false;
	}
}

/* After a call of the program's that succeeded: nr is SYS_prctl,
 * SYS_capset or (made through syscall()) a set*id call, a..d its arguments. When it set one of the calling thread's
 * own credentials and the writer's thread runs, the writer's thread makes
 * the same call before this returns (bounded). errno is kept. */
void ts_cred_mirror(long nr, unsigned long a, unsigned long b, unsigned long c, unsigned long d);
/* The writer says when it starts and stops taking requests. */
void ts_cred_serving(bool on);
/* Whether a call is asked for: the writer does not sleep then. */
bool ts_cred_pending(void);
/* The writer's thread: makes the call asked for, if one is. */
void ts_cred_serve(void);
/* A forked child: no call asked for, no writer waited for. */
void ts_cred_after_fork(void);

#endif
