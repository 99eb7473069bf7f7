/* The printf family on streams and descriptors: printf, fprintf, vprintf,
 * vfprintf, dprintf, vdprintf and their _FORTIFY_SOURCE forms (__printf_chk
 * and the others, which distribution binaries call), each recorded under its
 * base name. The variadic ones hand their arguments to libc's own v-form:
 * the formatting is glibc's, never the shim's. The bytes are the formatted
 * text (the call's result), all of it asked for; a negative result is a
 * failure, errno says why. On a socket, the text also goes to the HTTP
 * sniffer. */
#include "rawsys.h"
#include "stdiowrap.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>

extern int __printf_chk(int flag, const char *fmt, ...);
extern int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
extern int __vprintf_chk(int flag, const char *fmt, va_list ap);
extern int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
extern int __dprintf_chk(int fd, int flag, const char *fmt, ...);
extern int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap);

typedef int (*vprintf_fn)(const char *, va_list);
typedef int (*vfprintf_fn)(FILE *, const char *, va_list);
typedef int (*vdprintf_fn)(int, const char *, va_list);
typedef int (*vprintf_chk_fn)(int, const char *, va_list);
typedef int (*vfprintf_chk_fn)(FILE *, int, const char *, va_list);
typedef int (*vdprintf_chk_fn)(int, int, const char *, va_list);

static inline int64_t formatted(int r)
{
	return r < 0 ? -1 : (int64_t)r;
}

/* What a call that wrote r bytes of text on fd, a stream socket the HTTP
 * layer reads, sent: formatted again from a copy of its arguments (only for
 * such descriptors), into a buffer on the stack, or for a longer text a
 * mapping of its own (up to TEXT_MAP_MAX; the rest is counted without being
 * seen), and handed to the connection's sniffer. errno is the call's. */
#define TEXT_MAX 2048
#define TEXT_MAP_MAX (64u << 20)
static void formatted_http(struct ts_thread *t, int fd, int r, const char *fmt, va_list ap,
			   uint64_t t0)
{
	if (r <= 0)
		return;
	int saved = errno;
	char stack[TEXT_MAX], *text = stack;
	size_t cap = sizeof stack;
	if ((size_t)r >= cap) {
		size_t len = (((size_t)r < TEXT_MAP_MAX ? (size_t)r : TEXT_MAP_MAX) + 4096) & ~(size_t)4095;
		long at = ts_syscall(SYS_mmap, 0, len, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (at != -1) {
			text = (char *)at;
			cap = len;
		}
	}
	int k = vsnprintf(text, cap, fmt, ap);
	int64_t seen = k < 0 ? 0 : (size_t)k < cap ? k : (int64_t)cap - 1;
	if (seen > r)
		seen = r;
	uint64_t st = ts_fd_state(fd), t1 = ts_ticks();
	if (seen)
		ts_http_bytes(t, fd, st, TS_HTTP_SOCKET, TS_HTTP_OUT, text, seen, t0, t1);
	if (r > seen)
		ts_http_skip(t, fd, st, TS_HTTP_OUT, r - seen, t0, t1);
	if (text != stack)
		ts_syscall(SYS_munmap, text, cap);
	errno = saved;
}

/* On stream f: the text goes to the HTTP layer when f is on a socket. */
#define STREAM_BODY(op, f, fmt, ap, call)                                                \
	do {                                                                             \
		struct ts_stream_call c_;                                                \
		if (!ts_stream_begin(&c_, f))                                            \
			return call;                                                     \
		va_list copy_;                                                           \
		if (c_.http)                                                             \
			va_copy(copy_, ap);                                              \
		int r_ = call;                                                           \
		ts_stream_end(&c_, f, op, r_ < 0 ? 0 : (uint64_t)r_, formatted(r_), false, \
			      r_ < 0 ? TS_STDIO_NO_REQUEST : 0);                         \
		if (c_.http) {                                                           \
			formatted_http(c_.t, c_.fd, r_, fmt, copy_, c_.t0);              \
			va_end(copy_);                                                   \
		}                                                                        \
		return r_;                                                               \
	} while (0)

/* On descriptor fd: no stream, so no stream state. */
#define FD_BODY(op, fd, fmt, ap, call)                                                   \
	do {                                                                             \
		struct ts_thread *t = ts_caller();                                       \
		bool span_ = t && !ts_family_off(TS_FAM_STDIO);                          \
		bool http_ = t && ts_http_watched(ts_fd_state(fd));                      \
		if (!span_ && !http_)                                                    \
			return call;                                                     \
		va_list copy_;                                                           \
		if (http_)                                                               \
			va_copy(copy_, ap);                                              \
		uint64_t t0 = ts_ticks();                                                \
		int r_ = call;                                                           \
		uint64_t t1 = ts_ticks();                                                \
		if (span_)                                                               \
			ts_record_stream_io(t, op, fd, r_ < 0 ? 0 : (uint64_t)r_,        \
					    formatted(r_), r_ < 0 ? errno : 0,           \
					    r_ < 0 ? TS_STDIO_NO_REQUEST : 0, t0, t1);   \
		if (http_) {                                                             \
			formatted_http(t, fd, r_, fmt, copy_, t0);                       \
			va_end(copy_);                                                   \
		}                                                                        \
		return r_;                                                               \
	} while (0)

/* A variadic form: its arguments to the traced v-form `call`. */
#define VARIADIC(last, call)          \
	va_list ap;                   \
	va_start(ap, last);           \
	int r = call;                 \
	va_end(ap);                   \
	return r

static int vprintf_traced(enum ts_op op, vprintf_fn fn, const char *fmt, va_list ap)
{
	FILE *out = stdout;
	STREAM_BODY(op, out, fmt, ap, fn(fmt, ap));
}

static int vfprintf_traced(enum ts_op op, vfprintf_fn fn, FILE *f, const char *fmt, va_list ap)
{
	STREAM_BODY(op, f, fmt, ap, fn(f, fmt, ap));
}

static int vdprintf_traced(enum ts_op op, vdprintf_fn fn, int fd, const char *fmt, va_list ap)
{
	FD_BODY(op, fd, fmt, ap, fn(fd, fmt, ap));
}

static int vprintf_chk_traced(enum ts_op op, vprintf_chk_fn fn, int flag, const char *fmt,
			      va_list ap)
{
	FILE *out = stdout;
	STREAM_BODY(op, out, fmt, ap, fn(flag, fmt, ap));
}

static int vfprintf_chk_traced(enum ts_op op, vfprintf_chk_fn fn, FILE *f, int flag,
			       const char *fmt, va_list ap)
{
	STREAM_BODY(op, f, fmt, ap, fn(f, flag, fmt, ap));
}

static int vdprintf_chk_traced(enum ts_op op, vdprintf_chk_fn fn, int fd, int flag,
			       const char *fmt, va_list ap)
{
	FD_BODY(op, fd, fmt, ap, fn(fd, flag, fmt, ap));
}

TS_EXPORT int printf(const char *fmt, ...)
{
	TS_REAL_TYPED(vprintf_fn, vprintf, -1);
	VARIADIC(fmt, vprintf_traced(TS_OP_PRINTF, real, fmt, ap));
}

TS_EXPORT int vprintf(const char *fmt, va_list ap)
{
	TS_REAL(vprintf, -1);
	return vprintf_traced(TS_OP_VPRINTF, real, fmt, ap);
}

TS_EXPORT int fprintf(FILE *f, const char *fmt, ...)
{
	TS_REAL_TYPED(vfprintf_fn, vfprintf, -1);
	VARIADIC(fmt, vfprintf_traced(TS_OP_FPRINTF, real, f, fmt, ap));
}

TS_EXPORT int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	TS_REAL(vfprintf, -1);
	return vfprintf_traced(TS_OP_VFPRINTF, real, f, fmt, ap);
}

