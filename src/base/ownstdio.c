/* libc's stdio functions past the shim's wrappers, for the shim's own
 * streams (ownstdio.h). Found on first use; a function libc lacks fails as
 * the call would (NULL or EOF, errno ENOSYS). */
#include "ownstdio.h"

#include "resolve.h"

#include <errno.h>
#include <stdarg.h>

/* The real `name` of type `type` into `fn`, or return `fail`. */
#define OWN(type, name, fail)                                                  \
	static __typeof__(type) fn;                                            \
	if (!fn) {                                                             \
		__typeof__(type) found = (__typeof__(type))ts_resolve(#name, NULL); \
		if (!found) {                                                  \
			errno = ENOSYS;                                        \
			return fail;                                           \
		}                                                              \
		__atomic_store_n(&fn, found, __ATOMIC_RELAXED);                \
	}

FILE *ts_own_fopen(const char *path, const char *mode)
{
	OWN(FILE *(*)(const char *, const char *), fopen, NULL);
	return fn(path, mode);
}

FILE *ts_own_fdopen(int fd, const char *mode)
{
	OWN(FILE *(*)(int, const char *), fdopen, NULL);
	return fn(fd, mode);
}

int ts_own_fclose(FILE *f)
{
	OWN(int (*)(FILE *), fclose, EOF);
	return fn(f);
}

char *ts_own_fgets(char *buf, int n, FILE *f)
{
	OWN(char *(*)(char *, int, FILE *), fgets, NULL);
	return fn(buf, n, f);
}

int ts_own_fprintf(FILE *f, const char *fmt, ...)
{
	OWN(int (*)(FILE *, const char *, va_list), vfprintf, -1);
	va_list ap;
	va_start(ap, fmt);
	int r = fn(f, fmt, ap);
	va_end(ap);
	return r;
}

int ts_own_fputc(int c, FILE *f)
{
	OWN(int (*)(int, FILE *), fputc, EOF);
	return fn(c, f);
}

int ts_own_fflush(FILE *f)
{
	OWN(int (*)(FILE *), fflush, EOF);
	return fn(f);
}
