/* Permanent span names: an open-addressing set of strings, never shrunk. */
#include "names.h"

#include "large.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 4096   /* distinct names; a power of two */

static TS_LARGE char *table[NAMES_MAX * 2];
static size_t count;

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

const char *ts_name_keep(const char *s, size_t len)
{
	size_t mask = NAMES_MAX * 2 - 1;
	for (size_t i = hash(s, len) & mask;; i = (i + 1) & mask) {
		char *n = table[i];
		if (!n) {
			if (count >= NAMES_MAX)
				return NULL;
			n = malloc(len + 1);
			if (!n)
				return NULL;
			memcpy(n, s, len);
			n[len] = 0;
			table[i] = n;
			count++;
			return n;
		}
		if (!strncmp(n, s, len) && n[len] == 0)
			return n;
	}
}

void ts_names_reset(void)
{
	if (!count)
		return;
	for (size_t i = 0; i < NAMES_MAX * 2; i++) {
		free(table[i]);
		table[i] = NULL;
	}
	count = 0;
}
