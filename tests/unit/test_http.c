/* What the OTLP receiver answers for each kind of request, HTTP transport
 * aside (libmicrohttpd's part), including hostile bodies. */
#include "check_main.h"
#include "convert.h"
#include "handle.h"
#include "encode.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint8_t *valid_body(size_t *len)
{
	static const uint8_t trace_id[16] = {5};
	struct ts_attr resource[] = {{.key = "service.name", .type = TS_VAL_STR, .v.s = "svc"}};
	struct ts_span spans[] = {
		{.name = "root", .start_ns = 1000, .end_ns = 2000, .span_id = 1, .kind = 2},
		{.name = "child", .start_ns = 1100, .end_ns = 1600, .span_id = 2, .parent_id = 1},
	};
	struct ts_otlp_batch batch = {.trace_id = trace_id, .resource = resource, .nresource = 1,
				      .scope_name = "test", .spans = spans, .nspans = 2};
	uint8_t *body;
	*len = ts_otlp_encode(&batch, &body);
	return body;
}

static size_t gzip_of(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream zs = {0};
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t len = zs.total_out;
	deflateEnd(&zs);
	return len;
}

static int handle(struct ts_convert *cv, const char *method, const char *path, const char *enc,
		  const uint8_t *body, size_t len, struct ts_response *resp)
{
	struct ts_request req = {.method = method, .path = path, .content_encoding = enc,
				 .body = body, .body_len = len};
	return ts_collect_handle(cv, 100000, &req, resp);
}

START_TEST(statuses)
{
	struct ts_convert *cv = ts_convert_new();
	struct ts_response resp;
	size_t len;
	uint8_t *body = valid_body(&len);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", NULL, body, len, &resp), 200);
	ck_assert_int_eq(resp.spans, 2);
	ck_assert_uint_gt(resp.len, 0);
	ck_assert_ptr_null(resp.message);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", "identity", body, len, &resp), 200);
	ck_assert_int_eq(handle(cv, "GET", "/v1/traces", NULL, body, len, &resp), 405);
	ck_assert_int_eq(handle(cv, "POST", "/v1/logs", NULL, body, len, &resp), 404);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", "br", body, len, &resp), 415);
	ck_assert_ptr_nonnull(resp.message);
	ck_assert_uint_eq(resp.len, 0);
	static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01};
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", NULL, junk, sizeof junk, &resp), 400);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", "gzip", junk, sizeof junk, &resp), 400);
	struct ts_request big = {.method = "POST", .path = "/v1/traces", .body_too_large = true};
	ck_assert_int_eq(ts_collect_handle(cv, 100000, &big, &resp), 413);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", NULL, NULL, 0, &resp), 200);   /* empty: valid */
	free(body);
	ts_convert_free(cv);
}
END_TEST

START_TEST(gzip_bodies_and_bombs)
{
	struct ts_convert *cv = ts_convert_new();
	struct ts_response resp;
	size_t len;
	uint8_t *body = valid_body(&len);
	uint8_t packed[4096];
	size_t n = gzip_of(body, len, packed, sizeof packed);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", "gzip", packed, n, &resp), 200);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", "GZIP", packed, n, &resp), 200);
	/* A megabyte of zeros is a few hundred bytes of gzip and past the limit inflated. */
	uint8_t *zeros = calloc(1, 1 << 20), *bomb = malloc(1 << 16);
	n = gzip_of(zeros, 1 << 20, bomb, 1 << 16);
	ck_assert_uint_lt(n, 100000);
	ck_assert_int_eq(handle(cv, "POST", "/v1/traces", "gzip", bomb, n, &resp), 413);
	free(zeros);
	free(bomb);
	free(body);
	ts_convert_free(cv);
}
END_TEST

START_TEST(random_bytes_never_crash)
{
	struct ts_convert *cv = ts_convert_new();
	struct ts_response resp;
	size_t len;
	uint8_t *body = valid_body(&len), buf[512];
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = len < sizeof buf ? len : sizeof buf;
		memcpy(buf, body, n);
		for (int flips = rand_r(&seed) % 4; flips >= 0; flips--)
			buf[rand_r(&seed) % n] = (uint8_t)rand_r(&seed);
		int status = handle(cv, "POST", "/v1/traces", round % 7 ? NULL : "gzip", buf,
				    (size_t)rand_r(&seed) % (n + 1), &resp);
		ck_assert(status == 200 || status == 400);
		ck_assert(status == 200 || resp.len == 0);
	}
	free(body);
	ts_convert_free(cv);
}
END_TEST

TS_CHECK_SUITE("http",
	       statuses,
	       gzip_bodies_and_bombs,
	       random_bytes_never_crash)
