/* String interning table: string -> small id (1, 2, ...), per writer sequence.
 * The lookup is inline: the Perfetto encoder interns a few strings for
 * every span, most of them seen before. */
#ifndef TS_INTERN_H
#define TS_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "strhash.h"

struct ts_intern_entry {
	uint64_t hash;
	uint64_t id;
	char *str;
	size_t len;
};

struct ts_intern {
	struct ts_intern_entry *slots;
	size_t cap, count;
	uint64_t next_id;
};

#define TS_INTERN_MAX 16384

/* Adds s (hash h), not in t: its id, 0 when the table is full or out of
 * memory; *copy: the table's copy of s. */
uint64_t ts_intern_add(struct ts_intern *t, const char *s, size_t len, uint64_t h,
		       const char **copy);

/* Returns the id of s (0 when the table is full or out of memory: write the
 * string inline then); *fresh says the id was just assigned. *copy: the
 * table's copy of s, valid until ts_intern_free (when the id is not 0). */
static inline uint64_t ts_intern_find(struct ts_intern *t, const char *s, size_t len, int *fresh,
				      const char **copy)
{
	uint64_t h = ts_strhash(s, len);
	for (size_t j = h & (t->cap - 1); t->cap; j = (j + 1) & (t->cap - 1)) {
		const struct ts_intern_entry *e = &t->slots[j];
		if (!e->str)
			break;
		if (e->hash == h && e->len == len && ts_strsame(e->str, s, len)) {
			*fresh = 0;
			*copy = e->str;
			return e->id;
		}
	}
	uint64_t id = ts_intern_add(t, s, len, h, copy);
	*fresh = id != 0;
	return id;
}

static inline uint64_t ts_intern_get(struct ts_intern *t, const char *s, size_t len, int *fresh)
{
	const char *copy;
	return ts_intern_find(t, s, len, fresh, &copy);
}

void ts_intern_free(struct ts_intern *t);

#endif
