/* Credentials the program sets for one thread, made the same on the
 * in-process writer's thread (see credmirror.c). */
#ifndef TS_CREDMIRROR_H
#define TS_CREDMIRROR_H

#include <stdbool.h>

/* After a call of the program's that succeeded: nr is SYS_prctl or
 * SYS_capset, a..d its arguments. When it set one of the calling thread's
 * own credentials and the writer's thread runs, the writer's thread makes
 * the same call before this returns (bounded). errno is kept. */
void ts_cred_mirror(long nr, unsigned long a, unsigned long b, unsigned long c, unsigned long d);
/* The writer's thread: makes the call asked for, if one is. */
void ts_cred_serve(void);
/* A forked child: no call asked for, no writer waited for. */
void ts_cred_after_fork(void);

#endif
