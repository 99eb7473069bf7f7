/* The records of stdio calls (fopen, fgets, printf...), as the wrappers
 * write them and decode_stdio.c reads them. Beyond the common fields:
 *   aux2     flags below
 *   arg      opens (fopen, freopen, fdopen): the mode, its first 8 bytes;
 *            I/O calls: the bytes asked for
 *   ret      opens: the stream's descriptor, -1 when the call failed;
 *            I/O calls: the bytes done, -1 when the call failed
 *   payload  a struct ts_stdio_counts first when TS_STDIO_COUNTS is set,
 *            then, for fopen and freopen, the path.
 * Per-character calls (fgetc, putc...) make no record of their own: they
 * are counted per descriptor, and the counts ride on the record of the
 * stream's fclose (or freopen, which closes it, or its end with the
 * process). */
#ifndef TS_STDIOREC_H
#define TS_STDIOREC_H

#include <stdint.h>

enum {
	TS_STDIO_EOF = 1,         /* the call met the end of the file */
	TS_STDIO_NO_REQUEST = 2,  /* the arguments say no size (getline, printf, fflush(NULL)) */
	TS_STDIO_NO_BYTES = 4,    /* nor is the size done known (fflush(NULL)) */
	TS_STDIO_COUNTS = 8,      /* the payload starts with a struct ts_stdio_counts */
};

/* A stream's per-character calls: getc_* for the reading ones (fgetc, getc,
 * getchar, _IO_getc and their _unlocked forms), putc_* for the writing ones
 * (fputc, putc, putchar, _IO_putc...). bytes: the calls that moved one. */
struct ts_stdio_counts {
	uint64_t getc_calls, getc_bytes, putc_calls, putc_bytes;
};

/* A mode string ("r", "w+e", "rb") in 8 bytes; longer ones are cut
 * ("r,ccs=UTF-8" keeps "r,ccs=UT"). */
static inline uint64_t ts_stdio_mode_pack(const char *mode)
{
	uint64_t v = 0;
	for (unsigned i = 0; mode && i < 8 && mode[i]; i++)
		v |= (uint64_t)(uint8_t)mode[i] << (8 * i);
	return v;
}

/* Back to text in out (9 bytes with its NUL); returns out. */
static inline char *ts_stdio_mode_unpack(uint64_t v, char out[9])
{
	unsigned i = 0;
	for (; i < 8 && (v >> (8 * i)) & 0xff; i++)
		out[i] = (char)((v >> (8 * i)) & 0xff);
	out[i] = 0;
	return out;
}

#endif
