/* An agent's worker for one traced process (worker.c). */
#ifndef TS_WORKER_H
#define TS_WORKER_H

#include <stdbool.h>

/* Consumes the segment open on fd (at path, removed when done) until its
 * process is gone and everything is written; returns an exit code. Runs in a
 * process of its own: it takes the traced process's settings (environment,
 * working directory) and identity. relay_fd (-1: none) is its connection to
 * the agent's OTLP relay, which sends its OTLP requests. */
int ts_worker_run(int fd, const char *path, int relay_fd);

/* After ts_worker_run() returned 0: true when this process may serve
 * another segment (it used nothing that cannot be reset: OTLP). */
bool ts_worker_reusable(void);
/* Back to the state of a worker that served nothing, everything the last
 * process left freed (its segment unmapped; fd is the caller's to close,
 * after this). log_level: the level to go back to. */
void ts_worker_reset(int log_level);

#endif
