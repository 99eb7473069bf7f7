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
 * on the process track just before the end, "flow start not recorded". The
 * recent starts are kept (flowends.c): an end that comes after very many
 * other starts may not find its own, and gets an instant as well, an extra
 * step in its arrow. */
#ifndef TS_FLOWENDS_H
#define TS_FLOWENDS_H

#include "span.h"

#include <stdint.h>

/* The process whose thread tracks the ends are on (its track lasts until
 * after its final flush). */
void ts_pf_flows_process(const struct ts_track *proc);
/* A flow id written as a start (flow_ids). */
void ts_pf_flow_begun(uint64_t id);
/* A flow id written as an end (terminating_flow_ids) on track at ts_ns. */
void ts_pf_flow_ended(const struct ts_track *track, uint64_t id, uint64_t ts_ns);
/* The process's last records are written: every end still unmatched gets
 * its start; the tables are emptied for the next process. */
void ts_pf_flows_close(void);
void ts_pf_flows_after_fork(void);

#endif
