/* The fields the HTTP/1 sniffer keeps from a request head
 * (src/record/http1_fields.c): method, path and redacted query, Host,
 * User-Agent, traceparent and tracestate, their limits, and where the head's
 * last line begins (where a header line can be inserted). */
#include "check_main.h"
#include "http1_log.h"

#include <stdlib.h>

/* The log of one request sent whole (flags for ts_http1_init). */
static const char *request(unsigned flags, const char *text)
{
	struct h1_piece p = {TS_HTTP1_OUT, text, strlen(text)};
	return h1_run_with(flags, &p, 1, 0, 0, 8, 0);
}

START_TEST(query_values_are_redacted)
{
	ck_assert_str_eq(request(0, "GET /s?a=1&b=&c&d=x=y&=z&&e HTTP/1.1\r\n\r\n"),
			 "> begin 0\n> req 0 GET /s?a=REDACTED&b=REDACTED&c&d=REDACTED&=REDACTED&&e v11\n"
			 "> end 0\n");
	ck_assert_str_eq(request(TS_HTTP1_QUERY_RAW, "GET /s?a=1&b=&c HTTP/1.1\r\n\r\n"),
			 "> begin 0\n> req 0 GET /s?a=1&b=&c v11\n> end 0\n");
	/* An empty query is still a query; a path may be empty before it. */
	ck_assert_str_eq(request(0, "GET /? HTTP/1.1\r\n\r\n"), "> begin 0\n> req 0 GET /? v11\n> end 0\n");
	ck_assert_str_eq(request(0, "OPTIONS * HTTP/1.1\r\n\r\n"), "> begin 0\n> req 0 OPTIONS * v11\n> end 0\n");
	/* The user and password of an absolute URL (to a proxy) are never kept. */
	ck_assert_str_eq(request(0, "GET http://bob:s3cret@h:80/p?k=v HTTP/1.1\r\n\r\n"),
			 "> begin 0\n> req 0 GET http://REDACTED:REDACTED@h:80/p?k=REDACTED v11\n> end 0\n");
	ck_assert_str_eq(request(0, "GET https://a@b@c/x@y HTTP/1.1\r\n\r\n"),
			 "> begin 0\n> req 0 GET https://REDACTED:REDACTED@c/x@y v11\n> end 0\n");
	/* Whatever the scheme looks like (found by fuzzing). */
	ck_assert_str_eq(request(0, "GET h\xf4tp://bo:pw@x/ HTTP/1.1\r\n\r\n"),
			 "> begin 0\n> req 0 GET h\xf4tp://REDACTED:REDACTED@x/ v11\n> end 0\n");
	ck_assert_str_eq(request(0, "GET ://bo:pw@x/ HTTP/1.1\r\n\r\n"),
			 "> begin 0\n> req 0 GET ://REDACTED:REDACTED@x/ v11\n> end 0\n");
}
END_TEST

START_TEST(long_fields_are_cut)
{
	char text[4096], want[4096];
	char path[700], ua[300], query[400];
	memset(path, 'p', sizeof path);
	path[0] = '/';
	path[sizeof path - 1] = 0;
	memset(ua, 'u', sizeof ua);
	ua[sizeof ua - 1] = 0;
	for (size_t i = 0; i < sizeof query - 1; i += 4)
		memcpy(query + i, "k=v&", 4);
	query[sizeof query - 1] = 0;
	snprintf(text, sizeof text, "GET %s?%s HTTP/1.1\r\nUser-Agent: %s\r\n\r\n", path, query, ua);
	/* Query: whole "k=REDACTED&" (11) up to 256, never part of REDACTED. */
	char q[300] = "";
	while (strlen(q) + 11 <= 253)
		strcat(q, "k=REDACTED&");
	strcat(q, "k");
	snprintf(want, sizeof want, "> begin 0\n> req 0 GET %.512s?%s v11 ua=%.128s cut-path cut-query cut-ua\n> end 0\n",
		 path, q, ua);
	ck_assert_str_eq(request(0, text), want);
	ck_assert_uint_eq(strlen(q), 254);

	/* Exactly at the limits: nothing cut. */
	path[TS_HTTP1_PATH_MAX] = 0;
	ua[TS_HTTP1_USER_AGENT_MAX] = 0;
	snprintf(text, sizeof text, "GET %s HTTP/1.1\r\nUser-Agent: %s\r\n\r\n", path, ua);
	snprintf(want, sizeof want, "> begin 0\n> req 0 GET %s v11 ua=%s\n> end 0\n", path, ua);
	ck_assert_str_eq(request(0, text), want);
}
END_TEST

