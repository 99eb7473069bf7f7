/* The shim never keeps a process alive: its own threads do not count as the
 * program's (see lastthread.c). */
#ifndef TS_LASTTHREAD_H
#define TS_LASTTHREAD_H

#include <stdbool.h>

/* At start-up, on the main thread (it counts as the program's first). */
void ts_lastthread_setup(void);
/* pthread_create of the program's: before the call, and after it failed. */
void ts_lastthread_creating(void);
void ts_lastthread_create_failed(void);
/* On the new thread, first thing. */
void ts_lastthread_started(void);
/* A shim thread starts (its tid is not the program's) and ends. */
/* With no background thread to notice that the main thread is gone (an
 * agent consumes the records), `ends` is called on the program's last task
 * as it leaves, the exit status set (NULL: nothing is). Set by start-up. */
void ts_lastthread_when_alone(void (*ends)(void));
/* Child after fork: only the forking thread is left, as for glibc. */
void ts_lastthread_after_fork(void);
/* Asked by the background thread after each cycle, holding no lock (a look
 * at most every 10 ms): true when the program has no thread left. The
 * background thread then writes the trace and calls ts_lastthread_leave(),
 * which ends the process as the kernel would have. */
bool ts_lastthread_gone(void);
__attribute__((noreturn)) void ts_lastthread_leave(void);

#endif
