/* Permanent strings: open-addressing sets of strings, never shrunk. A set
 * starts small and doubles: the few names a program uses stay in a few
 * cache lines, probed for every span. */
#include "names.h"

#include "strhash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 4096   /* distinct names in a set */

struct slot {
	uint64_t hash;
	size_t len;
	char *str;
};

struct set {
	struct slot *slot;
	size_t cap, count;   /* cap: a power of two, at least twice count */
};

static struct set names, keys, user_names;

/* The attribute name kept last at each place of a span's list: a span's
 * attributes mostly come in the order of the last one's, so most names are
 * found with one comparison. */
#define RECENT 32
static struct {
	const char *str;
	size_t len;
} recent[RECENT];

static bool grow(struct set *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct slot *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i].str)
			continue;
		size_t j = t->slot[i].hash & (cap - 1);
		while (slot[j].str)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return true;
}

static const char *keep(struct set *t, const char *s, size_t len)
{
	uint64_t h = ts_strhash(s, len);
	size_t i = h & (t->cap - 1);
	for (; t->cap && t->slot[i].str; i = (i + 1) & (t->cap - 1)) {
		const struct slot *e = &t->slot[i];
		if (e->hash == h && e->len == len && ts_strsame(e->str, s, len))
			return e->str;
	}
	if (t->count >= NAMES_MAX)
		return NULL;
	if ((t->count + 1) * 2 > t->cap) {
		if (!grow(t))
			return NULL;
		for (i = h & (t->cap - 1); t->slot[i].str; i = (i + 1) & (t->cap - 1))
			;
	}
	char *n = malloc(len + 1);
	if (!n)
		return NULL;
	memcpy(n, s, len);
	n[len] = 0;
	t->slot[i] = (struct slot){h, len, n};
	t->count++;
	return n;
}

const char *ts_name_keep(const char *s, size_t len)
{
	return keep(&names, s, len);
}

const char *ts_key_keep(const char *s, size_t len)
{
	return keep(&keys, s, len);
}

const char *ts_key_keep_at(unsigned at, const char *s, size_t len)
{
	if (at >= RECENT)
		return keep(&keys, s, len);
	if (recent[at].str && recent[at].len == len && ts_strsame(recent[at].str, s, len))
		return recent[at].str;
	const char *k = keep(&keys, s, len);
	if (k) {
		recent[at].str = k;
		recent[at].len = len;
	}
	return k;
}

const char *ts_user_name_keep(const char *s, size_t len)
{
	return keep(&user_names, s, len);
}

static void empty(struct set *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].str);
	free(t->slot);
	*t = (struct set){0};
}

void ts_names_reset(void)
{
	empty(&names);
	empty(&keys);
	memset(recent, 0, sizeof recent);
	empty(&user_names);
}
