/* Strict parsing of the values of environment variables. Each returns
 * false and leaves *out alone when the text is not a valid value. */
#ifndef TS_PARSE_H
#define TS_PARSE_H

#include <stdbool.h>

/* A decimal number in [min, max], digits only. */
bool ts_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* 1/true/yes/on or 0/false/no/off, any case. */
bool ts_parse_bool(const char *s, bool *out);

#endif
