/* What a blocking wait's record (TS_SHAPE_WAIT) carries, as the wrappers
 * write it (record/recordsyswait.c) and the drainer reads it (agent/decode_wait.c).
 * Every wait record has fd -1, its result in ret and errno in err (for
 * clock_nanosleep, which returns its error, that error), and by operation:
 *
 *   polls (poll, ppoll, select, pselect, epoll_*): arg the timeout in ms as
 *     an int64 (-1: none, infinite); aux the descriptors or events asked
 *     for (nfds, maxevents); when a write of another thread woke it
 *     (fdwake.h), fdgen is that thread's index + 1 and aux2 its span number.
 *   sleeps (nanosleep, clock_nanosleep, usleep, sleep): arg the time asked
 *     for, in ns; aux_kind TS_WAIT_ABSOLUTE when it was a deadline
 *     (TIMER_ABSTIME), arg then is 0.
 *   child waits (waitpid, wait, wait4, waitid): arg the pid waited for as
 *     an int64 (-1 any child; for waitid, P_PGID ids are negated, P_ALL is
 *     -1); aux the child reaped (0 none), aux_kind how it changed
 *     (enum ts_wait_child) and aux2 its exit code or signal.
 *   futex waits: arg the futex word's address; aux the futex operation;
 *     aux2 the relative timeout in ms + 1 (0: none, or a deadline). */
#ifndef TS_SYSWAIT_H
#define TS_SYSWAIT_H

enum ts_wait_child {
	TS_WAIT_CHILD_NONE = 0,      /* nothing reaped (WNOHANG, or failed) */
	TS_WAIT_CHILD_EXITED,        /* aux2: exit code */
	TS_WAIT_CHILD_KILLED,        /* aux2: signal */
	TS_WAIT_CHILD_STOPPED,       /* aux2: signal */
	TS_WAIT_CHILD_CONTINUED,
};

/* A sleep's aux_kind: until a deadline, not for a time. */
#define TS_WAIT_ABSOLUTE 1

#endif
