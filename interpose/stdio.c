/* stdio's opens and closes: fopen, freopen (and their 64-bit forms), fdopen
 * and fclose. glibc's stdio reaches the kernel through internal calls that
 * no other wrapper sees, so these record what open and close would: the
 * path, the descriptor (the new stream's fileno), the mode, and a new
 * generation for a descriptor that now refers to another file. The counts of
 * per-character calls (stdio_char.c) end with their stream: in its fclose
 * record, or in freopen's, which closes it. */
#include "stdiowrap.h"

extern FILE *fopen64(const char *path, const char *mode);
extern FILE *freopen64(const char *path, const char *mode, FILE *f);

#define OPEN_BODY(op, path, mode, call)                                                  \
	do {                                                                             \
		struct ts_thread *t = ts_caller();                                       \
		if (!t || ts_family_off(TS_FAM_STDIO))                                   \
			return call;                                                     \
		uint64_t t0 = ts_ticks();                                                \
		FILE *f = call;                                                          \
		uint64_t t1 = ts_ticks();                                                \
		int fd = ts_stream_fd(f);                                                \
		if (f)   /* a new stream: counts of an earlier one on fd are not its */ \
			ts_stream_take(fd, NULL);                                        \
		ts_record_stream_open(t, op, -1, path, mode, f ? fd : -1, NULL, t0, t1); \
		return f;                                                                \
	} while (0)

TS_EXPORT FILE *fopen(const char *path, const char *mode)
{
	TS_REAL(fopen, NULL);
	OPEN_BODY(TS_OP_FOPEN, path, mode, real(path, mode));
}

TS_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	TS_REAL(fopen64, NULL);
	OPEN_BODY(TS_OP_FOPEN, path, mode, real(path, mode));
}

TS_EXPORT FILE *fdopen(int fd, const char *mode)
{
	TS_REAL(fdopen, NULL);
	struct ts_thread *t = ts_caller();
	if (!t || ts_family_off(TS_FAM_STDIO))
		return real(fd, mode);
	uint64_t t0 = ts_ticks();
	FILE *f = real(fd, mode);
	uint64_t t1 = ts_ticks();
	if (f)
		ts_stream_take(fd, NULL);
	ts_record_stream_open(t, TS_OP_FDOPEN, fd, NULL, mode, f ? fd : -1, NULL, t0, t1);
	return f;
}

/* freopen closes the stream's file whatever happens (the standard says so),
 * then opens path (glibc keeps the descriptor number when it can); with no
 * path, it opens the same file again with another mode. */
#define REOPEN_BODY(path, mode, stream, call)                                              \
	do {                                                                               \
		int old = ts_stream_fd(stream);                                            \
		struct ts_thread *t = ts_caller();                                         \
		uint64_t state = ts_fd_state(old);                                         \
		if (path && old >= 0)                                                      \
			ts_fd_changed(old);                                                \
		struct ts_stdio_counts counts;                                             \
		bool counted = ts_stream_take(old, &counts);                               \
		if (!t || ts_family_off(TS_FAM_STDIO))                                     \
			return call;                                                       \
		uint64_t t0 = ts_ticks();                                                  \
		FILE *f = call;                                                            \
		uint64_t t1 = ts_ticks();                                                  \
		int fd = f ? ts_stream_fd(f) : -1;                                         \
		ts_record_stream_open(t, TS_OP_FREOPEN, path ? -1 : fd, path, mode, fd,    \
				      counted ? &counts : NULL, t0, t1);                   \
		if (path && old >= 0)                                                      \
			ts_http_closed(t, old, state, t1);                                 \
		return f;                                                                  \
	} while (0)

TS_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	TS_REAL(freopen, NULL);
	REOPEN_BODY(path, mode, stream, real(path, mode, stream));
}

TS_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	TS_REAL(freopen64, NULL);
	REOPEN_BODY(path, mode, stream, real(path, mode, stream));
}

TS_EXPORT int fclose(FILE *f)
{
	TS_REAL(fclose, EOF);
	int fd = ts_stream_fd(f);
	if (fd < 0)
		return real(f);
	/* As close(): the generation moves on before the descriptor is freed. */
	uint64_t state = ts_fd_state(fd);
	ts_fd_changed(fd);
	struct ts_stdio_counts counts;
	bool counted = ts_stream_take(fd, &counts);
	struct ts_thread *t = ts_caller();
	if (!t || ts_family_off(TS_FAM_STDIO))
		return real(f);
	uint64_t t0 = ts_ticks();
	int r = real(f);
	uint64_t t1 = ts_ticks();
	ts_record_stream_close(t, fd, state, r == 0 ? 0 : -1, counted ? &counts : NULL, t0, t1);
	ts_http_closed(t, fd, state, t1);
	return r;
}
