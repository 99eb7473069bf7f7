/* Forks made as system calls through syscall() (barefork.c): fork, and
 * clone or clone3 without shared memory. */
#ifndef TS_BAREFORK_H
#define TS_BAREFORK_H

#include <stdbool.h>

/* Whether syscall(nr, a, ...) may make a child that is a copy. */
bool ts_bare_fork_syscall(long nr, long a);
/* Makes that call through real, as a fork span, and sets the child up. */
long ts_bare_fork_call(long (*real)(long, ...), long nr, long a, long b, long c, long d, long e,
		       long f);

#endif
