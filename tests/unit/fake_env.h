/* A fake environment for code that takes a getenv-like function: tests set
 * fake_env to a NULL-terminated list of "NAME=value" strings. */
#ifndef TS_FAKE_ENV_H
#define TS_FAKE_ENV_H

#include <string.h>

static const char *const *fake_env;

static inline const char *fake_getenv(const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = fake_env; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

#endif
