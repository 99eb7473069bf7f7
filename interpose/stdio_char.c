/* stdio's per-character calls: fgetc, getc, getchar, _IO_getc, fputc, putc,
 * putchar, _IO_putc and their _unlocked forms. A span each would cost more
 * than the call: they are counted per descriptor (streams.h), and the counts
 * show on the stream's fclose span (traceshim.stdio.getc_calls...). An
 * optimised build inlines the _unlocked forms (and getc_unlocked's kin) from
 * <bits/stdio.h> into the program, which then calls nothing the shim sees
 * until the stream's buffer needs filling or draining. */
#include "stdiowrap.h"

extern int _IO_getc(FILE *f);
extern int _IO_putc(int c, FILE *f);

#define GET_BODY(f, call)                                                  \
	do {                                                               \
		struct ts_thread *t_ = ts_caller();                        \
		int c_ = call;                                             \
		if (t_ && !ts_family_off(TS_FAM_STDIO))                    \
			ts_stream_count(ts_stream_fd(f), false, c_ != EOF); \
		return c_;                                                 \
	} while (0)

#define PUT_BODY(f, call)                                                  \
	do {                                                               \
		struct ts_thread *t_ = ts_caller();                        \
		int c_ = call;                                             \
		if (t_ && !ts_family_off(TS_FAM_STDIO))                    \
			ts_stream_count(ts_stream_fd(f), true, c_ != EOF); \
		return c_;                                                 \
	} while (0)

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
