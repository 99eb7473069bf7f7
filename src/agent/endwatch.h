/* When and how a served process ended, seen from its worker (endwatch.c). */
#ifndef TS_ENDWATCH_H
#define TS_ENDWATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Takes hold of process pid (in the agent, as soon as its segment is seen;
 * a worker forked afterwards has it too), or lets go of it (the agent,
 * once it has forked the worker). */
void ts_endwatch_pin(pid_t pid);
void ts_endwatch_unpin(void);

/* Watches process pid (held since ts_endwatch_pin, else taken now), which
 * made its segment at started_ns (BOOTTIME ns), and bumps and wakes the
 * futex word wake when it dies. False when it is gone already or pid is
 * another process's now: it counts as gone. */
bool ts_endwatch_start(pid_t pid, uint64_t started_ns, _Atomic uint32_t *wake);

/* When process pid started (BOOTTIME ns, to /proc's 10 ms; 0: unknown),
 * and whether a process started then can have made a segment made at
 * segment_ns (a later one with the same pid cannot; unknown: it can). */
uint64_t ts_endwatch_start_of(pid_t pid);
bool ts_endwatch_made_by(uint64_t process_start_ns, uint64_t segment_ns);

/* The process has died (or was never found). */
bool ts_endwatch_gone(void);

/* How it died, as ts_exit_status() (an exit code, or TS_EXIT_SIGNAL | the
 * signal), once ts_endwatch_gone(); -1 when that could not be learnt. */
int ts_endwatch_status(void);

/* The agent: the descriptors of the process pinned (-1 when none), to pass
 * to a worker that is running already; that worker takes them over. */
void ts_endwatch_pinned(int *pid_fd, int *stat_fd);
void ts_endwatch_adopt(pid_t pid, int pid_fd, int stat_fd);

/* The worker is done with the process: the watcher stopped and its
 * descriptors closed, so another process can be watched. */
void ts_endwatch_end(void);

#endif
