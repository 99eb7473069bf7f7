/* Strict parsing of the values of environment variables. Each returns
 * false and leaves *out alone when the text is not a valid value. */
#ifndef TS_PARSE_H
#define TS_PARSE_H

#include <stdbool.h>

/* A decimal number in [min, max], digits only. */
bool ts_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* 1/true/yes/on or 0/false/no/off, any case. */
bool ts_parse_bool(const char *s, bool *out);

/* A setting given per name (per exporter): a bare value for every one of
 * the n names, or "name=value,name=value" for some of them, each at most
 * once. vals[i] gets name i's value, or "" when it is not named; false when
 * the text is neither form (an unknown name, a repeated or empty one, a
 * value longer than TS_PARSE_VALUE_MAX - 1). Values are not checked here. */
#define TS_PARSE_VALUE_MAX 24
bool ts_parse_per_name(const char *s, const char *const *names, unsigned n,
		       char (*vals)[TS_PARSE_VALUE_MAX]);

#endif
