/* The background thread that drains the per-thread rings, turns records
 * into spans and hands them to the exporter; and the final flush at exit. */
#ifndef TS_DRAIN_H
#define TS_DRAIN_H

#include <stdbool.h>

struct ts_thread;
struct ts_track_ctx;

/* Starts the background thread and waits (at most TRACESHIM_EXIT_TIMEOUT_MS)
 * until it has its own descriptor table and has opened the trace file. */
bool ts_drain_start(void);
/* Consumes the new records of t's ring onto track c (one step of a drain
 * cycle); returns how many. Records are trusted no further than their
 * bounds: a damaged one is skipped, never read past. */
unsigned ts_drain_ring(struct ts_track_ctx *c, struct ts_thread *t);
/* Final drain at process exit, bounded by TRACESHIM_EXIT_TIMEOUT_MS, run by
 * the background thread while this one waits (or here, when this is the
 * background thread). Called from exit(), _exit() and a fatal signal's
 * handler alike: only async-signal-safe steps on the calling side. */
void ts_drain_shutdown(void);
/* After ts_drain_shutdown(): waits up to `ms` for the background thread to
 * return; true once it has. */
bool ts_drain_wait_gone(unsigned ms);
/* fork's prepare and parent handlers: no drain cycle runs across a fork. */
void ts_drain_before_fork(void);
void ts_drain_parent_after_fork(void);
/* Child after fork: the drainer thread does not exist there; its state is
 * dropped (it may have been mid-cycle) before ts_drain_start() runs again. */
void ts_drain_after_fork(void);
/* The first thing in every forked child: the lock taken for the fork is let
 * go. */
void ts_drain_child_after_fork(void);

#endif
