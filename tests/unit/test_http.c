/* HTTP request parsing for the OTLP receiver, including hostile input. */
#include "check_main.h"
#include "http.h"

#include <stdlib.h>
#include <string.h>

static uint8_t body[256];

static enum ts_http_result parse(const char *text, struct ts_http_request *req, size_t *used)
{
	return ts_http_parse(text, strlen(text), sizeof body, req, body, used);
}

START_TEST(content_length)
{
	const char *text = "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
			   "Content-Length: 5\r\n\r\nhelloNEXT";
	struct ts_http_request req;
	size_t used;
	ck_assert_int_eq(parse(text, &req, &used), TS_HTTP_OK);
	ck_assert_str_eq(req.method, "POST");
	ck_assert_str_eq(req.path, "/v1/traces");
	ck_assert_str_eq(req.content_type, "application/x-protobuf");
	ck_assert_uint_eq(req.body_len, 5);
	ck_assert(!memcmp(body, "hello", 5));
	ck_assert_uint_eq(used, strlen(text) - 4);   /* the next request starts at NEXT */
	ck_assert(req.keep_alive);
	ck_assert(!req.gzip);
}
END_TEST

START_TEST(chunked_with_gzip)
{
	const char *text = "POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			   "Content-Encoding: gzip\r\nConnection: close\r\n\r\n"
			   "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n";
	struct ts_http_request req;
	size_t used;
	ck_assert_int_eq(parse(text, &req, &used), TS_HTTP_OK);
	ck_assert_uint_eq(req.body_len, 7);
	ck_assert(!memcmp(body, "abcdefg", 7));
	ck_assert(req.gzip);
	ck_assert(!req.keep_alive);
	ck_assert_uint_eq(used, strlen(text));
}
END_TEST

START_TEST(incomplete_until_whole)
{
	const char *text = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
	struct ts_http_request req;
	size_t used;
	for (size_t n = 0; n < strlen(text); n++)
		ck_assert_int_eq(ts_http_parse(text, n, sizeof body, &req, body, &used), TS_HTTP_INCOMPLETE);
	ck_assert_int_eq(ts_http_parse(text, strlen(text), sizeof body, &req, body, &used), TS_HTTP_OK);
}
END_TEST

START_TEST(limits_and_hostile_input)
{
	struct ts_http_request req;
	size_t used;
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", &req, &used),
			 TS_HTTP_TOO_LARGE);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			       "ffffffffffffffffffff\r\n", &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			       "200\r\n", &req, &used), TS_HTTP_TOO_LARGE);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
			       &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
			       &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nContent-Encoding: br\r\n\r\n", &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("GARBAGE\r\n\r\n", &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("POST / SPDY/3\r\n\r\n", &req, &used), TS_HTTP_BAD);
	ck_assert_int_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY", &req, &used),
			 TS_HTTP_BAD);
	/* A header block that never ends is refused once it is too long. */
	size_t big = 20000;
	char *flood = malloc(big + 1);
	memset(flood, 'a', big);
	flood[big] = 0;
	memcpy(flood, "POST / HTTP/1.1\r\nX: ", 20);
	ck_assert_int_eq(parse(flood, &req, &used), TS_HTTP_BAD);
	free(flood);
}
END_TEST

START_TEST(random_bytes_never_crash)
{
	char buf[512];
	struct ts_http_request req;
	size_t used;
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof buf);
		for (size_t i = 0; i < n; i++) {
			static const char alphabet[] = "POST /v1HTP.0123456789abcdefxX:\r\n ;-chunkedContent-Length";
			buf[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		}
		enum ts_http_result r = ts_http_parse(buf, n, sizeof body, &req, body, &used);
		if (r == TS_HTTP_OK) {
			ck_assert_uint_le(used, n);
			ck_assert_uint_le(req.body_len, sizeof body);
		}
	}
}
END_TEST

TS_CHECK_SUITE("http",
	       content_length,
	       chunked_with_gzip,
	       incomplete_until_whole,
	       limits_and_hostile_input,
	       random_bytes_never_crash)
