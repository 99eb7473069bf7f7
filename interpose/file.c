/* open/openat/creat (and their 64-bit and _FORTIFY_SOURCE forms), close,
 * fsync and fdatasync. close never closes the shim's own trace descriptor:
 * to the program it looks like a descriptor that is not open. */
#include "wrap.h"

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

extern int __open_2(const char *path, int flags);
extern int __open64_2(const char *path, int flags);
extern int __openat_2(int dirfd, const char *path, int flags);
extern int __openat64_2(int dirfd, const char *path, int flags);

static inline int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define OPEN_BODY(op, path, call) \
	TS_TRACED_OP(op, -1, call, ts_record_open(t_, op, path, r_, t0_, t1_))

#define MODE_ARG(flags)                                                  \
	mode_t mode = 0;                                                 \
	if (needs_mode(flags)) {                                         \
		va_list ap;                                              \
		va_start(ap, flags);                                     \
		mode = (mode_t)va_arg(ap, int);                          \
		va_end(ap);                                              \
	}

TS_EXPORT int open(const char *path, int flags, ...)
{
	TS_REAL(open, -1);
	MODE_ARG(flags);
	OPEN_BODY(TS_OP_OPEN, path, real(path, flags, mode));
}

TS_EXPORT int open64(const char *path, int flags, ...)
{
	TS_REAL(open64, -1);
	MODE_ARG(flags);
	OPEN_BODY(TS_OP_OPEN, path, real(path, flags, mode));
}

TS_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	TS_REAL(openat, -1);
	MODE_ARG(flags);
	OPEN_BODY(TS_OP_OPENAT, path, real(dirfd, path, flags, mode));
}

TS_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	TS_REAL(openat64, -1);
	MODE_ARG(flags);
	OPEN_BODY(TS_OP_OPENAT, path, real(dirfd, path, flags, mode));
}

TS_EXPORT int __open_2(const char *path, int flags)
{
	TS_REAL(__open_2, -1);
	OPEN_BODY(TS_OP_OPEN, path, real(path, flags));
}

TS_EXPORT int __open64_2(const char *path, int flags)
{
	TS_REAL(__open64_2, -1);
	OPEN_BODY(TS_OP_OPEN, path, real(path, flags));
}

TS_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	TS_REAL(__openat_2, -1);
	OPEN_BODY(TS_OP_OPENAT, path, real(dirfd, path, flags));
}

TS_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	TS_REAL(__openat64_2, -1);
	OPEN_BODY(TS_OP_OPENAT, path, real(dirfd, path, flags));
}

TS_EXPORT int creat(const char *path, mode_t mode)
{
	TS_REAL(creat, -1);
	OPEN_BODY(TS_OP_CREAT, path, real(path, mode));
}

TS_EXPORT int creat64(const char *path, mode_t mode)
{
	TS_REAL(creat64, -1);
	OPEN_BODY(TS_OP_CREAT, path, real(path, mode));
}

TS_EXPORT int close(int fd)
{
	TS_REAL(close, -1);
	TS_CLOSE_BODY(fd, real(fd));
}

TS_EXPORT int fsync(int fd)
{
	TS_REAL(fsync, -1);
	TS_IO_BODY(TS_OP_FSYNC, fd, 0, real(fd));
}

TS_EXPORT int fdatasync(int fd)
{
	TS_REAL(fdatasync, -1);
	TS_IO_BODY(TS_OP_FDATASYNC, fd, 0, real(fd));
}
