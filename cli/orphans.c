/* Children waiting for their parent (see orphans.h): a ring of slots written
 * in arrival order, with hash chains by parent id through it. A slot is
 * reused TS_ORPHANS_MAX arrivals later; if its child still waits, that is
 * the one waiting longest, and it is forgotten. */
#include "orphans.h"

#include "ids.h"

#include <stdlib.h>

#define NONE UINT32_MAX
#define MASK (TS_ORPHANS_MAX - 1)

struct slot {
	uint64_t parent, child;   /* parent 0: free */
	uint32_t next;            /* next slot in the same hash chain */
};

struct ts_orphans {
	struct slot *slots;
	uint32_t *chain;          /* first slot of each hash chain */
	uint32_t tail;            /* the slot the next child takes */
	size_t count;
	uint64_t evicted;
};

_Static_assert((TS_ORPHANS_MAX & MASK) == 0, "TS_ORPHANS_MAX is a power of two");

struct ts_orphans *ts_orphans_new(void)
{
	struct ts_orphans *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	/* calloc'ed pages stay untouched (and cost nothing) until used. */
	o->slots = calloc(TS_ORPHANS_MAX, sizeof *o->slots);
	o->chain = malloc(TS_ORPHANS_MAX * sizeof *o->chain);
	if (!o->slots || !o->chain) {
		ts_orphans_free(o);
		return NULL;
	}
	for (size_t i = 0; i < TS_ORPHANS_MAX; i++)
		o->chain[i] = NONE;
	return o;
}

void ts_orphans_free(struct ts_orphans *o)
{
	if (!o)
		return;
	free(o->slots);
	free(o->chain);
	free(o);
}

static uint32_t *head_of(struct ts_orphans *o, uint64_t parent)
{
	return &o->chain[ts_mix64(parent) & MASK];
}

/* Takes slot i out of its chain and frees it. */
static void unlink_slot(struct ts_orphans *o, uint32_t i)
{
	for (uint32_t *p = head_of(o, o->slots[i].parent); *p != NONE; p = &o->slots[*p].next)
		if (*p == i) {
			*p = o->slots[i].next;
			break;
		}
	o->slots[i].parent = 0;
	o->count--;
}

bool ts_orphans_add(struct ts_orphans *o, uint64_t parent_id, uint64_t child_id)
{
	if (!parent_id)
		return false;
	uint32_t i = o->tail;
	o->tail = (o->tail + 1) & MASK;
	if (o->slots[i].parent) {
		unlink_slot(o, i);
		o->evicted++;
	}
	uint32_t *head = head_of(o, parent_id);
	o->slots[i] = (struct slot){parent_id, child_id, *head};
	*head = i;
	o->count++;
	return true;
}

size_t ts_orphans_take(struct ts_orphans *o, uint64_t parent_id, uint64_t **out)
{
	*out = NULL;
	size_t found = 0, cap = 0;
	for (uint32_t *p = head_of(o, parent_id); *p != NONE;) {
		struct slot *s = &o->slots[*p];
		if (s->parent != parent_id) {
			p = &s->next;
			continue;
		}
		if (found == cap) {
			size_t grown_cap = cap ? cap * 2 : 8;
			uint64_t *grown = realloc(*out, grown_cap * sizeof *grown);
			if (!grown)
				break;   /* the rest stay for a later try */
			*out = grown;
			cap = grown_cap;
		}
		(*out)[found++] = s->child;
		*p = s->next;
		s->parent = 0;
		o->count--;
	}
	return found;
}

size_t ts_orphans_count(const struct ts_orphans *o)
{
	return o->count;
}

uint64_t ts_orphans_evicted(const struct ts_orphans *o)
{
	return o->evicted;
}