START_TEST(trace_context_headers)
{
	ck_assert_str_eq(request(0, "GET / HTTP/1.1\r\nTraceParent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"
				    "00f067aa0ba902b7-01 \r\ntracestate:rojo=00f067aa0ba902b7\r\n"
				    "X-Other: 1\r\nTRACESTATE: congo=t61rcWkgMzE\r\n\r\n"),
			 "> begin 0\n> req 0 GET / v11 tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 "
			 "ts=rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\n> end 0\n");
	/* A tracestate too long for its field keeps whole members. */
	char text[2048], ts[600] = "";
	for (int i = 0; i < 30; i++)
		sprintf(ts + strlen(ts), "%svendor%02d=value%02d", i ? "," : "", i, i);
	snprintf(text, sizeof text, "GET / HTTP/1.1\r\ntracestate: %s\r\n\r\n", ts);
	const char *log = request(0, text);
	const char *got = strstr(log, "ts=");
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(strstr(log, "cut-ts"));
	size_t n = strcspn(got + 3, " \n");
	ck_assert_uint_le(n, TS_HTTP1_TRACESTATE_MAX);
	ck_assert_uint_eq(n, 15 * 17 - 1);   /* 15 members of 16 bytes and their commas */
	ck_assert(!strncmp(got + 3, ts, n) && ts[n] == ',');
	/* A second traceparent is not kept, nor a second Host. */
	ck_assert_str_eq(request(0, "GET / HTTP/1.1\r\ntraceparent: a\r\nHost: h1\r\ntraceparent: b\r\nHost: h2\r\n\r\n"),
			 "> begin 0\n> req 0 GET / v11 host=h1 tp=a\n> end 0\n");
}
END_TEST

START_TEST(methods)
{
	static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
	for (unsigned i = 0; i < 9; i++) {
		char text[64], want[128];
		snprintf(text, sizeof text, "%s h:1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", known[i]);
		snprintf(want, sizeof want, "> begin 0\n> req 0 %s h:1 v11 len=0\n> end 0\n", known[i]);
		ck_assert_str_eq(request(0, text), want);
		ck_assert_str_eq(ts_http1_method_name(i + 1), known[i]);
	}
	ck_assert_str_eq(request(0, "PROPFIND /d HTTP/1.1\r\n\r\n"), "> begin 0\n> req 0 _OTHER(PROPFIND) /d v11\n> end 0\n");
	ck_assert_str_eq(request(0, "get / HTTP/1.0\r\n\r\n"), "> begin 0\n> req 0 _OTHER(get) / v10\n> end 0\n");
	ck_assert_str_eq(request(0, "ABCDEFGHIJKLMNOPQRST / HTTP/1.1\n\n"),
			 "> begin 0\n> req 0 _OTHER(ABCDEFGHIJKLMNOPQRST) / v11\n> end 0\n");
	ck_assert_str_eq(request(0, "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\n\n"), "");   /* 21: not a method */
	ck_assert_str_eq(ts_http1_method_name(99), "_OTHER");
}
END_TEST

