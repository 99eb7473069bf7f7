/* Open-addressing hash table of interned strings (linear probing); the
 * lookup is in intern.h. */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

static int grow(struct ts_intern *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct ts_intern_entry *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return 0;
	for (size_t i = 0; i < t->cap; i++) {
		struct ts_intern_entry *e = &t->slots[i];
		if (!e->str)
			continue;
		size_t j = e->hash & (cap - 1);
		while (slots[j].str)
			j = (j + 1) & (cap - 1);
		slots[j] = *e;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 1;
}

uint64_t ts_intern_add(struct ts_intern *t, const char *s, size_t len, uint64_t h,
		       const char **copy_out)
{
	if (t->count >= TS_INTERN_MAX)
		return 0;
	if ((t->count + 1) * 2 > t->cap && !grow(t))
		return 0;
	char *copy = malloc(len + 1);
	if (!copy)
		return 0;
	memcpy(copy, s, len);
	copy[len] = 0;
	size_t j = h & (t->cap - 1);
	while (t->slots[j].str)
		j = (j + 1) & (t->cap - 1);
	t->slots[j] = (struct ts_intern_entry){h, ++t->next_id, copy, len};
	t->count++;
	*copy_out = copy;
	return t->slots[j].id;
}

void ts_intern_free(struct ts_intern *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].str);
	free(t->slots);
	*t = (struct ts_intern){0};
}
