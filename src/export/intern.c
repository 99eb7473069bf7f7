/* Open-addressing hash table of interned strings (FNV-1a, linear probing). */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

struct ts_intern_entry {
	uint64_t hash;
	uint64_t id;
	char *str;
	size_t len;
};

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h;
}

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

uint64_t ts_intern_get(struct ts_intern *t, const char *s, size_t len, int *fresh)
{
	*fresh = 0;
	uint64_t h = fnv1a(s, len);
	if (t->cap) {
		for (size_t j = h & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
			struct ts_intern_entry *e = &t->slots[j];
			if (!e->str)
				break;
			if (e->hash == h && e->len == len && !memcmp(e->str, s, len))
				return e->id;
		}
	}
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
	*fresh = 1;
	return t->slots[j].id;
}

void ts_intern_free(struct ts_intern *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].str);
	free(t->slots);
	*t = (struct ts_intern){0};
}
