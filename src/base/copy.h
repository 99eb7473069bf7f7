/* memcpy by a call, for the drainer's copies whose size is known only at
 * run time (a path, an address, a payload): inline, the compiler makes such
 * a copy a rep movs, which takes longer to start than copying a few dozen
 * bytes. The call goes through a volatile pointer so it stays a call. */
#ifndef TS_COPY_H
#define TS_COPY_H

#include <stddef.h>
#include <string.h>

static inline void *ts_memcpy(void *dst, const void *src, size_t n)
{
	void *(*volatile call)(void *, const void *, size_t) = memcpy;
	return call(dst, src, n);
}

#endif
