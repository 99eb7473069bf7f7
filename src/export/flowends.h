/* Arrows inside a process whose start may never be written (Perfetto).
 *
 * A wait's arrow ends at the wait from the release that woke it, a thread's
 * from the pthread_create that made it; both are ids of spans of the same
 * process, and the end is written with terminating_flow_ids. When the
 * process ends abruptly (exit_group, a fatal signal, SIGKILL) between a
 * release and its record, the waiter's end names a flow that never began,
 * which Perfetto's importer counts as an error. So the ends on thread
 * tracks are matched with the starts written; one still unmatched when the
 * process's last records are written gets a start of its own: an instant
 * on the process track just before the end, "flow start not recorded"
 * (written by perfetto.c; these are the tables). The recent starts are
 * kept: an end that comes after very many other starts may not find its
 * own, and gets an instant as well, an extra step in its arrow. */
#ifndef TS_FLOWENDS_H
#define TS_FLOWENDS_H

#include "span.h"

#include <stdbool.h>
#include <stdint.h>

struct ts_flow_end {
	uint64_t id, ts;   /* the flow, and when its end was */
};

/* A flow id written as a start (flow_ids). */
void ts_pf_flow_begun(uint64_t id);
/* A flow id written as an end (terminating_flow_ids) on track at ts_ns.
 * True when, the table full, an older end still unmatched was put out into
 * *evicted: its start is to be written now. */
bool ts_pf_flow_ended(const struct ts_track *track, uint64_t id, uint64_t ts_ns,
		      struct ts_flow_end *evicted);
/* The process's last records are written: takes one end still unmatched
 * (false when none is left), whose start is to be written. */
bool ts_pf_flow_unmatched(struct ts_flow_end *end);
/* Empties the tables, for the next process (or a forked child). */
void ts_pf_flows_reset(void);

#endif
