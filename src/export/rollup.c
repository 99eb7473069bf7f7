/* Roll-ups (see rollup.h): which spans fold, and into which entry their
 * counts go (rollwait.h: the counts waiting for their parent span). */
#include "rollup.h"

#include "ops.h"
#include "rolltally.h"
#include "rollwait.h"

#include <stdlib.h>
#include <string.h>

struct ts_rollup {
	struct ts_rollup_cfg cfg;
	uint64_t min_ns;
	struct ts_waits w;
	struct ts_wait *process;    /* the process span's, while it is open */
	uint64_t second;            /* the second (of span end times) the budget counts */
	unsigned kept_this_second;
};

struct ts_rollup *ts_rollup_new(const struct ts_rollup_cfg *cfg)
{
	if (!(cfg->on && cfg->min_us) && !cfg->max_per_s)
		return NULL;   /* nothing would fold */
	struct ts_rollup *r = calloc(1, sizeof *r);
	if (r) {
		r->cfg = *cfg;
		r->min_ns = cfg->on ? (uint64_t)cfg->min_us * 1000u : 0;
	}
	return r;
}

/* What takes the counts of a parent that may never come: the innermost span
 * begun on the child's track, else the process span. */
static struct ts_wait *owner_for(struct ts_rollup *r, const struct ts_stack *st)
{
	for (unsigned i = st ? st->depth : 0; i-- > 0;)
		if (st->at[i].e)
			return st->at[i].e;
	return r->process;
}

static bool is_process_track(const struct ts_track *t)
{
	return t->tid == 0 && t->parent_uuid == 0;
}

/* ------------------------------------------------------------------ rules */

/* The families of calls a program makes many times a second. Processes and
 * threads have spans of other tracks and processes under them; SQL
 * statements, HTTP and the program's own spans are what a reader looks for. */
static bool family_folds(uint8_t family)
{
	return family == TS_FAM_IO || family == TS_FAM_NET || family == TS_FAM_FILE ||
	       family == TS_FAM_FS || family == TS_FAM_STDIO;
}

static bool may_fold(const struct ts_span *s)
{
	return s->call && family_folds(s->family) && s->kind == TS_KIND_INTERNAL && !s->dyn_name &&
	       !s->flow_out && !s->flow_in && !s->flow_in_end && !s->link_id && !s->nmore_flows_out &&
	       !s->nevents && !s->nrolled && !s->remote_parent && s->parent_id;
}

/* True when this leaf is one more than the second's budget allows. */
static bool over_budget(struct ts_rollup *r, const struct ts_span *s)
{
	if (!r->cfg.max_per_s)
		return false;
	uint64_t second = s->end_ns / 1000000000u;
	if (second > r->second) {
		r->second = second;
		r->kept_this_second = 0;
	}
	return r->kept_this_second >= r->cfg.max_per_s;
}

/* The entry of parent id for a child on stack st: NULL when the parent has
 * gone out already, or nothing could own its counts. */
static struct ts_wait *parent_entry(struct ts_rollup *r, const struct ts_stack *st, uint64_t id)
{
	struct ts_wait *pe = ts_wait_find(&r->w, id);
	if (pe || ts_wait_gone_out(&r->w, id))
		return pe;
	struct ts_wait *owner = owner_for(r, st);
	return owner ? ts_wait_make(&r->w, id, owner) : NULL;
}

/* s goes out: its parent has a child that did, and must not fold. */
static void mark_parent(struct ts_rollup *r, const struct ts_stack *st, const struct ts_span *s)
{
	if (!s->parent_id || s->remote_parent)
		return;
	struct ts_wait *pe = parent_entry(r, st, s->parent_id);
	if (pe)
		pe->kept_child = true;
}

static void count(struct ts_wait *pe, const struct ts_span *s)
{
	struct ts_tally_row row = {
		.name = ts_tally_name(s->name), .count = 1, .time_ns = s->end_ns - s->start_ns,
		.errors = s->status == TS_STATUS_ERROR,
	};
	for (unsigned i = 0; i < s->nattrs; i++) {
		const struct ts_attr *a = &s->attrs[i];
		if (a->type == TS_VAL_INT && a->v.i >= 0 && !strcmp(a->key, "traceshim.io.bytes")) {
			row.bytes = (uint64_t)a->v.i;
			row.bytes_seen = true;
			break;
		}
	}
	ts_tally_add(&pe->tally, &row);
}

/* s as it goes out, with e's counts (and e let go). */
static const struct ts_span *with_counts(struct ts_rollup *r, struct ts_wait *e,
					 const struct ts_span *s, struct ts_rolled *out)
{
	if (!e)
		return s;
	struct ts_tally all = {0};
	ts_wait_take(&r->w, e, &all);
	if (ts_tally_empty(&all))
		return s;
	out->span = *s;
	out->span.rolled = out->attrs;
	out->span.nrolled = ts_tally_attrs(&all, out->attrs, TS_ROLLUP_ATTRS);
	return &out->span;
}

