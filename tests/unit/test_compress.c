/* Batch compression, with each library that is there (igzip when built in
 * and installed, libdeflate when installed, zlib always): the wrapped packet
 * is one TracePacket.compressed_packets whose payload zlib inflates back to
 * the batch, byte for byte, for trace-like, incompressible and multi-MB
 * batches and at the sizes where the framing changes; small batches are left
 * as they are, and a library that is not there is never claimed. */
#include "check_main.h"
#include "compress.h"
#include "pbread.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* compress.c's threshold: smaller batches are written as they are. */
#define MIN_BYTES 8192

static const enum ts_compressor backends[] = {TS_COMPRESS_IGZIP, TS_COMPRESS_LIBDEFLATE,
					      TS_COMPRESS_ZLIB};
static const char *const names[] = {"igzip", "libdeflate", "zlib"};

static bool opens(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h)
		dlclose(h);
	return h != NULL;
}

/* Whether compress.c must be able to use backends[i] here. */
static bool present(int i)
{
	switch (backends[i]) {
	case TS_COMPRESS_IGZIP:
#ifdef TS_HAVE_ISAL
		return opens("libisal.so.2");
#else
		return false;   /* built without its header */
#endif
	case TS_COMPRESS_LIBDEFLATE:
		return opens("libdeflate.so.0");
	default:
		return opens("libz.so.1");
	}
}

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

/* n bytes that do not compress (xorshift), appended to b. */
static void fill_random(struct pb *b, size_t n, uint64_t seed)
{
	ck_assert(pb_reserve(b, n));
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b->data[b->len++] = (uint8_t)(x >> 24);
	}
}

/* The compressed packet of in, checked to inflate back to it; its length. */
static size_t check_round_trip(const struct pb *in)
{
	const struct pb *out = ts_compress_batch(in);
	ck_assert_ptr_ne(out, in);
	/* Trace.packet (1) holding TracePacket.compressed_packets (50) alone. */
	const uint8_t *p = out->data, *end = out->data + out->len;
	struct pbr_field pkt, z;
	ck_assert_int_eq(pbr_next(&p, end, &pkt), 1);
	ck_assert_uint_eq(pkt.num, 1);
	ck_assert_uint_eq(pkt.wire, 2);
	ck_assert_ptr_eq(pkt.data + pkt.len, end);
	ck_assert(pbr_find(pkt.data, pkt.len, 50, &z));
	ck_assert_ptr_eq(z.data + z.len, end);
	uLongf len = in->len + 1;
	uint8_t *back = malloc(len);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(uncompress(back, &len, z.data, z.len), Z_OK);
	ck_assert_uint_eq(len, in->len);
	ck_assert_mem_eq(back, in->data, in->len);
	free(back);
	return out->len;
}

/* Forces backends[i]; false (and checked to be refused) when it is not
 * there. */
static bool use(int i)
{
	if (!present(i)) {
		ck_assert(!ts_compress_use(backends[i]));
		ck_assert_ptr_null(ts_compress_library());
		struct pb in = {0};
		fill_batch(&in, 64 * 1024);
		ck_assert_ptr_eq(ts_compress_batch(&in), &in);   /* written as it is */
		pb_free(&in);
		return false;
	}
	ck_assert(ts_compress_use(backends[i]));
	ck_assert_str_eq(ts_compress_library(), names[i]);
	return true;
}

START_TEST(trace_batch_inflates_back)
{
	if (!use(_i))
		return;
	struct pb in = {0};
	fill_batch(&in, 256 * 1024);
	ck_assert_uint_lt(check_round_trip(&in), in.len / 3);
	/* The state is reused, or reset, between batches. */
	ck_assert_uint_lt(check_round_trip(&in), in.len / 3);
	ck_assert_str_eq(ts_compress_library(), names[_i]);
	pb_free(&in);
}
END_TEST

START_TEST(incompressible_batch_inflates_back)
{
	if (!use(_i))
		return;
	struct pb in = {0};
	fill_random(&in, 300 * 1000, 42);
	/* Stored blocks at worst: barely larger than the batch. */
	ck_assert_uint_le(check_round_trip(&in), in.len + in.len / 100 + 64);
	pb_free(&in);
}
END_TEST

