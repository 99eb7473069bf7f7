/* String interning table: string -> small id (1, 2, ...), per writer sequence.
 * The lookup is inline: the Perfetto encoder interns a few strings for
 * every span, most of them seen before. */
#ifndef TS_INTERN_H
#define TS_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Eight bytes a step (FNV-1a's byte at a time was most of an interning).
 * Only where an entry goes depends on it, never the ids. */
static inline uint64_t ts_intern_hash(const char *s, size_t len)
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

/* The first len bytes of a and b are equal: inline, the strings compared
 * are short and a call to memcmp cost more than the comparison. */
static inline bool ts_intern_same(const char *a, const char *b, size_t len)
{
	uint64_t x, y;
	for (; len >= 8; a += 8, b += 8, len -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	if (len >= 4) {
		uint32_t p, q, r, t;
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		memcpy(&r, a + len - 4, 4);
		memcpy(&t, b + len - 4, 4);
		return p == q && r == t;
	}
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Adds s (hash h), not in t: its id, 0 when the table is full or out of
 * memory. */
uint64_t ts_intern_add(struct ts_intern *t, const char *s, size_t len, uint64_t h);

/* Returns the id of s (0 when the table is full or out of memory: write the
 * string inline then); *fresh says the id was just assigned. */
static inline uint64_t ts_intern_get(struct ts_intern *t, const char *s, size_t len, int *fresh)
{
	uint64_t h = ts_intern_hash(s, len);
	for (size_t j = h & (t->cap - 1); t->cap; j = (j + 1) & (t->cap - 1)) {
		const struct ts_intern_entry *e = &t->slots[j];
		if (!e->str)
			break;
		if (e->hash == h && e->len == len && ts_intern_same(e->str, s, len)) {
			*fresh = 0;
			return e->id;
		}
	}
	uint64_t id = ts_intern_add(t, s, len, h);
	*fresh = id != 0;
	return id;
}

void ts_intern_free(struct ts_intern *t);

#endif
