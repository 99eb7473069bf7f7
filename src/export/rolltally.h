/* The counts of the calls rolled up into one span (rollup.h), per call name,
 * and the attributes they become. Drainer thread only. */
#ifndef TS_ROLLTALLY_H
#define TS_ROLLTALLY_H

#include "span.h"

#include <stdbool.h>
#include <stdint.h>

/* Names one span counts apart (those first seen); more go under "other". */
#define TS_TALLY_NAMES 16
/* The attributes a row may take: count, bytes, time_ns, errors. */
#define TS_TALLY_ROW_ATTRS 4

struct ts_tally_row {
	uint16_t name;          /* ts_tally_name(); 0 is "other" */
	bool bytes_seen;        /* the calls move bytes */
	uint64_t count, bytes, time_ns, errors;
};

struct ts_tally {
	unsigned n;
	struct ts_tally_row rows[TS_TALLY_NAMES];
	struct ts_tally_row other;   /* count 0: none */
};

/* The number of call name `name` in the table of attribute keys, which
 * keeps the keys for as long as the process: 0 ("other") once the table is
 * full or memory ran out. */
uint16_t ts_tally_name(const char *name);
/* The name of number i ("other" for 0). */
const char *ts_tally_name_of(uint16_t i);

/* One row more (the calls of one name). */
void ts_tally_add(struct ts_tally *t, const struct ts_tally_row *row);
void ts_tally_merge(struct ts_tally *into, const struct ts_tally *from);
static inline bool ts_tally_empty(const struct ts_tally *t)
{
	return !t->n && !t->other.count;
}
/* Every call counted (the rows and other). */
uint64_t ts_tally_calls(const struct ts_tally *t);

/* t as attributes into out, at most cap (at least TS_TALLY_ROW_ATTRS): the
 * most frequent names first; when they do not all fit, the others under
 * traceshim.calls.other.*. Returns how many. Keys are constants of the
 * table; values are integers. */
unsigned ts_tally_attrs(const struct ts_tally *t, struct ts_attr *out, unsigned cap);

#endif
