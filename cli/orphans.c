/* Children waiting for their parent (see orphans.h): a chained hash table
 * keyed by the parent's span id. */
#include "orphans.h"

#include "ids.h"

#include <stdlib.h>

#define BUCKETS (1u << 16)

struct node {
	uint64_t parent, child;
	struct node *next;
};

struct ts_orphans {
	struct node *bucket[BUCKETS];
	size_t count;
};

struct ts_orphans *ts_orphans_new(void)
{
	return calloc(1, sizeof(struct ts_orphans));
}

void ts_orphans_free(struct ts_orphans *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		while (o->bucket[i]) {
			struct node *n = o->bucket[i];
			o->bucket[i] = n->next;
			free(n);
		}
	free(o);
}

static struct node **slot(struct ts_orphans *o, uint64_t parent)
{
	return &o->bucket[ts_mix64(parent) & (BUCKETS - 1)];
}

bool ts_orphans_add(struct ts_orphans *o, uint64_t parent_id, uint64_t child_id)
{
	struct node *n = o->count < TS_ORPHANS_MAX ? malloc(sizeof *n) : NULL;
	if (!n)
		return false;
	struct node **head = slot(o, parent_id);
	*n = (struct node){parent_id, child_id, *head};
	*head = n;
	o->count++;
	return true;
}

size_t ts_orphans_take(struct ts_orphans *o, uint64_t parent_id, uint64_t **out)
{
	*out = NULL;
	size_t found = 0, cap = 0;
	for (struct node **p = slot(o, parent_id); *p;) {
		struct node *n = *p;
		if (n->parent != parent_id) {
			p = &n->next;
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
		(*out)[found++] = n->child;
		*p = n->next;
		free(n);
		o->count--;
	}
	return found;
}