/* ----------------------------------------------------------------- events */

static void begin(struct ts_rollup *r, struct ts_stack *st, const struct ts_track *t,
		  const struct ts_span *s)
{
	mark_parent(r, st, s);
	struct ts_wait *e = ts_wait_find(&r->w, s->span_id);
	/* Children that came first (from another thread) wait in an entry of
	 * their own; an id begun twice gets an entry of its own. */
	bool early = e && e->owner;
	if (!early)
		e = ts_wait_make(&r->w, s->span_id, NULL);
	if (!ts_stack_push(st, s->span_id, e)) {
		/* Memory ran out: ends will not match begins here any more. What
		 * waits keeps waiting for its owner; nothing folds from now on. */
		r->w.full = true;
		if (e && !early)
			ts_wait_drop(&r->w, e);
		return;
	}
	if (early)
		ts_wait_disown(e);
	if (is_process_track(t) && st->depth == 1)
		r->process = e;
}

static const struct ts_span *end(struct ts_rollup *r, struct ts_stack *st, const struct ts_span *s,
				 struct ts_rolled *out)
{
	if (!st->depth)
		return s;
	struct ts_frame f = st->at[--st->depth];
	ts_wait_gone(&r->w, f.id);
	struct ts_wait *e = f.e;
	if (!e) {   /* memory ran out at its begin: a child may have made one since */
		e = ts_wait_find(&r->w, f.id);
		if (e && !e->owner)
			e = NULL;   /* another begun span's (damaged ids): not to be let go */
		else if (e)
			ts_wait_disown(e);
	}
	if (e && e == r->process)
		r->process = NULL;
	return with_counts(r, e, s, out);
}

static const struct ts_span *complete(struct ts_rollup *r, struct ts_stack *st,
				      const struct ts_span *s, struct ts_rolled *out)
{
	struct ts_wait *e = ts_wait_find(&r->w, s->span_id);
	if (e && !e->owner)
		e = NULL;   /* a begun span's: not this one's */
	if (!r->w.full && may_fold(s) && !(e && e->kept_child)) {
		bool quick = s->status != TS_STATUS_ERROR && s->end_ns - s->start_ns < r->min_ns;
		struct ts_wait *pe = quick || over_budget(r, s) ? parent_entry(r, st, s->parent_id) : NULL;
		if (pe) {
			count(pe, s);
			if (e) {   /* and what folded into it goes up with it */
				struct ts_tally below = {0};
				ts_wait_take(&r->w, e, &below);
				ts_tally_merge(&pe->tally, &below);
			}
			return NULL;
		}
		r->kept_this_second++;
	}
	mark_parent(r, st, s);
	ts_wait_gone(&r->w, s->span_id);
	return with_counts(r, e, s, out);
}

const struct ts_span *ts_rollup_span(struct ts_rollup *r, void **state, const struct ts_track *t,
				     enum ts_span_event ev, const struct ts_span *s,
				     struct ts_rolled *out)
{
	struct ts_stack *st = r ? ts_stack_of(state) : NULL;
	if (!st)
		return s;
	switch (ev) {
	case TS_SPAN_BEGIN:
		begin(r, st, t, s);
		return s;
	case TS_SPAN_END:
		return end(r, st, s, out);
	case TS_SPAN_COMPLETE:
		return complete(r, st, s, out);
	}
	return s;
}

void ts_rollup_announce(struct ts_rollup *r, void **state, const struct ts_track *t,
			const struct ts_span *s)
{
	(void)t;
	struct ts_stack *st = r ? ts_stack_of(state) : NULL;
	if (st)
		mark_parent(r, st, s);
}

void ts_rollup_forget(struct ts_rollup *r, void **state)
{
	struct ts_stack *st = *state;
	if (!st)
		return;
	/* Spans begun and never ended here: their counts go to the process
	 * span, or nowhere once it is over (the process is being let go). */
	while (r && st->depth) {
		struct ts_frame f = st->at[--st->depth];
		struct ts_wait *e = f.e;
		if (!e || e == r->process) {
			if (e)
				r->process = NULL;
			continue;
		}
		struct ts_tally t = {0};
		ts_wait_take(&r->w, e, &t);
		if (r->process)
			ts_tally_merge(&r->process->tally, &t);
	}
	ts_stack_free(state);
}

void ts_rollup_reset(struct ts_rollup *r)
{
	if (!r)
		return;
	ts_wait_free_all(&r->w);
	ts_rollup_after_fork(r);
}

void ts_rollup_after_fork(struct ts_rollup *r)
{
	if (!r)
		return;
	struct ts_rollup_cfg cfg = r->cfg;
	uint64_t min_ns = r->min_ns;
	memset(r, 0, sizeof *r);
	r->cfg = cfg;
	r->min_ns = min_ns;
}

void ts_rollup_free(struct ts_rollup *r)
{
	ts_rollup_reset(r);
	free(r);
}
