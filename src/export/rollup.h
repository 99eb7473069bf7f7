/* Roll-ups: a leaf call that succeeded quickly is counted on its parent span
 * instead of being a span of its own. A span per read() is right in a local
 * trace and wrong in a backend that bills and indexes every span, so each
 * exporter has its own choice (config.h: on for OTLP, off for the Perfetto
 * file) over the same spans; export.c asks one ts_rollup per exporter about
 * every span before that exporter sees it.
 *
 * The parent gets, per call name, traceshim.calls.<name>.count, .time_ns
 * (the calls' own durations added up), .bytes (when the calls move bytes:
 * their traceshim.io.bytes) and .errors (failed calls folded by the budget),
 * at most TS_ROLLUP_ATTRS attributes: the most frequent names first, the
 * rest under traceshim.calls.other.*.
 *
 * What folds: a traced call (ts_span.call) of the I/O, network, file, file
 * metadata or stdio families, of kind INTERNAL (connect and accept stay),
 * with no link, event or kept child span (children it folded go up with
 * it), that succeeded in less than the threshold; beyond the budget of leaf
 * spans a second, any such call, failed ones too. Processes, threads, SQL
 * statements, HTTP and the program's own spans never fold.
 *
 * Nothing is lost: a call is either exported or counted on exactly one
 * exported span. Children end before their parents, so a parent's count is
 * complete when it goes out: a call span comes after its children in its
 * thread's records; a begun span (a thread's, the program's, the process's)
 * takes its children's counts with its end. A parent that may never come (a
 * record dropped from a full buffer) has an owner: the innermost span open
 * on the child's track, or the process span, which takes the counts at its
 * end if the parent has not come by then. A child whose parent has already
 * gone out (a span ended on another thread first) stays a span.
 * Drainer thread only. */
#ifndef TS_ROLLUP_H
#define TS_ROLLUP_H

#include "config.h"
#include "span.h"

#include <stdbool.h>

struct ts_rollup;

/* A span with the calls rolled up into it, as an exporter gets it. */
struct ts_rolled {
	struct ts_span span;
	struct ts_attr attrs[TS_ROLLUP_ATTRS];
};

/* One exporter's roll-ups; NULL when its settings fold nothing (then the
 * calls below pass every span through). */
struct ts_rollup *ts_rollup_new(const struct ts_rollup_cfg *cfg);
void ts_rollup_free(struct ts_rollup *r);

/* Event ev of span s on track t (its state in *state): NULL when s folds
 * into its parent; else what the exporter gets: s, or out->span, a copy of s
 * carrying the calls rolled up into it (valid until out is reused). */
const struct ts_span *ts_rollup_span(struct ts_rollup *r, void **state, const struct ts_track *t,
				     enum ts_span_event ev, const struct ts_span *s,
				     struct ts_rolled *out);
/* s, begun on track t, will be exported later, whole (a span that may end on
 * another thread): its parent must not fold. */
void ts_rollup_announce(struct ts_rollup *r, void **state, const struct ts_track *t,
			const struct ts_span *s);
/* The track is over: what it still holds goes to the process span. */
void ts_rollup_forget(struct ts_rollup *r, void **state);
/* Everything let go: the next process starts anew. */
void ts_rollup_reset(struct ts_rollup *r);
/* Child after fork: the parent's state is abandoned (never freed). */
void ts_rollup_after_fork(struct ts_rollup *r);

#endif
