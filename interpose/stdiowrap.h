/* What the stdio wrappers share: a stream's descriptor and state, read from
 * glibc's FILE (public in <bits/types/struct_FILE.h>) rather than asked for,
 * which would take the stream's lock, or set errno for a stream with no
 * descriptor; and the one shape of a traced I/O call on a stream.
 *
 * A stream with no descriptor (fmemopen, open_memstream, fopencookie) is not
 * traced: it is memory, or its I/O shows in the calls its functions make. */
#ifndef TS_STDIOWRAP_H
#define TS_STDIOWRAP_H

#include "streams.h"
#include "wrap.h"

#include <stdio.h>

#ifndef __GLIBC__
#error "the stdio wrappers read glibc's FILE"
#endif

static inline int ts_stream_fd(FILE *f)
{
	return f ? f->_fileno : -1;
}

static inline int ts_stream_flags(FILE *f)
{
	return f ? f->_flags : 0;
}

/* A traced call on a stream in progress. */
struct ts_stream_call {
	struct ts_thread *t;
	int fd;
	int flags;      /* the stream's state before the call */
	uint64_t t0;
};

/* Starts a call on f: false when it is not traced (a stream with no
 * descriptor, an untraced thread, before the tracer could start). */
static inline bool ts_stream_begin(struct ts_stream_call *c, FILE *f)
{
	c->fd = ts_stream_fd(f);
	if (c->fd < 0)
		return false;
	c->t = ts_caller();
	if (!c->t || ts_family_off(TS_FAM_STDIO))
		return false;
	c->flags = ts_stream_flags(f);
	c->t0 = ts_ticks();
	return true;
}

/* Ends it: done is the bytes done, or -1 when the call returned its failure
 * indicator (NULL, EOF, -1); partial: the call stopped short (fewer items or
 * no line). A call that stopped short failed when it set the stream's error
 * flag (errno says why), met the end of the file when the end-of-file flag
 * is set, and failed anyway when it returned -1 with neither (getline's
 * EINVAL). errno is left as the call set it. */
static inline void ts_stream_end(const struct ts_stream_call *c, FILE *f, enum ts_op op,
				 uint64_t requested, int64_t done, bool partial, uint32_t flags)
{
	uint64_t t1 = ts_ticks();
	int err = 0;
	if (partial || done < 0) {
		int now = ts_stream_flags(f);
		if ((now & _IO_ERR_SEEN) && !(c->flags & _IO_ERR_SEEN)) {
			err = errno;
			done = -1;
		} else if (now & _IO_EOF_SEEN) {
			flags |= TS_STDIO_EOF;
			if (done < 0)
				done = 0;
		} else if (done < 0) {
			err = errno;
		}
	}
	ts_record_stream_io(c->t, op, c->fd, requested, done, err, flags, c->t0, t1);
}

#endif
