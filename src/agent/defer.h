/* When an agent's worker defers the conversion of records (defer.c): with
 * TRACESHIM_DEFER=auto while the machine's CPUs are all taken by other work
 * (the traced program among it) and the process has lived a second, so that the encoding and compression of
 * spans take no CPU time from the program when it has none to spare; with
 * always, until the process ends. Either way, up to TRACESHIM_DEFER_MB of
 * records wait (spool.h); beyond, the oldest are converted. */
#ifndef TS_DEFER_H
#define TS_DEFER_H

#include <stdbool.h>
#include <stddef.h>

/* Whether records read now should wait, with held bytes waiting already. */
bool ts_defer_wanted(size_t held);
/* Whether held bytes waiting are more than may wait. */
bool ts_defer_over(size_t held);
/* The worker begins serving a process: auto waits only once it has lived a
 * second. */
void ts_defer_start(void);
/* Forgets what was measured (a worker's next process). */
void ts_defer_reset(void);

#endif
