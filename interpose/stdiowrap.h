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
	bool span;      /* the stdio family is traced: the call is a span */
	bool http;      /* the descriptor is a stream socket the HTTP layer reads */
	uint64_t t0;
};

/* Starts a call on f: false when nothing is wanted of it (a stream with no
 * descriptor, an untraced thread, before the tracer could start, the stdio
 * family off on a descriptor that is no stream socket). */
static inline bool ts_stream_begin(struct ts_stream_call *c, FILE *f)
{
	c->fd = ts_stream_fd(f);
	if (c->fd < 0)
		return false;
	c->t = ts_caller();
	if (!c->t)
		return false;
	c->span = !ts_family_off(TS_FAM_STDIO);
	c->http = ts_http_watched(ts_fd_state(c->fd));
	if (!c->span && !c->http)
		return false;
	c->flags = ts_stream_flags(f);
	c->t0 = ts_ticks();
	return true;
}

/* The bytes a call moved on a stream over a socket, to the connection's HTTP
 * sniffer (when c->http), in the program's order, which stdio keeps: what
 * glibc reads and writes for the stream is seen by no wrapper. dir:
 * TS_HTTP_IN or TS_HTTP_OUT (bytes ungetc gave back are not read twice:
 * see ungetc). A read that met the end of the stream (f's end-of-file flag
 * newly set) then tells the sniffer the peer closed. No traceparent is added
 * to what goes through a stream. */
static inline void ts_stream_http(const struct ts_stream_call *c, FILE *f, int dir,
				  const void *buf, int64_t n)
{
	if (__builtin_expect(!c->http, 1))
		return;
	uint64_t st = ts_fd_state(c->fd), t1 = ts_ticks();
	if (n > 0)
		ts_http_bytes(c->t, c->fd, st, TS_HTTP_SOCKET, dir, buf, n, c->t0, t1);
	if (dir == TS_HTTP_IN && (ts_stream_flags(f) & _IO_EOF_SEEN) && !(c->flags & _IO_EOF_SEEN))
		ts_http_bytes(c->t, c->fd, st, TS_HTTP_SOCKET, dir, NULL, 0, c->t0, t1);
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
	if (c->span)
		ts_record_stream_io(c->t, op, c->fd, requested, done, err, flags, c->t0, t1);
}

#endif
