/* The shim never keeps a process alive: its own threads do not count as the
 * program's (see lastthread.c). */
#ifndef TS_LASTTHREAD_H
#define TS_LASTTHREAD_H

/* At start-up, on the main thread (it counts as the program's first). */
void ts_lastthread_setup(void);
/* pthread_create of the program's: before the call, and after it failed. */
void ts_lastthread_creating(void);
void ts_lastthread_create_failed(void);
/* On the new thread, first thing. */
void ts_lastthread_started(void);
/* A shim thread starts (its tid is not the program's) and ends. */
/* Child after fork: only the forking thread is left, as for glibc. */
void ts_lastthread_after_fork(void);
/* Called by the background thread after each cycle, holding no lock: ends
 * the process when the program has no thread left. */
void ts_lastthread_check(void);

#endif
