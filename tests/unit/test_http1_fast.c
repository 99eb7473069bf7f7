/* Lines read whole (src/record/http1_fast.c) against the byte-wise reading
 * (http1.c): a stream cut anywhere, or fed a byte at a time, gives the same
 * events at the same places and leaves the same state, where the two
 * readings meet: a line cut after its name, at the colon, between CR and
 * LF; a kept value over its limit; a fold after a kept header; a CR alone;
 * a head that reaches TS_HTTP1_HEAD_MAX inside a whole line. */
#include "check_main.h"
#include "http1_log.h"

#include <stdlib.h>

/* An event where it is in its direction's bytes (SIZE_MAX: not known, as
 * when it was in an earlier call). */
struct place {
	unsigned kind, stop;
	size_t at, head_end;
};

struct outcome {
	struct place ev[64];
	size_t n;
	struct ts_http1_conn c;   /* the state after the last call, but for its offsets */
};

static void feed_placed(struct outcome *o, int dir, const char *p, size_t len, size_t base)
{
	struct ts_http1_event ev[TS_HTTP1_MIN_EV];
	for (size_t pos = 0; pos < len;) {
		unsigned k = ts_http1_feed(&o->c, (enum ts_http1_dir)dir, p, len, &pos, ev, TS_HTTP1_MIN_EV);
		for (unsigned i = 0; i < k; i++) {
			ck_assert_uint_lt(o->n, 64);
			o->ev[o->n++] = (struct place){ev[i].kind, ev[i].stop,
						       ev[i].at == TS_HTTP1_NOT_HERE ? SIZE_MAX : base + ev[i].at,
						       ev[i].head_end == TS_HTTP1_NOT_HERE ? SIZE_MAX : base + ev[i].head_end};
		}
	}
}

static unsigned flags;   /* ts_http1_init's */

/* The script fed in calls of `step` bytes (0: each piece whole), piece
 * `cut` (if any) in two calls at `at`. */
static void run(struct outcome *o, const struct h1_piece *p, size_t n, size_t step, size_t cut, size_t at)
{
	memset(o, 0, sizeof *o);
	ts_http1_init(&o->c, flags);
	size_t base[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		size_t len = p[i].len, size = step ? step : i == cut ? at : len;
		for (size_t off = 0; off < len; off += size, size = step ? step : len - off)
			feed_placed(o, p[i].dir, p[i].data + off, size < len - off ? size : len - off,
				    base[p[i].dir] + off);
		base[p[i].dir] += len;
	}
	for (int d = 0; d < 2; d++)
		o->c.side[d].begin_at = o->c.side[d].cr_at = 0;
}

static bool same_place(size_t a, size_t b)
{
	return a == b || a == SIZE_MAX || b == SIZE_MAX;
}

static void same_outcome(const struct outcome *a, const struct outcome *b, const char *how)
{
	ck_assert_msg(a->n == b->n, "%s: %zu events, not %zu", how, b->n, a->n);
	for (size_t i = 0; i < a->n; i++)
		ck_assert_msg(a->ev[i].kind == b->ev[i].kind && a->ev[i].stop == b->ev[i].stop &&
				      same_place(a->ev[i].at, b->ev[i].at) &&
				      same_place(a->ev[i].head_end, b->ev[i].head_end),
			      "%s: event %zu is kind %u at %zu (head_end %zu), not kind %u at %zu (%zu)", how, i,
			      b->ev[i].kind, b->ev[i].at, b->ev[i].head_end, a->ev[i].kind, a->ev[i].at,
			      a->ev[i].head_end);
	if (ts_http1_is_off(&a->c))   /* what stopped it may have left the rest as it was */
		ck_assert_msg(ts_http1_is_off(&b->c) && a->c.side[0].st == b->c.side[0].st &&
				      a->c.side[1].st == b->c.side[1].st, "%s: another state", how);
	else
		ck_assert_msg(!memcmp(&a->c, &b->c, sizeof a->c), "%s: another state", how);
}

/* Whole pieces, a byte at a time, and each piece cut in two at every point. */
static void same_however_cut(const struct h1_piece *p, size_t n)
{
	static struct outcome whole, other;
	run(&whole, p, n, 0, SIZE_MAX, 0);
	run(&other, p, n, 1, SIZE_MAX, 0);
	same_outcome(&whole, &other, "byte by byte");
	for (size_t i = 0; i < n; i++)
		for (size_t at = 1; at < p[i].len; at++) {
			char how[64];
			snprintf(how, sizeof how, "piece %zu cut at %zu", i, at);
			run(&other, p, n, 0, i, at);
			same_outcome(&whole, &other, how);
		}
}

