/* The agent's workers kept for more than one segment (pool.c): what goes
 * over the control connection between the agent and a worker. */
#ifndef TS_CLI_POOL_H
#define TS_CLI_POOL_H

#include <stdbool.h>
#include <sys/types.h>

/* The agent: hands segment `name` (open on seg, made by maker) to the idle
 * worker at the other end of ctl, with the process's pinned descriptors
 * (-1: none); the worker takes copies. False when the worker is gone. */
bool ts_pool_hand(int ctl, pid_t maker, const char *name, int seg, int pid_fd, int stat_fd);

/* The agent: reads what a worker said. 1: it is done with its segment and
 * idle; 0: nothing more to read now; -1: it has closed (it is ending). */
int ts_pool_heard(int ctl);

/* The worker process, forked with its first segment (seg, at path, with its
 * relay connection or -1): serves it, then, as long as what it served can
 * be reset, tells the agent it is idle and serves the segments the agent
 * hands it (in run directory dir), until the agent closes ctl. Returns the
 * exit code (as ts_worker_run's). */
int ts_pool_worker(int ctl, const char *dir, int seg, const char *path, int relay);

#endif
