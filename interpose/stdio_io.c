/* stdio's reads and writes of whole buffers and lines: fread, fwrite, fgets,
 * fputs, puts, getline, getdelim and fflush, with their _FORTIFY_SOURCE
 * (_chk) and _unlocked forms, each recorded under its base name on the
 * stream's descriptor: the bytes asked for, the bytes done, and whether the
 * call met the end of the file. What these move is the program's buffer to
 * or from the stream's: the read or write that fills or drains the stream's
 * own buffer is glibc's internal call, seen by no wrapper. */
#include "stdiowrap.h"

#include <string.h>
#include <sys/types.h>

/* Macros in an optimised build (<bits/stdio.h>): the functions are wrapped. */
#undef fread_unlocked
#undef fwrite_unlocked

/* Not in the public headers (or only under _FORTIFY_SOURCE). */
extern char *__fgets_chk(char *buf, size_t size, int n, FILE *f);
extern char *__fgets_unlocked_chk(char *buf, size_t size, int n, FILE *f);
extern size_t __fread_chk(void *buf, size_t size_buf, size_t size, size_t n, FILE *f);
extern size_t __fread_unlocked_chk(void *buf, size_t size_buf, size_t size, size_t n, FILE *f);
extern ssize_t __getdelim(char **line, size_t *cap, int delim, FILE *f);

/* fread and fwrite: n items of size bytes, moved in direction dir
 * (TS_HTTP_IN or TS_HTTP_OUT) from or to buf. */
#define ITEMS_BODY(op, dir, f, buf, size, n, call)                                        \
	do {                                                                              \
		struct ts_stream_call c_;                                                 \
		if (!ts_stream_begin(&c_, f))                                             \
			return call;                                                      \
		size_t r_ = call;                                                         \
		ts_stream_end(&c_, f, op, (uint64_t)(size) * (n), (int64_t)(r_ * (size)), \
			      r_ < (n), 0);                                               \
		ts_stream_http(&c_, f, dir, buf, (int64_t)(r_ * (size)));                 \
		return r_;                                                                \
	} while (0)

TS_EXPORT size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
	TS_REAL(fread, 0);
	ITEMS_BODY(TS_OP_FREAD, TS_HTTP_IN, f, buf, size, n, real(buf, size, n, f));
}

TS_EXPORT size_t fread_unlocked(void *buf, size_t size, size_t n, FILE *f)
{
	TS_REAL(fread_unlocked, 0);
	ITEMS_BODY(TS_OP_FREAD, TS_HTTP_IN, f, buf, size, n, real(buf, size, n, f));
}

TS_EXPORT size_t __fread_chk(void *buf, size_t size_buf, size_t size, size_t n, FILE *f)
{
	TS_REAL(__fread_chk, 0);
	ITEMS_BODY(TS_OP_FREAD, TS_HTTP_IN, f, buf, size, n, real(buf, size_buf, size, n, f));
}

TS_EXPORT size_t __fread_unlocked_chk(void *buf, size_t size_buf, size_t size, size_t n, FILE *f)
{
	TS_REAL(__fread_unlocked_chk, 0);
	ITEMS_BODY(TS_OP_FREAD, TS_HTTP_IN, f, buf, size, n, real(buf, size_buf, size, n, f));
}

TS_EXPORT size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
	TS_REAL(fwrite, 0);
	ITEMS_BODY(TS_OP_FWRITE, TS_HTTP_OUT, f, buf, size, n, real(buf, size, n, f));
}

TS_EXPORT size_t fwrite_unlocked(const void *buf, size_t size, size_t n, FILE *f)
{
	TS_REAL(fwrite_unlocked, 0);
	ITEMS_BODY(TS_OP_FWRITE, TS_HTTP_OUT, f, buf, size, n, real(buf, size, n, f));
}

/* fgets: up to n - 1 bytes; the line's length is what it read (a line
 * holding a NUL byte counts up to it). */
#define FGETS_BODY(f, buf, n, call)                                                   \
	do {                                                                          \
		struct ts_stream_call c_;                                             \
		if (!ts_stream_begin(&c_, f))                                         \
			return call;                                                  \
		char *r_ = call;                                                      \
		int64_t len_ = r_ ? (int64_t)strlen(r_) : 0;                          \
		ts_stream_end(&c_, f, TS_OP_FGETS, (n) > 1 ? (uint64_t)(n) - 1 : 0,  \
			      r_ ? len_ : (n) > 0 ? -1 : 0, false, 0);                \
		ts_stream_http(&c_, f, TS_HTTP_IN, r_, len_);                         \
		return r_;                                                            \
	} while (0)

TS_EXPORT char *fgets(char *buf, int n, FILE *f)
{
	TS_REAL(fgets, NULL);
	FGETS_BODY(f, buf, n, real(buf, n, f));
}

TS_EXPORT char *fgets_unlocked(char *buf, int n, FILE *f)
{
	TS_REAL(fgets_unlocked, NULL);
	FGETS_BODY(f, buf, n, real(buf, n, f));
}

TS_EXPORT char *__fgets_chk(char *buf, size_t size, int n, FILE *f)
{
	TS_REAL(__fgets_chk, NULL);
	FGETS_BODY(f, buf, n, real(buf, size, n, f));
}

