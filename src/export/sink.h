/* The trace file: opened on first write, appended to with one write() per
 * batch (several processes may share it), guarded against programs that
 * close or reuse descriptors they did not open. */
#ifndef TS_SINK_H
#define TS_SINK_H

#include "pb.h"

#include <stdatomic.h>
#include <stdbool.h>

/* Writes the batch (compressed when configured) and empties it. */
bool ts_sink_write(struct pb *batch);
/* Child after fork: the descriptor (shared with the parent, O_APPEND) stays;
 * the lock may have been held by the parent's drainer. */
void ts_sink_after_fork(void);

#endif
