/* Bounded decompression: valid bodies, corrupt ones, and gzip bombs. */
#include "check_main.h"
#include "inflate.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzip-compresses n bytes of `fill` into a malloc'ed buffer. */
static uint8_t *gzip_of(const uint8_t *data, size_t n, size_t *len)
{
	z_stream zs = {0};
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, n) + 32;
	uint8_t *out = malloc(cap);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

START_TEST(roundtrip)
{
	uint8_t data[10000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	size_t zlen;
	uint8_t *z = gzip_of(data, sizeof data, &zlen);
	uint8_t *out;
	size_t out_len;
	ck_assert_int_eq(ts_inflate_bounded(z, zlen, 1 << 20, &out, &out_len), TS_INFLATE_OK);
	ck_assert_uint_eq(out_len, sizeof data);
	ck_assert(!memcmp(out, data, sizeof data));
	free(out);
	free(z);
}
END_TEST

START_TEST(bomb_is_refused)
{
	size_t n = 8 << 20;   /* 8 MiB of zeros compress to a few KiB */
	uint8_t *zeros = calloc(1, n);
	size_t zlen;
	uint8_t *z = gzip_of(zeros, n, &zlen);
	ck_assert_uint_lt(zlen, 64 * 1024);
	uint8_t *out;
	size_t out_len;
	ck_assert_int_eq(ts_inflate_bounded(z, zlen, 1 << 20, &out, &out_len), TS_INFLATE_TOO_LARGE);
	ck_assert_ptr_null(out);
	free(z);
	free(zeros);
}
END_TEST

START_TEST(corrupt_and_truncated)
{
	uint8_t data[1000] = {1, 2, 3};
	size_t zlen;
	uint8_t *z = gzip_of(data, sizeof data, &zlen);
	uint8_t *out;
	size_t out_len;
	ck_assert_int_eq(ts_inflate_bounded(z, zlen / 2, 1 << 20, &out, &out_len), TS_INFLATE_BAD);
	ck_assert_int_eq(ts_inflate_bounded((const uint8_t *)"not gzip at all", 15, 1 << 20, &out,
					    &out_len), TS_INFLATE_BAD);
	z[zlen / 2] ^= 0xff;
	ck_assert_int_ne(ts_inflate_bounded(z, zlen, 1 << 20, &out, &out_len), TS_INFLATE_OK);
	free(z);
}
END_TEST

TS_CHECK_SUITE("inflate",
	       roundtrip,
	       bomb_is_refused,
	       corrupt_and_truncated)