#define H16 "hhhhhhhhhhhhhhhh"
#define H128 H16 H16 H16 H16 H16 H16 H16 H16   /* TS_HTTP1_HOST_MAX */

START_TEST(lines_cut_anywhere)
{
	static const struct h1_piece p[] = {
		/* Kept values over their limits, folds after kept headers (one
		 * with a CR before its blank), a CR alone, lists with long tokens. */
		H1_OUT("GET /a/b?q=1&r HTTP/1.1\r\n"
		       "Host: " H128 "hhhhhhhhhhhhhhhh  \r\n"
		       "User-Agent: agent/1\r\n\tfolded \r\n\r more\r\n"
		       "X-Skip: not kept\r\n\rStray: a CR alone\r\n"
		       "Connection: keep-alive, A-Token-Longer-Than-Eighteen-Bytes ; q=1, Close\r\n"
		       "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-and-more-than-64\r\n"
		       "TraceState: a=1\r\ntracestate:\tb=2 \r\nContent-Length: 3\r\n\r\nabc"),
		H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nX-A: b\r\n\r\nok"),
		/* Bare LFs, a line with no colon, a name that is not a token, and
		 * a fold after a list. */
		H1_OUT("POST / HTTP/1.0\nHost : no\nno colon\nConnection: a,\n b\nContent-Length: 0\n\n"),
		H1_IN("HTTP/1.0 204\n\n"),
	};
	same_however_cut(p, 4);
	ck_assert_str_eq(H1_RUN(p, 0),
			 "> begin 0\n"
			 "> req 0 GET /a/b?q=REDACTED&r v11 host=" H128 " ua=agent/1 folded  more "
			 "tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-and-more ts=a=1,b=2 len=3 close "
			 "keep-alive cut-host cut-tp\n"
			 "> end 0\n"
			 "< begin 0\n< resp 0 200 v11 len=2 close\n< end 0\n"
			 "> begin 1\n> req 1 POST / v10 len=0\n> end 1\n"
			 "< begin 1\n< resp 1 204 v10\n< end 1\n");
}
END_TEST

START_TEST(lines_cut_where_they_meet)
{
	/* After a name, at its colon, before and after a value's CR, between
	 * the CR and LF of the head's end: each call ends where a line is
	 * not whole. */
	static const struct h1_piece p[] = {
		H1_OUT("GET / HTTP/1.1\r\nHost"), H1_OUT(": h\r"), H1_OUT("\nUser-Agent:"), H1_OUT(" u"),
		H1_OUT("\r\nConnection: close\r\n"), H1_OUT(" folded\r\n\r"), H1_OUT("\n"),
		H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 1\r"), H1_IN("\n\r\nx"),
	};
	same_however_cut(p, 9);
	ck_assert_str_eq(h1_run_with(0, p, 9, 0, 0, 8, 1),
			 "> begin 0 @0\n> req 0 GET / v11 host=h ua=u close @1 end@-1\n> end 0 @1\n"
			 "< begin 0 @0\n< resp 0 200 v11 len=1 @3 end@1\n< end 0 @4\n");
}
END_TEST

/* A request whose head is `size` bytes, its one header (name: value) made
 * as long as it takes. */
static size_t head_of(char *buf, size_t size, const char *name)
{
	static const char line[] = "GET / HTTP/1.1\r\n";
	size_t fixed = strlen(line) + strlen(name) + 2 + 2 + 2;   /* ": ", the line's CRLF, the last */
	ck_assert_uint_gt(size, fixed);
	int n = sprintf(buf, "%s%s: ", line, name);
	memset(buf + n, 'v', size - fixed);
	memcpy(buf + n + size - fixed, "\r\n\r\n", 5);
	ck_assert_uint_eq(strlen(buf), size);
	return size;
}

START_TEST(head_limit_inside_a_line)
{
	static char buf[TS_HTTP1_HEAD_MAX + 64];
	static const char *const names[] = {"X-Filler", "User-Agent"};   /* skipped, kept */
	for (size_t i = 0; i < 2; i++) {
		/* Exactly the limit: read whole. */
		struct h1_piece p = {TS_HTTP1_OUT, buf, head_of(buf, TS_HTTP1_HEAD_MAX, names[i])};
		const char *log = h1_run_with(0, &p, 1, 0, 0, 8, 1);
		ck_assert_msg(strstr(log, "> req 0 GET / v11") && strstr(log, " @16384 end@16382 whole\n"), "%s", log);
		same_however_cut(&p, 1);
		/* More: the byte over the limit is where it stops, at the end
		 * of the head, of the header's line, or in its value. */
		static const size_t overs[] = {1, 2, 3, 40};
		for (size_t k = 0; k < 4; k++) {
			size_t over = overs[k];
			size_t len = head_of(buf, TS_HTTP1_HEAD_MAX + over, names[i]);
			p = (struct h1_piece){TS_HTTP1_OUT, buf, len};
			/* The request's head event first, with what was read. */
			const char *log = h1_run_with(0, &p, 1, 0, 0, 8, 1);
			static const char end[] = " @16385 end@-1\n> stopped 0 too-large @16385\n";
			ck_assert_msg(!strncmp(log, "> begin 0 @0\n> req 0 GET / v11", 30) &&
				      strlen(log) > sizeof end && !strcmp(log + strlen(log) - (sizeof end - 1), end),
				      "%s", log);
			struct outcome whole, bytes;
			run(&whole, &p, 1, 0, SIZE_MAX, 0);
			run(&bytes, &p, 1, 1, SIZE_MAX, 0);
			same_outcome(&whole, &bytes, "byte by byte");
		}
	}
}
END_TEST