TS_EXPORT int dprintf(int fd, const char *fmt, ...)
{
	TS_REAL_TYPED(vdprintf_fn, vdprintf, -1);
	VARIADIC(fmt, vdprintf_traced(TS_OP_DPRINTF, real, fd, fmt, ap));
}

TS_EXPORT int vdprintf(int fd, const char *fmt, va_list ap)
{
	TS_REAL(vdprintf, -1);
	return vdprintf_traced(TS_OP_VDPRINTF, real, fd, fmt, ap);
}

TS_EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
	TS_REAL_TYPED(vprintf_chk_fn, __vprintf_chk, -1);
	VARIADIC(fmt, vprintf_chk_traced(TS_OP_PRINTF, real, flag, fmt, ap));
}

TS_EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
	TS_REAL(__vprintf_chk, -1);
	return vprintf_chk_traced(TS_OP_VPRINTF, real, flag, fmt, ap);
}

TS_EXPORT int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	TS_REAL_TYPED(vfprintf_chk_fn, __vfprintf_chk, -1);
	VARIADIC(fmt, vfprintf_chk_traced(TS_OP_FPRINTF, real, f, flag, fmt, ap));
}

TS_EXPORT int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	TS_REAL(__vfprintf_chk, -1);
	return vfprintf_chk_traced(TS_OP_VFPRINTF, real, f, flag, fmt, ap);
}

TS_EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	TS_REAL_TYPED(vdprintf_chk_fn, __vdprintf_chk, -1);
	VARIADIC(fmt, vdprintf_chk_traced(TS_OP_DPRINTF, real, fd, flag, fmt, ap));
}

TS_EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	TS_REAL(__vdprintf_chk, -1);
	return vdprintf_chk_traced(TS_OP_VDPRINTF, real, fd, flag, fmt, ap);
}
