/* How the program's threads wake the in-process writer (process/drain.c):
 * a futex word it sleeps on. A full ring waiting for room and a crash
 * handler waiting for its stack to be unwound ring it; the writer listens
 * once it runs. Async-signal-safe. */
#ifndef TS_DOORBELL_H
#define TS_DOORBELL_H

#include <stdbool.h>
#include <time.h>

/* Wakes the in-process writer; false when it is not running (no writer at
 * all, or an agent consumes the records). */
bool ts_drain_wake(void);

/* The writer's side: it runs (true) or is gone (false, also after fork). */
void ts_doorbell_listen(bool on);
bool ts_doorbell_listened(void);
/* Wakes it whether or not it listens (it may be starting or ending). */
void ts_doorbell_ring(void);
/* What the word holds now, then a sleep until it changes or timeout passes. */
int ts_doorbell_seen(void);
void ts_doorbell_wait(int seen, const struct timespec *timeout);
/* Child after fork: nobody listens, nothing was rung. */
void ts_doorbell_after_fork(void);

#endif
