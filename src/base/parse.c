/* Strict parsing of numbers and booleans from the environment. */
#include "parse.h"

#include <string.h>
#include <strings.h>

bool ts_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	unsigned long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*s || v < min)
		return false;
	*out = v;
	return true;
}

bool ts_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	if (!s)
		return false;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) { *out = true; return true; }
		if (!strcasecmp(s, no[i])) { *out = false; return true; }
	}
	return false;
}

/* Copies the len bytes at v into out; false when they do not fit or are none. */
static bool take_value(const char *v, size_t len, char out[TS_PARSE_VALUE_MAX])
{
	if (!len || len >= TS_PARSE_VALUE_MAX)
		return false;
	memcpy(out, v, len);
	out[len] = 0;
	return true;
}

bool ts_parse_per_name(const char *s, const char *const *names, unsigned n,
		       char (*vals)[TS_PARSE_VALUE_MAX])
{
	if (!s)
		return false;
	char got[8][TS_PARSE_VALUE_MAX];   /* names beyond 8 are not supported */
	if (n > 8)
		return false;
	for (unsigned i = 0; i < n; i++)
		got[i][0] = 0;
	if (!strchr(s, '=')) {
		for (unsigned i = 0; i < n; i++)
			if (!take_value(s, strlen(s), got[i]))
				return false;
	} else {
		for (const char *item = s;;) {
			const char *comma = strchr(item, ',');
			size_t len = comma ? (size_t)(comma - item) : strlen(item);
			const char *eq = memchr(item, '=', len);
			if (!eq)
				return false;
			size_t klen = (size_t)(eq - item);
			unsigned i = 0;
			while (i < n && (strlen(names[i]) != klen || strncasecmp(item, names[i], klen)))
				i++;
			if (i == n || got[i][0] || !take_value(eq + 1, len - klen - 1, got[i]))
				return false;
			if (!comma)
				break;
			item = comma + 1;
		}
	}
	memcpy(vals, got, n * sizeof *got);
	return true;
}