START_TEST(values_are_trimmed_and_folded)
{
	ck_assert_str_eq(request(0, "GET / HTTP/1.1\nHost:\t h \t\nUser-Agent: a\r\n \t b\r\n\tc\n"
				    "Content-Length: 1\r\n\r\nx"),
			 "> begin 0\n> req 0 GET / v11 host=h ua=a \t b c len=1\n> end 0\n");
	/* Control bytes read as '?'; a line before any header that begins
	 * with a blank, a line with no colon and odd names are ignored. */
	ck_assert_str_eq(request(0, "GET / HTTP/1.1\r\n Host: no\r\nnot a header\r\nHost : no\r\n"
				    "Host: a\x01\x7f" "b\r\n\r\n"),
			 "> begin 0\n> req 0 GET / v11 host=a??b\n> end 0\n");
	/* Connection tokens, in lists, any case. */
	ck_assert_str_eq(request(0, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nconnection: foo, CLOSE ;x\r\n\r\n"),
			 "> begin 0\n> req 0 GET / v10 close keep-alive\n> end 0\n");
}
END_TEST

START_TEST(where_the_head_ends)
{
	static const char text[] = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\n\n";
	struct h1_piece p = {TS_HTTP1_OUT, text, sizeof text - 1};
	ck_assert_str_eq(h1_run_with(0, &p, 1, 0, 0, 8, 1),
			 "> begin 0 @0\n> req 0 POST /p v11 host=h len=2 @48 end@46 whole\n> end 0 @50\n"
			 "> begin 1 @50\n> req 1 GET / v11 @66 end@65 whole\n> end 1 @66\n");
	ck_assert(!memcmp(text + 46, "\r\nab", 4));

	/* Insert a header line there: the request is the same plus one header. */
	struct ts_http1_conn c;
	struct ts_http1_event ev[8];
	ts_http1_init(&c, 0);
	size_t pos = 0;
	unsigned n = ts_http1_feed(&c, TS_HTTP1_OUT, text, sizeof text - 1, &pos, ev, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(pos, 48);   /* stopped after the head: its fields are valid */
	ck_assert_str_eq(ev[1].req->host, "h");
	char edited[256];
	size_t at = ev[1].head_end;
	snprintf(edited, sizeof edited, "%.*stracestate: x=1\r\n%s", (int)at, text, text + at);
	p = (struct h1_piece){TS_HTTP1_OUT, edited, strlen(edited)};
	ck_assert_str_eq(h1_run_with(0, &p, 1, 0, 0, 8, 0),
			 "> begin 0\n> req 0 POST /p v11 host=h ts=x=1 len=2\n> end 0\n"
			 "> begin 1\n> req 1 GET / v11\n> end 1\n");

	/* The last line's CR in one call and its LF in the next: not here. */
	static const struct h1_piece split[] = {H1_OUT("GET / HTTP/1.1\r\n\r"), H1_OUT("\n")};
	ck_assert_str_eq(h1_run_with(0, split, 2, 0, 0, 8, 1),
			 "> begin 0 @0\n> req 0 GET / v11 @1 end@-1\n> end 0 @1\n");
	static const struct h1_piece lf[] = {H1_OUT("GET / HTTP/1.1\r\nA: b\r\n"), H1_OUT("\n")};
	ck_assert_str_eq(h1_run_with(0, lf, 2, 0, 0, 8, 1),
			 "> begin 0 @0\n> req 0 GET / v11 @1 end@0\n> end 0 @1\n");
}
END_TEST

START_TEST(random_requests_never_leak)
{
	/* Requests whose other headers and body carry a marker: it never shows
	 * in any kept field, however the request is cut. */
	srand(7);
	for (int round = 0; round < 300; round++) {
		char text[1024];
		int n = snprintf(text, sizeof text,
				 "POST /p%d?q=MARK%d HTTP/1.1\r\nCookie: MARK\r\n%sHost: h%d\r\nX-MARK: MARK\r\n"
				 "Content-Length: 12\r\n\r\nMARKMARKMARK",
				 round, round, round % 2 ? " folded: MARK\r\n" : "", round);
		struct h1_piece p = {TS_HTTP1_OUT, text, (size_t)n};
		const char *log = h1_run_with(0, &p, 1, (size_t)(rand() % 9), 0, TS_HTTP1_MIN_EV, 0);
		ck_assert_msg(!strstr(log, "MARK"), "%s", log);
		ck_assert_ptr_nonnull(strstr(log, "> end 0\n"));
	}
}
END_TEST

TS_CHECK_SUITE("http1_fields", query_values_are_redacted, long_fields_are_cut, trace_context_headers, methods,
	       values_are_trimmed_and_folded, where_the_head_ends, random_requests_never_leak)
