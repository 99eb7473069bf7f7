/* Batch compression: with libdeflate (when installed) and with zlib, the
 * wrapped packet is one TracePacket.compressed_packets whose payload inflates
 * back to the batch, byte for byte; small batches are left as they are. */
#include "check_main.h"
#include "compress.h"
#include "pbread.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A batch that looks like a trace: many small, similar packets. */
static void fill_batch(struct pb *b, size_t bytes)
{
	unsigned n = 0;
	while (b->len < bytes) {
		char line[64];
		int len = snprintf(line, sizeof line, "span %u fd %u bytes %u", n, n % 7, n * 13);
		pb_tag(b, 1, 2);
		pb_varint(b, (uint64_t)len);
		ck_assert(pb_reserve(b, (size_t)len));
		memcpy(b->data + b->len, line, (size_t)len);
		b->len += (size_t)len;
		n++;
	}
}

static void check_round_trip(const struct pb *in)
{
	const struct pb *out = ts_compress_batch(in);
	ck_assert_ptr_ne(out, in);
	ck_assert_uint_lt(out->len, in->len / 3);
	/* Trace.packet (1) holding TracePacket.compressed_packets (50). */
	const uint8_t *p = out->data, *end = out->data + out->len;
	struct pbr_field pkt, z;
	ck_assert_int_eq(pbr_next(&p, end, &pkt), 1);
	ck_assert_uint_eq(pkt.num, 1);
	ck_assert_ptr_eq(pkt.data + pkt.len, end);
	ck_assert(pbr_find(pkt.data, pkt.len, 50, &z));
	uLongf len = in->len + 1;
	uint8_t *back = malloc(len);
	ck_assert_int_eq(uncompress(back, &len, z.data, z.len), Z_OK);
	ck_assert_uint_eq(len, in->len);
	ck_assert_mem_eq(back, in->data, in->len);
	free(back);
}

START_TEST(libdeflate_output_inflates_back)
{
	void *h = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;   /* not installed: zlib's case covers the fallback */
	dlclose(h);
	ts_compress_use_zlib(false);
	struct pb in = {0};
	fill_batch(&in, 256 * 1024);
	check_round_trip(&in);
	ck_assert_str_eq(ts_compress_library(), "libdeflate");
	pb_free(&in);
}
END_TEST

START_TEST(zlib_output_inflates_back)
{
	ts_compress_use_zlib(true);
	struct pb in = {0};
	fill_batch(&in, 256 * 1024);
	check_round_trip(&in);
	ck_assert_str_eq(ts_compress_library(), "zlib");
	/* The stream is reset between batches. */
	check_round_trip(&in);
	pb_free(&in);
	ts_compress_use_zlib(false);
}
END_TEST

START_TEST(small_batch_is_left_alone)
{
	struct pb in = {0};
	fill_batch(&in, 1000);
	ck_assert_ptr_eq(ts_compress_batch(&in), &in);
	pb_free(&in);
}
END_TEST

TS_CHECK_SUITE("compress",
	       libdeflate_output_inflates_back,
	       zlib_output_inflates_back,
	       small_batch_is_left_alone)
