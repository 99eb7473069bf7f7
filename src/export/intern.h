/* String interning table: string -> small id (1, 2, ...), per writer sequence. */
#ifndef TS_INTERN_H
#define TS_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct ts_intern {
	struct ts_intern_entry *slots;
	size_t cap, count;
	uint64_t next_id;
};

/* Returns the id of s (0 when the table is full or out of memory: write the
 * string inline then); *fresh says the id was just assigned. */
uint64_t ts_intern_get(struct ts_intern *t, const char *s, size_t len, int *fresh);
void ts_intern_free(struct ts_intern *t);

#define TS_INTERN_MAX 16384

#endif
