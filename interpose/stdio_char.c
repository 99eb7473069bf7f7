/* stdio's per-character calls: fgetc, getc, getchar, _IO_getc, fputc, putc,
 * putchar, _IO_putc and their _unlocked forms. A span each would cost more
 * than the call: they are counted per descriptor (streams.h), and the counts
 * show on the stream's fclose span (traceshim.stdio.getc_calls...). On a
 * stream over a socket each byte also goes to the HTTP sniffer, and ungetc
 * tells it a byte will be read again. An optimised build inlines the
 * _unlocked forms (and getc_unlocked's kin) from <bits/stdio.h> into the
 * program, which then calls nothing the shim sees until the stream's buffer
 * needs filling or draining. */
#include "stdiowrap.h"

extern int _IO_getc(FILE *f);
extern int _IO_putc(int c, FILE *f);

/* A stream over a socket: the byte goes to the connection's HTTP sniffer
 * (an HTTP head read or written a byte at a time), and a read's end of the
 * stream tells it the peer closed. */
static void char_http(struct ts_thread *t, FILE *f, int dir, int flags_before, int c)
{
	struct ts_stream_call call = {
		.t = t, .fd = ts_stream_fd(f), .flags = flags_before, .http = true, .t0 = ts_ticks(),
	};
	unsigned char b = (unsigned char)c;
	ts_stream_http(&call, f, dir, &b, c != EOF);
}

#define CHAR_BODY(f, out, call)                                                       \
	do {                                                                          \
		struct ts_thread *t_ = ts_caller();                                   \
		int fd_ = ts_stream_fd(f);                                            \
		if (!t_ || fd_ < 0)                                                   \
			return call;                                                  \
		bool http_ = ts_http_watched(ts_fd_state(fd_));                       \
		int flags_ = ts_stream_flags(f);                                      \
		int c_ = call;                                                        \
		if (!ts_family_off(TS_FAM_STDIO))                                     \
			ts_stream_count(fd_, out, c_ != EOF);                         \
		if (__builtin_expect(http_, 0))                                       \
			char_http(t_, f, (out) ? TS_HTTP_OUT : TS_HTTP_IN, flags_, c_); \
		return c_;                                                            \
	} while (0)

#define GET_BODY(f, call) CHAR_BODY(f, false, call)
#define PUT_BODY(f, call) CHAR_BODY(f, true, call)

TS_EXPORT int fgetc(FILE *f)
{
	TS_REAL(fgetc, EOF);
	GET_BODY(f, real(f));
}

TS_EXPORT int getc(FILE *f)
{
	TS_REAL(getc, EOF);
	GET_BODY(f, real(f));
}

TS_EXPORT int _IO_getc(FILE *f)
{
	TS_REAL(_IO_getc, EOF);
	GET_BODY(f, real(f));
}

TS_EXPORT int getchar(void)
{
	TS_REAL(getchar, EOF);
	FILE *in = stdin;
	GET_BODY(in, real());
}

TS_EXPORT int fgetc_unlocked(FILE *f)
{
	TS_REAL(fgetc_unlocked, EOF);
	GET_BODY(f, real(f));
}

TS_EXPORT int getc_unlocked(FILE *f)
{
	TS_REAL(getc_unlocked, EOF);
	GET_BODY(f, real(f));
}

TS_EXPORT int getchar_unlocked(void)
{
	TS_REAL(getchar_unlocked, EOF);
	FILE *in = stdin;
	GET_BODY(in, real());
}

TS_EXPORT int fputc(int c, FILE *f)
{
	TS_REAL(fputc, EOF);
	PUT_BODY(f, real(c, f));
}

TS_EXPORT int putc(int c, FILE *f)
{
	TS_REAL(putc, EOF);
	PUT_BODY(f, real(c, f));
}

TS_EXPORT int _IO_putc(int c, FILE *f)
{
	TS_REAL(_IO_putc, EOF);
	PUT_BODY(f, real(c, f));
}

TS_EXPORT int putchar(int c)
{
	TS_REAL(putchar, EOF);
	FILE *out = stdout;
	PUT_BODY(out, real(c));
}

TS_EXPORT int fputc_unlocked(int c, FILE *f)
{
	TS_REAL(fputc_unlocked, EOF);
	PUT_BODY(f, real(c, f));
}

TS_EXPORT int putc_unlocked(int c, FILE *f)
{
	TS_REAL(putc_unlocked, EOF);
	PUT_BODY(f, real(c, f));
}

TS_EXPORT int putchar_unlocked(int c)
{
	TS_REAL(putchar_unlocked, EOF);
	FILE *out = stdout;
	PUT_BODY(out, real(c));
}

/* A byte given back to a stream over a socket is read again: the HTTP
 * sniffer, which saw it the first time, skips it then (httpconn.h). */
TS_EXPORT int ungetc(int c, FILE *f)
{
	TS_REAL(ungetc, EOF);
	int fd = ts_stream_fd(f);
	int r = real(c, f);
	if (r != EOF && fd >= 0) {
		uint64_t st = ts_fd_state(fd);
		if (__builtin_expect(ts_http_watched(st), 0) && ts_caller())
			ts_http_unread(fd, st, c);
	}
	return r;
}
