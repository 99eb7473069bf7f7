/* Strict parsing of numbers and booleans from the environment. */
#include "parse.h"

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
