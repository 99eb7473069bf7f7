/* Open-addressing hash table of interned strings (linear probing). */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

struct ts_intern_entry {
	uint64_t hash;
	uint64_t id;
	char *str;
	size_t len;
};

/* Eight bytes a step: FNV-1a's byte at a time was most of an interning
 * here. Only where the entry goes depends on it, never the ids. */
static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (len >= 4) {   /* two 4-byte reads that may overlap */
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		w = (uint64_t)a << 32 | b;
	} else {
		w = len ? (uint64_t)(uint8_t)s[0] << 16 | (uint64_t)(uint8_t)s[len / 2] << 8 |
				  (uint8_t)s[len - 1] : 0;
	}
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h = (h ^ (h >> 32)) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
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
	uint64_t h = hash(s, len);
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
