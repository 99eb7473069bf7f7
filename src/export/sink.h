/* The trace file: opened by the background thread as it starts, appended
 * to with one write() per batch (several processes may share it); a
 * failure is reported once and ends the file's use. */
#ifndef TS_SINK_H
#define TS_SINK_H

#include "pb.h"

#include <stdbool.h>
#include <stdint.h>

/* Opens the trace file (ts_cfg.output). private_table: the calling thread
 * has a descriptor table of its own (ts_fd_table_private), so the file stays
 * open in it; else it is opened again for each write. False, after saying
 * why on stderr, when the file cannot be used. */
bool ts_sink_open(bool private_table);
/* One more span in the batch being encoded (counted for the report of a
 * failed write). */
void ts_sink_span_added(void);
/* Writes the batch (compressed when configured) and empties it. */
bool ts_sink_write(struct pb *batch);
/* Exit has begun: a reader that takes nothing is not waited for past
 * monotonic_ms (CLOCK_MONOTONIC). Async-signal-safe. */
void ts_sink_give_up_at(uint64_t monotonic_ms);
/* Child after fork: the parent's descriptor is not in the child's tables. */
void ts_sink_after_fork(void);
/* Closes the trace file and forgets how writing it went: an agent's worker,
 * before it serves another process (which may name another file). */
void ts_sink_reset(void);
/* Asked while a write waits for a reader, when no deadline is set yet: the
 * deadline to set (0: none yet). An agent's worker learns this way that its
 * process has ended while it waits. */
void ts_sink_deadline_hook(uint64_t (*hook)(void));

#endif
