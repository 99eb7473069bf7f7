/* The HTTP/1 sniffer's framing (src/record/http1.c, http1_msg.c): which side is the
 * client, where messages begin and end, pairing with pipelining, interim
 * responses, chunked and close-delimited bodies, what stops the tracking, and
 * that the events do not depend on how the stream is split into calls. */
#include "check_main.h"
#include "http1_log.h"

START_TEST(get_keep_alive_then_another_request)
{
	static const struct h1_piece p[] = {
		H1_OUT("GET /a?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\n\r\n"),
		H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"),
		H1_OUT("GET /b HTTP/1.1\r\nhost: example.com\r\n\r\n"),
		H1_IN("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"),
	};
	ck_assert_str_eq(H1_RUN(p, 1),
			 "> begin 0\n"
			 "> req 0 GET /a?x=REDACTED v11 host=example.com ua=curl/8.0\n"
			 "> end 0\n"
			 "< begin 0\n"
			 "< resp 0 200 v11 len=5 keep-alive\n"
			 "< end 0\n"
			 "> begin 1\n"
			 "> req 1 GET /b v11 host=example.com\n"
			 "> end 1\n"
			 "< begin 1\n"
			 "< resp 1 404 v11 len=9\n"
			 "< end 1\n"
			 "closed\n");
}
END_TEST

START_TEST(responses_without_body)
{
	/* HEAD, 204 and 304 have no body whatever their length says. */
	static const struct h1_piece p[] = {
		H1_OUT("HEAD /big HTTP/1.1\r\n\r\n"),
		H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
		H1_OUT("DELETE /x HTTP/1.1\r\n\r\n"),
		H1_IN("HTTP/1.1 204 No Content\r\n\r\n"),
		H1_OUT("GET /c HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
		H1_IN("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"),
	};
	ck_assert_str_eq(H1_RUN(p, 1),
			 "> begin 0\n> req 0 HEAD /big v11\n> end 0\n"
			 "< begin 0\n< resp 0 200 v11 len=1000\n< end 0\n"
			 "> begin 1\n> req 1 DELETE /x v11\n> end 1\n"
			 "< begin 1\n< resp 1 204 v11\n< end 1\n"
			 "> begin 2\n> req 2 GET /c v11 len=0\n> end 2\n"
			 "< begin 2\n< resp 2 304 v11 len=7\n< end 2\n"
			 "closed\n");
}
END_TEST

START_TEST(continue_then_final_response)
{
	static const struct h1_piece p[] = {
		H1_OUT("POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
		H1_IN("HTTP/1.1 100 Continue\r\n\r\n"),
		H1_OUT("body"),
		H1_IN("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 201 Created\r\n"
		      "Content-Length: 2\r\n\r\nok"),
	};
	ck_assert_str_eq(H1_RUN(p, 0),
			 "> begin 0\n> req 0 POST /up v11 len=4\n"
			 "< begin 0\n< resp 0 100 v11 interim\n< end 0 interim\n"
			 "> end 0\n"
			 "< begin 0\n< resp 0 103 v11 interim\n< end 0 interim\n"
			 "< begin 0\n< resp 0 201 v11 len=2\n< end 0\n");
}
END_TEST

START_TEST(chunked_with_extensions_and_trailers)
{
	static const struct h1_piece p[] = {
		H1_OUT("POST /c HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 3\r\n\r\n"
		       "3\r\nabc\r\n0\r\n\r\n"),
		H1_IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "5;name=value;x=\"q\"\r\nhello\r\nA \t;e\r\n0123456789\r\n"
		      "0;last\r\nExpires: never\r\nX-Sum: 1\r\n\r\n"),
		H1_OUT("GET / HTTP/1.1\r\n\r\n"),
	};
	ck_assert_str_eq(H1_RUN(p, 0),
			 "> begin 0\n> req 0 POST /c v11 chunked\n> end 0\n"
			 "< begin 0\n< resp 0 200 v11 chunked\n< end 0\n"
			 "> begin 1\n> req 1 GET / v11\n> end 1\n");
}
END_TEST

START_TEST(pipelining)
{
	static const struct h1_piece p[] = {
		H1_OUT("GET /1 HTTP/1.1\r\n\r\nHEAD /2 HTTP/1.1\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"),
		H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
		      "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"),
	};
	const char *want = "> begin 0\n> req 0 GET /1 v11\n> end 0\n"
			   "> begin 1\n> req 1 HEAD /2 v11\n> end 1\n"
			   "> begin 2\n> req 2 POST /3 v11 len=2\n> end 2\n"
			   "< begin 0\n< resp 0 200 v11 len=1\n< end 0\n"
			   "< begin 1\n< resp 1 200 v11 len=50\n< end 1\n"
			   "< begin 2\n< resp 2 500 v11 len=0\n< end 2\n";
	ck_assert_str_eq(H1_RUN(p, 0), want);
	/* The fewest event slots a call may have lose none. */
	ck_assert_str_eq(h1_run_with(0, p, 2, 0, 0, TS_HTTP1_MIN_EV, 0), want);
}
END_TEST

