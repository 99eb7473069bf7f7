/* An agent's worker for one traced process (worker.c). */
#ifndef TS_WORKER_H
#define TS_WORKER_H

/* Consumes the segment open on fd (at path, removed when done) until its
 * process is gone and everything is written; returns an exit code. Runs in a
 * process of its own: it takes the traced process's settings (environment,
 * working directory) and identity. relay_fd (-1: none) is its connection to
 * the agent's OTLP relay, which sends its OTLP requests. */
int ts_worker_run(int fd, const char *path, int relay_fd);

#endif
