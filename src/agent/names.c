/* Permanent strings: open-addressing sets of strings, never shrunk. */
#include "names.h"

#include "large.h"
#include "strhash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 4096   /* distinct names in a set; a power of two */

struct set {
	struct {
		uint64_t hash;
		size_t len;
		char *str;
	} slot[NAMES_MAX * 2];
	size_t count;
};

static TS_LARGE struct set names, keys, user_names;

static const char *keep(struct set *t, const char *s, size_t len)
{
	size_t mask = NAMES_MAX * 2 - 1;
	uint64_t h = ts_strhash(s, len);
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		char *n = t->slot[i].str;
		if (!n) {
			if (t->count >= NAMES_MAX)
				return NULL;
			n = malloc(len + 1);
			if (!n)
				return NULL;
			memcpy(n, s, len);
			n[len] = 0;
			t->slot[i].hash = h;
			t->slot[i].len = len;
			t->slot[i].str = n;
			t->count++;
			return n;
		}
		if (t->slot[i].hash == h && t->slot[i].len == len && ts_strsame(n, s, len))
			return n;
	}
}

const char *ts_name_keep(const char *s, size_t len)
{
	return keep(&names, s, len);
}

const char *ts_key_keep(const char *s, size_t len)
{
	return keep(&keys, s, len);
}

const char *ts_user_name_keep(const char *s, size_t len)
{
	return keep(&user_names, s, len);
}

static void empty(struct set *t)
{
	if (!t->count)
		return;
	for (size_t i = 0; i < NAMES_MAX * 2; i++) {
		free(t->slot[i].str);
		t->slot[i].str = NULL;
	}
	t->count = 0;
}

void ts_names_reset(void)
{
	empty(&names);
	empty(&keys);
	empty(&user_names);
}
