/* Test helpers for the HTTP/1 sniffer (src/record/http1.h): feed a script of
 * (direction, bytes) pieces to one connection, the way a wrapper would, and
 * write its events as text, one line each, so that a test compares whole
 * event sequences and the same stream split another way gives the same text. */
#ifndef TS_HTTP1_LOG_H
#define TS_HTTP1_LOG_H

#include "http1.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct h1_piece {
	int dir;
	const char *data;
	size_t len;
};
#define H1_OUT(s) {TS_HTTP1_OUT, s, sizeof s - 1}
#define H1_IN(s) {TS_HTTP1_IN, s, sizeof s - 1}

static char h1_log[1 << 16];

static void h1_add(const char *fmt, ...)
{
	size_t n = strlen(h1_log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h1_log + n, sizeof h1_log - n, fmt, ap);
	va_end(ap);
}

static void h1_flags(uint32_t f)
{
	static const char *const names[] = {"len", "chunked", "close", "keep-alive", "upgrade", "interim",
					    "by-close"};
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		if ((f & (1u << i)) && i != 0)
			h1_add(" %s", names[i]);
	static const char *const cuts[] = {"path", "query", "host", "ua", "tp", "ts"};
	for (unsigned i = 0; i < 6; i++)
		if (f & (TS_HTTP1_F_PATH_CUT << i))
			h1_add(" cut-%s", cuts[i]);
}

static const char *const h1_stops[] = {"?", "upgrade", "tunnel", "malformed", "too-large", "bad-length",
				       "bad-chunk", "pipeline-full", "no-request", "after-upgrade",
				       "unseen"};

/* One line for event e (offsets too when `offsets`). */
static void h1_describe(const struct ts_http1_event *e, int offsets)
{
	char d = e->dir == TS_HTTP1_OUT ? '>' : '<';
	const struct ts_http1_request *r = e->req;
	switch (e->kind) {
	case TS_HTTP1_BEGIN:
		h1_add("%c begin %u", d, e->seq);
		break;
	case TS_HTTP1_REQUEST_HEAD:
		ck_assert_ptr_nonnull(r);
		h1_add("%c req %u %s", d, e->seq, ts_http1_method_name(e->method));
		if (e->method == TS_HTTP1_METHOD_OTHER)
			h1_add("(%s)", r->method);
		h1_add(" %s", r->path);
		if (e->flags & TS_HTTP1_F_QUERY)
			h1_add("?%s", r->query);
		h1_add(" v%u", e->version);
		if (e->flags & TS_HTTP1_F_HOST)
			h1_add(" host=%s", r->host);
		if (e->flags & TS_HTTP1_F_USER_AGENT)
			h1_add(" ua=%s", r->user_agent);
		if (e->flags & TS_HTTP1_F_TRACEPARENT)
			h1_add(" tp=%s", r->traceparent);
		if (e->flags & TS_HTTP1_F_TRACESTATE)
			h1_add(" ts=%s", r->tracestate);
		ck_assert_uint_eq(strlen(r->path), r->path_len);
		ck_assert_uint_eq(strlen(r->query), r->query_len);
		ck_assert_uint_eq(strlen(r->host), r->host_len);
		break;
	case TS_HTTP1_RESPONSE_HEAD:
		h1_add("%c resp %u %u v%u", d, e->seq, e->status, e->version);
		break;
	case TS_HTTP1_END:
		h1_add("%c end %u", d, e->seq);
		break;
	case TS_HTTP1_ABANDONED:
		h1_add("%c abandoned %u", d, e->seq);
		break;
	case TS_HTTP1_STOPPED:
		h1_add("%c stopped %u %s", d, e->seq, h1_stops[e->stop < 11 ? e->stop : 0]);
		break;
	default:
		ck_abort_msg("event kind %u", e->kind);
	}
	if (e->kind == TS_HTTP1_REQUEST_HEAD || e->kind == TS_HTTP1_RESPONSE_HEAD) {
		if (e->flags & TS_HTTP1_F_LENGTH)
			h1_add(" len=%llu", (unsigned long long)e->length);
		h1_flags(e->flags & ~TS_HTTP1_F_BY_CLOSE);
	} else if (e->kind == TS_HTTP1_END) {
		h1_flags(e->flags & (TS_HTTP1_F_BY_CLOSE | TS_HTTP1_F_INTERIM));
	}
	if (offsets) {
		h1_add(" @%zd", e->at == TS_HTTP1_NOT_HERE ? (ssize_t)-1 : (ssize_t)e->at);
		if (e->kind == TS_HTTP1_REQUEST_HEAD || e->kind == TS_HTTP1_RESPONSE_HEAD)
			h1_add(" end@%zd%s", e->head_end == TS_HTTP1_NOT_HERE ? (ssize_t)-1 : (ssize_t)e->head_end,
			       e->flags & TS_HTTP1_F_WHOLE_HEAD ? " whole" : "");
	}
	h1_add("\n");
}

/* Feeds one buffer the way a caller does, checking the offsets. */
static void h1_feed(struct ts_http1_conn *c, int dir, const char *buf, size_t len, unsigned max_ev,
		    int offsets)
{
	struct ts_http1_event ev[16];
	ck_assert_uint_le(max_ev, 16);
	for (size_t pos = 0; pos < len;) {
		size_t before = pos;
		unsigned n = ts_http1_feed(c, (enum ts_http1_dir)dir, buf, len, &pos, ev, max_ev);
		ck_assert_uint_le(n, max_ev);
		ck_assert_uint_gt(pos, before);
		ck_assert_uint_le(pos, len);
		for (unsigned i = 0; i < n; i++) {
			if (ev[i].at != TS_HTTP1_NOT_HERE)
				ck_assert_uint_le(ev[i].at, pos);
			h1_describe(&ev[i], offsets);
		}
	}
}

/* The events of the script, each piece fed in slices of `chunk` bytes (0:
 * whole), then closed when `close`. */
static const char *h1_run_with(unsigned flags, const struct h1_piece *p, size_t n, size_t chunk,
			       int close, unsigned max_ev, int offsets)
{
	struct ts_http1_conn c;
	ts_http1_init(&c, flags);
	h1_log[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t step = chunk ? chunk : p[i].len;
		for (size_t off = 0; off < p[i].len; off += step)
			h1_feed(&c, p[i].dir, p[i].data + off,
				p[i].len - off < step ? p[i].len - off : step, max_ev, offsets);
	}
	if (close) {
		struct ts_http1_event ev[TS_HTTP1_MIN_EV];
		unsigned k = ts_http1_close(&c, ev, TS_HTTP1_MIN_EV);
		for (unsigned i = 0; i < k; i++)
			h1_describe(&ev[i], offsets);
		h1_add("closed\n");
	}
	ck_assert(ts_http1_is_off(&c) || !close);
	return h1_log;
}

static inline const char *h1_run(const struct h1_piece *p, size_t n, int close)
{
	return h1_run_with(0, p, n, 0, close, 8, 0);
}

#define H1_RUN(pieces, close) h1_run(pieces, sizeof pieces / sizeof *pieces, close)

#endif