START_TEST(body_until_close)
{
	static const struct h1_piece p[] = {
		H1_OUT("GET /old HTTP/1.0\r\n\r\n"),
		H1_IN("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\n\r\nHTTP/1.1 200 OK\r\n"),
	};
	ck_assert_str_eq(H1_RUN(p, 1), "> begin 0\n> req 0 GET /old v10\n> end 0\n"
				       "< begin 0\n< resp 0 200 v10\n"
				       "< end 0 by-close\nclosed\n");
	/* A message cut short, each way. */
	static const struct h1_piece q[] = {
		H1_OUT("PUT /f HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"),
	};
	ck_assert_str_eq(H1_RUN(q, 1), "> begin 0\n> req 0 PUT /f v11 len=10\n> abandoned 0\nclosed\n");
	static const struct h1_piece r[] = {
		H1_OUT("GET / HTTP/1.1\r\n\r\n"),
		H1_IN("HTTP/1.1 200 OK\r\nContent-"),
	};
	ck_assert_str_eq(H1_RUN(r, 1), "> begin 0\n> req 0 GET / v11\n> end 0\n< begin 0\n< abandoned 0\nclosed\n");
}
END_TEST

START_TEST(server_role)
{
	static const struct h1_piece p[] = {
		H1_IN("POST /api HTTP/1.1\r\nHost: svc:8080\r\nContent-Length: 3\r\n\r\n{}\n"),
		H1_OUT("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
		H1_IN("GET /health HTTP/1.1\r\n\r\n"),
	};
	ck_assert_str_eq(H1_RUN(p, 1), "< begin 0\n< req 0 POST /api v11 host=svc:8080 len=3\n< end 0\n"
				       "> begin 0\n> resp 0 201 v11 chunked\n> end 0\n"
				       "< begin 1\n< req 1 GET /health v11\n< end 1\n"
				       "closed\n");
	struct ts_http1_conn c;
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_IN, p[0].data, p[0].len, 8, 0);
	ck_assert_uint_eq(c.state, TS_HTTP1_SERVER);
}
END_TEST

/* Whole, one byte at a time, and cut in two at every point of every piece:
 * the same events. */
static void same_whatever_the_split(const struct h1_piece *p, size_t n, int close)
{
	char whole[sizeof h1_log];
	strcpy(whole, h1_run_with(0, p, n, 0, close, 8, 0));
	ck_assert_str_eq(h1_run_with(0, p, n, 1, close, 8, 0), whole);
	ck_assert_str_eq(h1_run_with(0, p, n, 1, close, TS_HTTP1_MIN_EV, 0), whole);
	struct h1_piece cut[16];
	ck_assert_uint_lt(n, 15);
	for (size_t j = 0; j < n; j++)
		for (size_t at = 1; at < p[j].len; at++) {
			size_t k = 0;
			for (size_t i = 0; i < n; i++) {
				cut[k++] = p[i];
				if (i == j) {
					cut[k - 1].len = at;
					cut[k++] = (struct h1_piece){p[i].dir, p[i].data + at, p[i].len - at};
				}
			}
			ck_assert_msg(!strcmp(h1_run_with(0, cut, k, 0, close, 8, 0), whole),
				      "piece %zu cut at %zu:\n%s\nwhole:\n%s", j, at, h1_log, whole);
		}
}

START_TEST(splits_do_not_matter)
{
	static const struct h1_piece a[] = {
		H1_OUT("GET /a?b=1&c HTTP/1.1\r\nHost: h\r\nUser-Agent:  x y \r\ntraceparent: t\r\n"
		       "X-Long:\r\n folded\r\n\r\nHEAD / HTTP/1.1\n\n"),
		H1_IN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "4;a=b\r\nwxyz\r\n0\r\nT: 1\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 3\n\n"),
		H1_OUT("CONNECT h:443 HTTP/1.1\r\n\r\n"),
		H1_IN("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01"),
	};
	same_whatever_the_split(a, 4, 1);
	static const struct h1_piece b[] = {
		H1_IN("PUT /x HTTP/1.1\r\ncontent-length: 4\r\n\r\nabcd"),
		H1_OUT("HTTP/1.0 200 OK\r\n\r\nbody until close"),
	};
	same_whatever_the_split(b, 2, 1);
}
END_TEST

