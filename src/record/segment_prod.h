/* The producer's side of the shared segment (segment.c). */
#ifndef TS_SEGMENT_PROD_H
#define TS_SEGMENT_PROD_H

#include "segment.h"

#include <stdbool.h>

/* This process's segment, or NULL (the in-process writer's rings are
 * private memory then). */
extern struct ts_seg_header *ts_seg;

/* Makes and maps this process's segment in dir (which must be usable). */
bool ts_segment_create(const char *dir);
/* Whether thread slot `slot` may be written: its pages are reserved, by
 * now or after asking the worker and waiting for it (a bounded wait);
 * true without a segment. */
bool ts_segment_slot_backed(uint32_t slot);
/* Wakes the consumer if it sleeps (a ring is filling up); false without a
 * segment. */
bool ts_segment_nudge(void);
/* The process is ending (exit, a fatal signal) or is replaced by exec: its
 * records are in the rings (and, but for exec, more may follow until it is
 * gone). Async-signal-safe. */
void ts_segment_finish(int exit_status, bool exec);
/* After ts_segment_finish(): waits up to ms for the consumer to have written
 * the process's last spans; false when it did not in time. Async-signal-safe. */
bool ts_segment_wait_written(unsigned ms);
/* After ts_segment_wait_written(): what the consumer had to say about this
 * process (a trace file it could not write), on stderr. */
void ts_segment_tell(void);
/* No agent after all: the segment is removed before any thread uses it. */
void ts_segment_discard(void);
/* Child after fork: lets go of the parent's segment. */
void ts_segment_after_fork(void);

#endif
