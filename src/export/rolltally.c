/* Counts of rolled-up calls and their attributes (see rolltally.h). The keys
 * (traceshim.calls.<name>.count...) are made once per call name and kept:
 * encoders may then take them as constants, cached by address. Call names
 * are the operations table's, a few dozen; the table is bounded all the
 * same. */
#include "rolltally.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES 256
#define NAME_MAX_LEN 64
#define CACHE 64

enum { K_COUNT, K_BYTES, K_TIME, K_ERRORS, K_N };
static const char *const suffix[K_N] = {"count", "bytes", "time_ns", "errors"};

struct keys {
	const char *name;
	const char *key[K_N];
};

static struct keys table[NAMES] = {
	{"other", {"traceshim.calls.other.count", "traceshim.calls.other.bytes",
		   "traceshim.calls.other.time_ns", "traceshim.calls.other.errors"}},
};
static unsigned nnames = 1;
/* Names are mostly the same few constants: looked up by address first. */
static struct {
	const char *p;
	uint16_t i;
} cache[CACHE];

static bool make_keys(struct keys *k, const char *name)
{
	size_t len = strlen(name);
	/* The name, then its keys, in one block kept for good. */
	char *block = malloc(len + 1 + K_N * (len + 32));
	if (!block)
		return false;
	memcpy(block, name, len + 1);
	k->name = block;
	char *at = block + len + 1;
	for (int i = 0; i < K_N; i++) {
		int n = sprintf(at, "traceshim.calls.%s.%s", name, suffix[i]);
		k->key[i] = at;
		at += n + 1;
	}
	return true;
}

uint16_t ts_tally_name(const char *name)
{
	unsigned c = (unsigned)(((uintptr_t)name * 0x9e3779b97f4a7c15ull) >> 58);
	if (cache[c].p == name)
		return cache[c].i;
	if (!name || !*name || strlen(name) > NAME_MAX_LEN)
		return 0;
	unsigned i = 1;
	while (i < nnames && strcmp(table[i].name, name))
		i++;
	if (i == nnames) {
		if (nnames == NAMES || !make_keys(&table[i], name))
			return 0;
		nnames++;
	}
	cache[c].p = name;
	cache[c].i = (uint16_t)i;
	return (uint16_t)i;
}

const char *ts_tally_name_of(uint16_t i)
{
	return i < nnames ? table[i].name : table[0].name;
}

static void add_row(struct ts_tally_row *into, const struct ts_tally_row *row)
{
	into->count += row->count;
	into->bytes += row->bytes;
	into->time_ns += row->time_ns;
	into->errors += row->errors;
	into->bytes_seen |= row->bytes_seen;
}

void ts_tally_add(struct ts_tally *t, const struct ts_tally_row *row)
{
	if (!row->count)
		return;
	unsigned i = 0;
	if (row->name) {
		while (i < t->n && t->rows[i].name != row->name)
			i++;
		if (i < t->n) {
			add_row(&t->rows[i], row);
			return;
		}
		if (i < TS_TALLY_NAMES) {
			t->rows[t->n++] = *row;
			return;
		}
	}
	add_row(&t->other, row);
}

void ts_tally_merge(struct ts_tally *into, const struct ts_tally *from)
{
	for (unsigned i = 0; i < from->n; i++)
		ts_tally_add(into, &from->rows[i]);
	add_row(&into->other, &from->other);
}

uint64_t ts_tally_calls(const struct ts_tally *t)
{
	uint64_t n = t->other.count;
	for (unsigned i = 0; i < t->n; i++)
		n += t->rows[i].count;
	return n;
}

static unsigned cost(const struct ts_tally_row *r)
{
	return r->count ? 2u + r->bytes_seen + (r->errors != 0) : 0;
}

static unsigned put(const struct ts_tally_row *r, uint16_t name, struct ts_attr *out)
{
	const struct keys *k = &table[name < nnames ? name : 0];
	unsigned n = 0;
	out[n++] = (struct ts_attr){.key = k->key[K_COUNT], .type = TS_VAL_INT, .v.i = (int64_t)r->count};
	if (r->bytes_seen)
		out[n++] = (struct ts_attr){.key = k->key[K_BYTES], .type = TS_VAL_INT,
					    .v.i = (int64_t)r->bytes};
	out[n++] = (struct ts_attr){.key = k->key[K_TIME], .type = TS_VAL_INT, .v.i = (int64_t)r->time_ns};
	if (r->errors)
		out[n++] = (struct ts_attr){.key = k->key[K_ERRORS], .type = TS_VAL_INT,
					    .v.i = (int64_t)r->errors};
	return n;
}

unsigned ts_tally_attrs(const struct ts_tally *t, struct ts_attr *out, unsigned cap)
{
	/* Most calls first (insertion sort: a handful of rows). */
	struct ts_tally_row rows[TS_TALLY_NAMES];
	unsigned n = t->n, need = cost(&t->other);
	for (unsigned i = 0; i < n; i++) {
		struct ts_tally_row r = t->rows[i];
		unsigned j = i;
		for (; j > 0 && rows[j - 1].count < r.count; j--)
			rows[j] = rows[j - 1];
		rows[j] = r;
		need += cost(&r);
	}
	/* When they do not all fit, room is kept for "other". */
	unsigned room = need <= cap ? cap : cap - TS_TALLY_ROW_ATTRS;
	struct ts_tally_row other = t->other;
	unsigned used = 0;
	for (unsigned i = 0; i < n; i++) {
		if (used + cost(&rows[i]) <= room)
			used += put(&rows[i], rows[i].name, out + used);
		else
			add_row(&other, &rows[i]);
	}
	if (other.count)
		used += put(&other, 0, out + used);
	return used;
}