START_TEST(not_http_goes_off_early)
{
	static const struct {
		const char *bytes;
		size_t len, within;   /* off after at most `within` bytes */
	} cases[] = {
		{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 1},   /* TLS ClientHello */
		{"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3\r\n", 32, 21},
		{"+OK\r\n", 5, 4},
		{"*1\r\n$4\r\nPING\r\n", 14, 3},
		{"\x00\x00\x00\x10\xff\xfe", 6, 1},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24, 13},
		{"GET  / HTTP/1.1\r\n", 17, 5},
		{"GET /\r\n", 7, 6},   /* HTTP/0.9 */
		{"get / HTTP/1.1x\r\n", 17, 15},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		for (int dir = 0; dir < 2; dir++) {
			struct ts_http1_conn c;
			ts_http1_init(&c, 0);
			h1_log[0] = 0;
			for (size_t k = 0; k < cases[i].len; k++) {
				h1_feed(&c, dir, cases[i].bytes + k, 1, 8, 0);
				ck_assert_msg(k + 1 < cases[i].within || ts_http1_is_off(&c), "case %zu", i);
			}
			h1_feed(&c, !dir, "HTTP/1.1 200 OK\r\n\r\n", 19, 8, 0);
			ck_assert_str_eq(h1_log, "");
		}
	/* The other side speaking before a request line is whole. */
	static const struct h1_piece p[] = {H1_OUT("GET / HT"), H1_IN("220 smtp ready\r\n")};
	ck_assert_str_eq(H1_RUN(p, 1), "closed\n");
}
END_TEST

START_TEST(request_line_split_anywhere)
{
	struct ts_http1_conn c;
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_OUT, "GE", 2, 8, 1);
	ck_assert_str_eq(h1_log, "");
	ck_assert_uint_eq(c.state, TS_HTTP1_DETECT);
	const char rest[] = "T / HTTP/1.1\r\nHost: a\r\n\r\n";
	h1_feed(&c, TS_HTTP1_OUT, rest, sizeof rest - 1, 8, 1);
	ck_assert_str_eq(h1_log, "> begin 0 @-1\n> req 0 GET / v11 host=a @25 end@23\n> end 0 @25\n");
	ck_assert_uint_eq(c.state, TS_HTTP1_CLIENT);

	/* Empty lines before the first request line (RFC 9112 2.2) are
	 * skipped, in the same call or their own; the request begins with its
	 * method. Past two CRLFs, or before anything else, it is not HTTP. */
	static const char lead[] = "\r\nGET / HTTP/1.1\r\n\r\n";
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_IN, lead, sizeof lead - 1, 8, 1);
	ck_assert_str_eq(h1_log, "< begin 0 @2\n< req 0 GET / v11 @20 end@18 whole\n< end 0 @20\n");
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_IN, "\r\n", 2, 8, 1);
	h1_feed(&c, TS_HTTP1_IN, "\n", 1, 8, 1);
	ck_assert_uint_eq(c.state, TS_HTTP1_DETECT);
	h1_feed(&c, TS_HTTP1_IN, lead + 2, sizeof lead - 3, 8, 1);
	ck_assert_str_eq(h1_log, "< begin 0 @0\n< req 0 GET / v11 @18 end@16 whole\n< end 0 @18\n");
	ts_http1_init(&c, 0);
	h1_feed(&c, TS_HTTP1_IN, "\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", 24, 8, 1);
	ck_assert(ts_http1_is_off(&c));
	ts_http1_init(&c, 0);
	h1_feed(&c, TS_HTTP1_IN, "\r\n\x16\x03\x01", 5, 8, 1);
	ck_assert(ts_http1_is_off(&c));
}
END_TEST

