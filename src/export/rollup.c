/* Roll-ups (see rollup.h): which spans fold, and where their counts wait
 * until their parent goes out. An entry holds the counts waiting for one
 * parent span id; a begun span's entry sits on its track's stack until its
 * end, any other waits for its span, owned by an open one that takes it if
 * that span never comes. */
#include "rollup.h"

#include "ids.h"
#include "ops.h"
#include "rolltally.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096
#define RECENT 4096          /* ids of spans gone out lately */
#define MAX_ENTRIES 65536    /* beyond, nothing folds any more */

struct entry {
	uint64_t id;
	struct entry *next;                     /* in its bucket */
	/* NULL: the span is begun on a track, and its end will come. Else the
	 * begun span that takes these counts at its end if this span has not
	 * come by then; this entry is in its list of orphans. */
	struct entry *owner;
	struct entry *orphans;
	struct entry *prev_orphan, *next_orphan;
	bool kept_child;                        /* a child went out: it must not fold */
	struct ts_tally tally;
};

/* A track's begun spans, innermost last; e is NULL when memory ran out. */
struct stack {
	struct frame {
		uint64_t id;
		struct entry *e;
	} *at;
	unsigned depth, cap;
};

struct ts_rollup {
	struct ts_rollup_cfg cfg;
	uint64_t min_ns;
	struct entry *buckets[BUCKETS];
	uint64_t recent[RECENT];
	struct entry *process;      /* the process span's, while it is open */
	unsigned nentries;
	bool full;                  /* entries ran out once: nothing folds any more */
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

/* ---------------------------------------------------------------- entries */

static struct entry **bucket_of(struct ts_rollup *r, uint64_t id)
{
	return &r->buckets[ts_mix64(id) % BUCKETS];
}

static struct entry *find(struct ts_rollup *r, uint64_t id)
{
	struct entry *e = *bucket_of(r, id);
	while (e && e->id != id)
		e = e->next;
	return e;
}

static void adopt(struct entry *owner, struct entry *e)
{
	e->owner = owner;
	e->prev_orphan = NULL;
	e->next_orphan = owner->orphans;
	if (owner->orphans)
		owner->orphans->prev_orphan = e;
	owner->orphans = e;
}

static void disown(struct entry *e)
{
	if (!e->owner)
		return;
	if (e->prev_orphan)
		e->prev_orphan->next_orphan = e->next_orphan;
	else
		e->owner->orphans = e->next_orphan;
	if (e->next_orphan)
		e->next_orphan->prev_orphan = e->prev_orphan;
	e->owner = NULL;
}

/* A new entry for span id, owned by owner (NULL: begun). */
static struct entry *make(struct ts_rollup *r, uint64_t id, struct entry *owner)
{
	struct entry *e = r->nentries < MAX_ENTRIES ? calloc(1, sizeof *e) : NULL;
	if (!e) {
		/* A child's mark may be lost: no parent may fold from now on. */
		r->full = true;
		return NULL;
	}
	struct entry **b = bucket_of(r, id);
	e->id = id;
	e->next = *b;
	*b = e;
	r->nentries++;
	if (owner)
		adopt(owner, e);
	return e;
}

/* Unlinks and frees e; its orphans must have been taken. */
static void drop(struct ts_rollup *r, struct entry *e)
{
	struct entry **p = bucket_of(r, e->id);
	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	disown(e);
	r->nentries--;
	free(e);
}

/* e's counts and its orphans' (whose spans never came) into t; e and its
 * orphans are let go. */
static void take_all(struct ts_rollup *r, struct entry *e, struct ts_tally *t)
{
	while (e->orphans) {
		struct entry *o = e->orphans;
		while (o->orphans) {   /* only begun spans own; kept sound all the same */
			struct entry *oo = o->orphans;
			disown(oo);
			adopt(e, oo);
		}
		ts_tally_merge(t, &o->tally);
		drop(r, o);
	}
	ts_tally_merge(t, &e->tally);
	drop(r, e);
}

static void remember(struct ts_rollup *r, uint64_t id)
{
	r->recent[ts_mix64(id) % RECENT] = id;
}

static bool gone_out(const struct ts_rollup *r, uint64_t id)
{
	return r->recent[ts_mix64(id) % RECENT] == id;
}

/* ----------------------------------------------------------------- stacks */

static struct stack *stack_of(void **state)
{
	if (!*state)
		*state = calloc(1, sizeof(struct stack));
	return *state;
}

static bool push(struct stack *st, uint64_t id, struct entry *e)
{
	if (st->depth == st->cap) {
		unsigned cap = st->cap ? st->cap * 2 : 8;
		struct frame *at = realloc(st->at, cap * sizeof *at);
		if (!at)
			return false;
		st->at = at;
		st->cap = cap;
	}
	st->at[st->depth++] = (struct frame){id, e};
	return true;
}

/* What takes the counts of a parent that may never come: the innermost span
 * begun on the child's track, else the process span. */
static struct entry *owner_for(struct ts_rollup *r, const struct stack *st)
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
	       !s->flow_out && !s->flow_in && !s->nmore_flows_out && !s->nevents && !s->nrolled &&
	       !s->remote_parent && s->parent_id;
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
static struct entry *parent_entry(struct ts_rollup *r, const struct stack *st, uint64_t id)
{
	struct entry *pe = find(r, id);
	if (pe || gone_out(r, id))
		return pe;
	struct entry *owner = owner_for(r, st);
	return owner ? make(r, id, owner) : NULL;
}

/* s goes out: its parent has a child that did, and must not fold. */
static void mark_parent(struct ts_rollup *r, const struct stack *st, const struct ts_span *s)
{
	if (!s->parent_id || s->remote_parent)
		return;
	struct entry *pe = parent_entry(r, st, s->parent_id);
	if (pe)
		pe->kept_child = true;
}

static void count(struct entry *pe, const struct ts_span *s)
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
static const struct ts_span *with_counts(struct ts_rollup *r, struct entry *e,
					 const struct ts_span *s, struct ts_rolled *out)
{
	if (!e)
		return s;
	struct ts_tally all = {0};
	take_all(r, e, &all);
	if (ts_tally_empty(&all))
		return s;
	out->span = *s;
	out->span.rolled = out->attrs;
	out->span.nrolled = ts_tally_attrs(&all, out->attrs, TS_ROLLUP_ATTRS);
	return &out->span;
}

/* ----------------------------------------------------------------- events */

static void begin(struct ts_rollup *r, struct stack *st, const struct ts_track *t,
		  const struct ts_span *s)
{
	mark_parent(r, st, s);
	struct entry *e = find(r, s->span_id);
	/* Children that came first (from another thread) wait in an entry of
	 * their own; an id begun twice gets an entry of its own. */
	bool early = e && e->owner;
	if (!early)
		e = make(r, s->span_id, NULL);
	if (!push(st, s->span_id, e)) {
		/* Memory ran out: ends will not match begins here any more. What
		 * waits keeps waiting for its owner; nothing folds from now on. */
		r->full = true;
		if (e && !early)
			drop(r, e);
		return;
	}
	if (early)
		disown(e);
	if (is_process_track(t) && st->depth == 1)
		r->process = e;
}

static const struct ts_span *end(struct ts_rollup *r, struct stack *st, const struct ts_span *s,
				 struct ts_rolled *out)
{
	if (!st->depth)
		return s;
	struct frame f = st->at[--st->depth];
	remember(r, f.id);
	struct entry *e = f.e;
	if (!e) {   /* memory ran out at its begin: a child may have made one since */
		e = find(r, f.id);
		if (e && !e->owner)
			e = NULL;   /* another begun span's (damaged ids): not to be let go */
		else if (e)
			disown(e);
	}
	if (e && e == r->process)
		r->process = NULL;
	return with_counts(r, e, s, out);
}

static const struct ts_span *complete(struct ts_rollup *r, struct stack *st,
				      const struct ts_span *s, struct ts_rolled *out)
{
	struct entry *e = find(r, s->span_id);
	if (e && !e->owner)
		e = NULL;   /* a begun span's: not this one's */
	if (!r->full && may_fold(s) && !(e && e->kept_child)) {
		bool quick = s->status != TS_STATUS_ERROR && s->end_ns - s->start_ns < r->min_ns;
		struct entry *pe = quick || over_budget(r, s) ? parent_entry(r, st, s->parent_id) : NULL;
		if (pe) {
			count(pe, s);
			if (e) {   /* and what folded into it goes up with it */
				struct ts_tally below = {0};
				take_all(r, e, &below);
				ts_tally_merge(&pe->tally, &below);
			}
			return NULL;
		}
		r->kept_this_second++;
	}
	mark_parent(r, st, s);
	remember(r, s->span_id);
	return with_counts(r, e, s, out);
}

const struct ts_span *ts_rollup_span(struct ts_rollup *r, void **state, const struct ts_track *t,
				     enum ts_span_event ev, const struct ts_span *s,
				     struct ts_rolled *out)
{
	struct stack *st = r ? stack_of(state) : NULL;
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
	struct stack *st = r ? stack_of(state) : NULL;
	if (st)
		mark_parent(r, st, s);
}

void ts_rollup_forget(struct ts_rollup *r, void **state)
{
	struct stack *st = *state;
	if (!st)
		return;
	/* Spans begun and never ended here: their counts go to the process
	 * span, or nowhere once it is over (the process is being let go). */
	while (r && st->depth) {
		struct frame f = st->at[--st->depth];
		struct entry *e = f.e;
		if (!e || e == r->process) {
			if (e)
				r->process = NULL;
			continue;
		}
		struct ts_tally t = {0};
		take_all(r, e, &t);
		if (r->process)
			ts_tally_merge(&r->process->tally, &t);
	}
	free(st->at);
	free(st);
	*state = NULL;
}

void ts_rollup_reset(struct ts_rollup *r)
{
	for (unsigned b = 0; r && b < BUCKETS; b++)
		while (r->buckets[b]) {
			struct entry *e = r->buckets[b];
			r->buckets[b] = e->next;
			free(e);
		}
	if (r)
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