START_TEST(targets_cut_anywhere)
{
	static const struct h1_piece p[] = {
		H1_OUT("GET /p/q?a=1&b&=c&d=e=f&&g HTTP/1.1\r\n\r\n"),
		H1_OUT("GET http://u:pw@h:1/x?y=z HTTP/1.1\r\n\r\n"),
		H1_OUT("OPTIONS * HTTP/1.1\r\n\r\n"), H1_OUT("CONNECT h:443 HTTP/1.1\r\n\r\n"),
		H1_IN("HTTP/1.1 200 OK\r\n\r\n"), H1_IN("HTTP/1.1 200 OK\r\n\r\n"),
		H1_IN("HTTP/1.1 200 OK\r\n\r\n"), H1_IN("HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n"),
	};
	for (flags = 0; flags <= TS_HTTP1_QUERY_RAW; flags++)
		same_however_cut(p, 8);
	flags = 0;
	/* Paths and queries over their limits. */
	static char text[2048];
	char *t = text + sprintf(text, "GET /");
	memset(t, 'p', 600);
	t += 600;
	*t++ = '?';
	for (int i = 0; i < 60; i++)
		t += sprintf(t, "k%d=v&", i);
	strcpy(t, " HTTP/1.1\r\n\r\n");
	struct h1_piece q = {TS_HTTP1_OUT, text, strlen(text)};
	for (flags = 0; flags <= TS_HTTP1_QUERY_RAW; flags++) {
		static struct outcome whole, bytes;
		run(&whole, &q, 1, 0, SIZE_MAX, 0);
		run(&bytes, &q, 1, 1, SIZE_MAX, 0);
		same_outcome(&whole, &bytes, "byte by byte");
		ck_assert_uint_eq(whole.c.req.path_len, TS_HTTP1_PATH_MAX);
		ck_assert(whole.c.side[0].flags & TS_HTTP1_F_PATH_CUT);
		ck_assert(whole.c.side[0].flags & TS_HTTP1_F_QUERY_CUT);
	}
	flags = 0;
}
END_TEST

START_TEST(stops_inside_whole_lines)
{
	/* What stops the tracking stops it at the same byte, whole or not. */
	static const struct h1_piece lengths[] = {H1_OUT("POST / HTTP/1.1\r\nContent-Length: 1x2\r\n\r\n")};
	static const struct h1_piece two[] = {H1_OUT("POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 2\r\nA: b\r\n\r\n")};
	static const struct h1_piece empty[] = {H1_OUT("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n")};
	static const struct h1_piece te[] = {H1_OUT("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")};
	static const struct h1_piece up[] = {H1_OUT("GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"),
					     H1_IN("HTTP/1.1 101 Switching\r\nUpgrade: h2c\r\n\r\n\x00\x01")};
	static const struct h1_piece chunk[] = {H1_OUT("GET / HTTP/1.1\n\n"),
						H1_IN("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\n")};
	same_however_cut(lengths, 1);
	same_however_cut(two, 1);
	same_however_cut(empty, 1);
	same_however_cut(te, 1);
	same_however_cut(up, 2);
	same_however_cut(chunk, 2);
	ck_assert_str_eq(h1_run_with(0, lengths, 1, 0, 0, 8, 1), "> begin 0 @0\n> stopped 0 bad-length @35\n");
	ck_assert_str_eq(h1_run_with(0, two, 1, 0, 0, 8, 1), "> begin 0 @0\n> stopped 0 bad-length @56\n");
	ck_assert_str_eq(h1_run_with(0, empty, 1, 0, 0, 8, 1), "> begin 0 @0\n> stopped 0 bad-length @36\n");
}
END_TEST

TS_CHECK_SUITE("http1_fast", lines_cut_anywhere, lines_cut_where_they_meet, head_limit_inside_a_line,
	       targets_cut_anywhere, stops_inside_whole_lines)