START_TEST(large_batch_inflates_back)
{
	if (!use(_i))
		return;
	/* Several MB, trace-like with incompressible stretches, as a batch
	 * written at exit after a long cycle can be. */
	struct pb in = {0};
	for (int part = 0; part < 6; part++) {
		struct pb t = {0};
		fill_batch(&t, 700 * 1024 + (size_t)part * 4099);
		ck_assert(pb_reserve(&in, t.len));
		memcpy(in.data + in.len, t.data, t.len);
		in.len += t.len;
		pb_free(&t);
		fill_random(&in, 200 * 1024 + (size_t)part, (uint64_t)part + 7);
	}
	ck_assert_uint_gt(in.len, 5u << 20);
	check_round_trip(&in);
	pb_free(&in);
}
END_TEST

START_TEST(boundary_sizes_inflate_back)
{
	if (!use(_i))
		return;
	/* Around the threshold, the 2/3-byte varints of the payload and packet
	 * lengths (16384: incompressible output is the input plus a few bytes)
	 * and the 64 KiB stored blocks. */
	static const size_t sizes[] = {MIN_BYTES,	  MIN_BYTES + 1, 16360, 16366, 16368,
				       16370,		  16372,	 16374, 16376, 16378,
				       16380,		  16384,	 65535, 65536, 65537,
				       2 * 65535 + 1, 1u << 17,	 (1u << 21) - 3};
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		struct pb in = {0};
		fill_random(&in, sizes[k], k + 1);
		check_round_trip(&in);
		pb_clear(&in);
		fill_batch(&in, sizes[k]);
		in.len = sizes[k];   /* fill_batch may pass the size by a packet */
		check_round_trip(&in);
		pb_free(&in);
	}
	struct pb in = {0};
	fill_random(&in, MIN_BYTES - 1, 3);
	ck_assert_ptr_eq(ts_compress_batch(&in), &in);
	pb_free(&in);
}
END_TEST

/* A batch of n bytes of `kind`: 0 two letters only, 1 random, 2 repeats
 * of a random 20 KiB stretch (long match distances), 3 trace-like. */
static void fill_kind(struct pb *b, int kind, size_t n, uint64_t seed)
{
	pb_clear(b);
	if (kind == 0) {
		ck_assert(pb_reserve(b, n));
		for (size_t i = 0; i < n; i++)
			b->data[b->len++] = "ab"[(i / 3) % 2];
	} else if (kind == 1) {
		fill_random(b, n, seed);
	} else if (kind == 2) {
		fill_random(b, 20000, seed);
		ck_assert(pb_reserve(b, n));
		while (b->len < n)
			b->data[b->len] = b->data[b->len - 20000], b->len++;
	} else {
		fill_batch(b, n);
	}
	b->len = n;
}

START_TEST(any_batch_after_any_other_inflates_back)
{
	if (!use(_i))
		return;
	/* igzip codes a batch with tables made from an earlier one (batches 0,
	 * 1, 2, 4 ... 32, then one in 64): whatever came before, every batch
	 * must inflate back, over more batches than one such period. */
	struct pb in = {0};
	for (unsigned k = 0; k < 150; k++) {
		fill_kind(&in, (int)((k * 7 + k / 5 + k / 64) % 4),
			  16384 + (k % 5) * 7919, k + 1);
		check_round_trip(&in);
	}
	pb_free(&in);
}
END_TEST

START_TEST(first_library_found_is_used)
{
	ck_assert(ts_compress_use(TS_COMPRESS_ANY));
	int first = 0;
	while (!present(first))
		first++;
	struct pb in = {0};
	fill_batch(&in, 64 * 1024);
	check_round_trip(&in);
	ck_assert_str_eq(ts_compress_library(), names[first]);
	pb_free(&in);
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

static Suite *make_suite(void)
{
	Suite *s = suite_create("compress");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	/* Each loop test runs once per library, in the order they are tried. */
	int n = (int)(sizeof backends / sizeof *backends);
	tcase_add_loop_test(tc, trace_batch_inflates_back, 0, n);
	tcase_add_loop_test(tc, incompressible_batch_inflates_back, 0, n);
	tcase_add_loop_test(tc, large_batch_inflates_back, 0, n);
	tcase_add_loop_test(tc, boundary_sizes_inflate_back, 0, n);
	tcase_add_loop_test(tc, any_batch_after_any_other_inflates_back, 0, n);
	tcase_add_test(tc, first_library_found_is_used);
	tcase_add_test(tc, small_batch_is_left_alone);
	suite_add_tcase(s, tc);
	return s;
}

TS_CHECK_MAIN(make_suite)
