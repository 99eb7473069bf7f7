/* Counts waiting for their parent span (see rollwait.h): a hash of entries
 * by span id, each either begun (on a track's stack, its end will come) or
 * owned by a begun one that takes it if its span never comes. */
#include "rollwait.h"

#include "ids.h"

#include <stdlib.h>
#include <string.h>

static struct ts_wait **bucket_of(struct ts_waits *w, uint64_t id)
{
	return &w->buckets[ts_mix64(id) % TS_WAIT_BUCKETS];
}

struct ts_wait *ts_wait_find(struct ts_waits *w, uint64_t id)
{
	struct ts_wait *e = *bucket_of(w, id);
	while (e && e->id != id)
		e = e->next;
	return e;
}

static void adopt(struct ts_wait *owner, struct ts_wait *e)
{
	e->owner = owner;
	e->prev_orphan = NULL;
	e->next_orphan = owner->orphans;
	if (owner->orphans)
		owner->orphans->prev_orphan = e;
	owner->orphans = e;
}

void ts_wait_disown(struct ts_wait *e)
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

struct ts_wait *ts_wait_make(struct ts_waits *w, uint64_t id, struct ts_wait *owner)
{
	struct ts_wait *e = w->n < TS_WAIT_MAX ? calloc(1, sizeof *e) : NULL;
	if (!e) {
		/* A child's mark may be lost: no parent may fold from now on. */
		w->full = true;
		return NULL;
	}
	struct ts_wait **b = bucket_of(w, id);
	e->id = id;
	e->next = *b;
	*b = e;
	w->n++;
	if (owner)
		adopt(owner, e);
	return e;
}

void ts_wait_drop(struct ts_waits *w, struct ts_wait *e)
{
	struct ts_wait **p = bucket_of(w, e->id);
	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	ts_wait_disown(e);
	w->n--;
	free(e);
}

void ts_wait_take(struct ts_waits *w, struct ts_wait *e, struct ts_tally *t)
{
	while (e->orphans) {
		struct ts_wait *o = e->orphans;
		while (o->orphans) {   /* only begun spans own; kept sound all the same */
			struct ts_wait *oo = o->orphans;
			ts_wait_disown(oo);
			adopt(e, oo);
		}
		ts_tally_merge(t, &o->tally);
		ts_wait_drop(w, o);
	}
	ts_tally_merge(t, &e->tally);
	ts_wait_drop(w, e);
}

void ts_wait_gone(struct ts_waits *w, uint64_t id)
{
	w->recent[ts_mix64(id) % TS_WAIT_RECENT] = id;
}

bool ts_wait_gone_out(const struct ts_waits *w, uint64_t id)
{
	return w->recent[ts_mix64(id) % TS_WAIT_RECENT] == id;
}

void ts_wait_free_all(struct ts_waits *w)
{
	for (unsigned b = 0; b < TS_WAIT_BUCKETS; b++)
		while (w->buckets[b]) {
			struct ts_wait *e = w->buckets[b];
			w->buckets[b] = e->next;
			free(e);
		}
	memset(w, 0, sizeof *w);
}

struct ts_stack *ts_stack_of(void **state)
{
	if (!*state)
		*state = calloc(1, sizeof(struct ts_stack));
	return *state;
}

bool ts_stack_push(struct ts_stack *st, uint64_t id, struct ts_wait *e)
{
	if (st->depth == st->cap) {
		unsigned cap = st->cap ? st->cap * 2 : 8;
		struct ts_frame *at = realloc(st->at, cap * sizeof *at);
		if (!at)
			return false;
		st->at = at;
		st->cap = cap;
	}
	st->at[st->depth++] = (struct ts_frame){id, e};
	return true;
}

void ts_stack_free(void **state)
{
	struct ts_stack *st = *state;
	if (st)
		free(st->at);
	free(st);
	*state = NULL;
}