START_TEST(stops)
{
	struct ts_http1_conn c;
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_OUT, "GET / HTTP/1.1\r\n", 16, 8, 0);
	static char filler[TS_HTTP1_HEAD_MAX];
	memset(filler, 'v', sizeof filler);
	h1_feed(&c, TS_HTTP1_OUT, filler, sizeof filler, 8, 0);
	/* A request too long to follow is still one: its head event, with
	 * what was read of it, then the stop. */
	ck_assert_str_eq(h1_log, "> begin 0\n> req 0 GET / v11\n> stopped 0 too-large\n");
	ck_assert(ts_http1_is_off(&c));
	/* Cut in its target: the part read; in its method: no request. */
	static const char first[] = "GET / HTTP/1.1\r\n\r\n";   /* the connection is known HTTP */
	ts_http1_init(&c, 0);
	h1_feed(&c, TS_HTTP1_OUT, first, sizeof first - 1, 8, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_OUT, "GET /abc", 8, 8, 0);
	h1_feed(&c, TS_HTTP1_OUT, filler, sizeof filler, 8, 0);
	ck_assert_msg(!strncmp(h1_log, "> begin 1\n> req 1 GET /abcvvv", 29) &&
		      strstr(h1_log, " v0 cut-path\n> stopped 1 too-large\n"), "%s", h1_log);
	ts_http1_init(&c, 0);
	h1_feed(&c, TS_HTTP1_OUT, first, sizeof first - 1, 8, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_OUT, "G", 1, 8, 0);
	memset(filler, 'E', sizeof filler);
	h1_feed(&c, TS_HTTP1_OUT, filler, sizeof filler, 8, 0);
	ck_assert_str_eq(h1_log, "> begin 1\n> stopped 1 malformed\n");   /* a method that long is no method */
	memset(filler, 'v', sizeof filler);
	/* A response too long: no request event. */
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_OUT, "GET / HTTP/1.1\r\n\r\n", 18, 8, 0);
	h1_feed(&c, TS_HTTP1_IN, "HTTP/1.1 200 OK\r\nX: ", 21, 8, 0);
	h1_feed(&c, TS_HTTP1_IN, filler, sizeof filler, 8, 0);
	ck_assert_str_eq(h1_log, "> begin 0\n> req 0 GET / v11\n> end 0\n< begin 0\n< stopped 0 too-large\n");

	static const struct h1_piece lengths[][2] = {
		{H1_OUT("POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n"), H1_OUT("")},
		{H1_OUT("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), H1_OUT("")},
		{H1_OUT("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), H1_OUT("")},
		{H1_OUT("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"), H1_OUT("")},
		{H1_OUT("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), H1_OUT("")},
		{H1_OUT("GET / HTTP/1.1\r\n\r\n"), H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n")},
	};
	for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
		const char *log = h1_run(lengths[i], 2, 1);
		ck_assert_msg(strstr(log, "stopped 0 bad-length\nclosed\n") && !strstr(log, i < 5 ? "req" : "resp"),
			      "%s", log);
	}
	static const struct h1_piece same[] = {
		H1_OUT("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\ncontent-length:2\r\n\r\nab"),
	};
	ck_assert_str_eq(H1_RUN(same, 0), "> begin 0\n> req 0 POST / v11 len=2\n> end 0\n");

	static const struct h1_piece te[] = {H1_OUT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n")};
	ck_assert_str_eq(H1_RUN(te, 0), "> begin 0\n> stopped 0 malformed\n");
	static const struct h1_piece chunk[] = {
		H1_OUT("GET / HTTP/1.1\r\n\r\n"), H1_IN("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
	};
	ck_assert_str_eq(H1_RUN(chunk, 0), "> begin 0\n> req 0 GET / v11\n> end 0\n< begin 0\n"
					   "< resp 0 200 v11 chunked\n< stopped 0 bad-chunk\n");
	static const struct h1_piece unasked[] = {H1_OUT("GET / HTTP/1.1\r\n\r\n"),
						  H1_IN("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
						  H1_IN("HTTP/1.1 200 OK\r\n\r\n")};
	ck_assert_str_eq(H1_RUN(unasked, 0), "> begin 0\n> req 0 GET / v11\n> end 0\n< begin 0\n"
					     "< resp 0 200 v11 len=0\n< end 0\n< stopped 1 no-request\n");
	char many[TS_HTTP1_PIPELINE * 16 + 32] = "";
	for (int i = 0; i <= TS_HTTP1_PIPELINE; i++)
		strcat(many, "GET / HTTP/1.1\n\n");
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_OUT, many, strlen(many), 8, 0);
	ck_assert_ptr_nonnull(strstr(h1_log, "> end 7\n> stopped 8 pipeline-full\n"));

	/* A caller's mistakes turn the connection off, never write past ev. */
	struct ts_http1_event ev[TS_HTTP1_MIN_EV];
	size_t pos = 0;
	ts_http1_init(&c, 0);
	ck_assert_uint_eq(ts_http1_feed(&c, TS_HTTP1_OUT, "GET / HTTP/1.1\n\n", 16, &pos, ev, TS_HTTP1_MIN_EV - 1), 0);
	ck_assert(ts_http1_is_off(&c) && pos == 16);
	ts_http1_init(&c, 0);
	pos = 0;
	ck_assert_uint_eq(ts_http1_feed(&c, (enum ts_http1_dir)2, "GET / HTTP/1.1\n\n", 16, &pos, ev, 3), 0);
	ck_assert(ts_http1_is_off(&c));
}
END_TEST

/* Bytes sent with sendfile are not shown: counted in a body of known
 * length, they end it; anywhere else the tracking stops. */
static void skip(struct ts_http1_conn *c, int dir, uint64_t n)
{
	struct ts_http1_event ev[TS_HTTP1_MIN_EV];
	unsigned k = ts_http1_skip(c, (enum ts_http1_dir)dir, n, ev, TS_HTTP1_MIN_EV);
	for (unsigned i = 0; i < k; i++)
		h1_describe(&ev[i], 0);
}

START_TEST(bodies_sent_unseen)
{
	static const char req[] = "GET /f HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	struct ts_http1_conn c;
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	h1_feed(&c, TS_HTTP1_IN, req, sizeof req - 1, 8, 0);
	h1_feed(&c, TS_HTTP1_OUT, head, sizeof head - 1, 8, 0);
	skip(&c, TS_HTTP1_OUT, 60);
	skip(&c, TS_HTTP1_OUT, 40);
	/* The next exchange on the connection is read as usual. */
	h1_feed(&c, TS_HTTP1_IN, req, sizeof req - 1, 8, 0);
	h1_feed(&c, TS_HTTP1_OUT, head, sizeof head - 1, 8, 0);
	skip(&c, TS_HTTP1_OUT, 101);   /* more than the body: the next head unseen */
	ck_assert_str_eq(h1_log,
			 "< begin 0\n"
			 "< req 0 GET /f v11 host=h\n"
			 "< end 0\n"
			 "> begin 0\n"
			 "> resp 0 200 v11 len=100\n"
			 "> end 0\n"
			 "< begin 1\n"
			 "< req 1 GET /f v11 host=h\n"
			 "< end 1\n"
			 "> begin 1\n"
			 "> resp 1 200 v11 len=100\n"
			 "> stopped 1 unseen\n");
	ck_assert(ts_http1_is_off(&c));
	/* Unseen first bytes: not known to be HTTP. */
	ts_http1_init(&c, 0);
	h1_log[0] = 0;
	skip(&c, TS_HTTP1_OUT, 10);
	ck_assert(ts_http1_is_off(&c));
	ck_assert_str_eq(h1_log, "");
}
END_TEST

START_TEST(tunnels_and_upgrades)
{
	static const struct h1_piece tunnel[] = {
		H1_OUT("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
		H1_IN("HTTP/1.1 200 Connection established\r\n\r\n"),
		H1_OUT("\x16\x03\x01\x00\xa5"),
	};
	ck_assert_str_eq(H1_RUN(tunnel, 1), "> begin 0\n> req 0 CONNECT example.com:443 v11 host=example.com:443\n"
					    "> end 0\n< begin 0\n< resp 0 200 v11\n< end 0\n< stopped 0 tunnel\n"
					    "closed\n");
	static const struct h1_piece ws[] = {
		H1_IN("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
		H1_OUT("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
	};
	ck_assert_str_eq(H1_RUN(ws, 0), "< begin 0\n< req 0 GET /chat v11 upgrade\n< end 0\n"
					"> begin 0\n> resp 0 101 v11\n> end 0\n> stopped 0 upgrade\n");
	/* Refused: HTTP goes on. Bytes sent before the answer cannot be read. */
	static const struct h1_piece refused[] = {
		H1_OUT("CONNECT h:1 HTTP/1.1\r\n\r\n"), H1_IN("HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n"),
		H1_OUT("GET / HTTP/1.1\r\n\r\n"), H1_OUT("GET /h HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"),
		H1_OUT("PRI * HTTP/2.0\r\n"),
	};
	ck_assert_str_eq(H1_RUN(refused, 0), "> begin 0\n> req 0 CONNECT h:1 v11\n> end 0\n"
					     "< begin 0\n< resp 0 407 v11 len=0\n< end 0\n"
					     "> begin 1\n> req 1 GET / v11\n> end 1\n"
					     "> begin 2\n> req 2 GET /h v11 upgrade\n> end 2\n"
					     "> stopped 2 after-upgrade\n");
}
END_TEST

TS_CHECK_SUITE("http1", get_keep_alive_then_another_request, responses_without_body,
	       continue_then_final_response, chunked_with_extensions_and_trailers, pipelining,
	       body_until_close, server_role, splits_do_not_matter, not_http_goes_off_early,
	       request_line_split_anywhere, stops, tunnels_and_upgrades, bodies_sent_unseen)