TS_EXPORT char *__fgets_unlocked_chk(char *buf, size_t size, int n, FILE *f)
{
	TS_REAL(__fgets_unlocked_chk, NULL);
	FGETS_BODY(f, buf, n, real(buf, size, n, f));
}

/* fputs and puts: the string s (and puts' newline when nl), all or
 * nothing. */
#define PUTS_BODY(op, f, s, nl, call)                                                   \
	do {                                                                           \
		struct ts_stream_call c_;                                              \
		if (!ts_stream_begin(&c_, f))                                          \
			return call;                                                   \
		uint64_t len_ = strlen(s);                                             \
		int r_ = call;                                                         \
		ts_stream_end(&c_, f, op, len_ + (nl), r_ == EOF ? -1 : (int64_t)(len_ + (nl)), \
			      false, 0);                                               \
		if (r_ != EOF) {                                                       \
			ts_stream_http(&c_, f, TS_HTTP_OUT, s, (int64_t)len_);         \
			ts_stream_http(&c_, f, TS_HTTP_OUT, "\n", nl);                 \
		}                                                                      \
		return r_;                                                             \
	} while (0)

TS_EXPORT int fputs(const char *s, FILE *f)
{
	TS_REAL(fputs, EOF);
	PUTS_BODY(TS_OP_FPUTS, f, s, 0, real(s, f));
}

TS_EXPORT int fputs_unlocked(const char *s, FILE *f)
{
	TS_REAL(fputs_unlocked, EOF);
	PUTS_BODY(TS_OP_FPUTS, f, s, 0, real(s, f));
}

TS_EXPORT int puts(const char *s)
{
	TS_REAL(puts, EOF);
	FILE *out = stdout;
	PUTS_BODY(TS_OP_PUTS, out, s, 1, real(s));
}

/* getline and getdelim: a line of any length; nothing says how much was
 * asked for. -1 at the end of the file, or on failure. */
#define GETDELIM_BODY(op, f, line, call)                                               \
	do {                                                                           \
		struct ts_stream_call c_;                                              \
		if (!ts_stream_begin(&c_, f))                                          \
			return call;                                                   \
		ssize_t r_ = call;                                                     \
		ts_stream_end(&c_, f, op, 0, r_, r_ < 0, TS_STDIO_NO_REQUEST);        \
		ts_stream_http(&c_, f, TS_HTTP_IN, r_ > 0 ? *(line) : NULL, r_ > 0 ? r_ : 0); \
		return r_;                                                             \
	} while (0)

TS_EXPORT ssize_t getline(char **line, size_t *cap, FILE *f)
{
	TS_REAL(getline, -1);
	GETDELIM_BODY(TS_OP_GETLINE, f, line, real(line, cap, f));
}

TS_EXPORT ssize_t getdelim(char **line, size_t *cap, int delim, FILE *f)
{
	TS_REAL(getdelim, -1);
	GETDELIM_BODY(TS_OP_GETDELIM, f, line, real(line, cap, delim, f));
}

/* What an optimised build calls for getline (glibc's inline getline in
 * <bits/stdio.h>): recorded as getline when the delimiter is a newline. */
TS_EXPORT ssize_t __getdelim(char **line, size_t *cap, int delim, FILE *f)
{
	TS_REAL(__getdelim, -1);
	GETDELIM_BODY(delim == '\n' ? TS_OP_GETLINE : TS_OP_GETDELIM, f, line,
		      real(line, cap, delim, f));
}

/* fflush: the bytes waiting in the stream's buffer are what it was asked to
 * write. fflush(NULL) flushes every stream: no descriptor, no sizes. */
static uint64_t pending(FILE *f)
{
	const char *base = f->_IO_write_base, *ptr = f->_IO_write_ptr;
	return base && ptr > base ? (uint64_t)(ptr - base) : 0;
}

#define FFLUSH_BODY(f, call)                                                           \
	do {                                                                           \
		struct ts_stream_call c_;                                              \
		if (!f) {                                                              \
			c_.fd = -1;                                                    \
			c_.flags = 0;                                                  \
			c_.span = true;                                                \
			c_.http = false;                                               \
			if (!(c_.t = ts_caller()) || ts_family_off(TS_FAM_STDIO))      \
				return call;                                           \
			c_.t0 = ts_ticks();                                            \
			int r_ = call;                                                 \
			ts_stream_end(&c_, f, TS_OP_FFLUSH, 0, r_ == EOF ? -1 : 0, false, \
				      TS_STDIO_NO_REQUEST | TS_STDIO_NO_BYTES);        \
			return r_;                                                     \
		}                                                                      \
		if (!ts_stream_begin(&c_, f))                                          \
			return call;                                                   \
		uint64_t n_ = pending(f);                                              \
		int r_ = call;                                                         \
		ts_stream_end(&c_, f, TS_OP_FFLUSH, n_, r_ == EOF ? -1 : (int64_t)n_, false, 0); \
		return r_;                                                             \
	} while (0)

TS_EXPORT int fflush(FILE *f)
{
	TS_REAL(fflush, EOF);
	FFLUSH_BODY(f, real(f));
}

TS_EXPORT int fflush_unlocked(FILE *f)
{
	TS_REAL(fflush_unlocked, EOF);
	FFLUSH_BODY(f, real(f));
}
