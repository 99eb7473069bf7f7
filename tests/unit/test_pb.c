/* The protobuf writer, checked with an independent reader. */
#include "check_main.h"
#include <stdio.h>
#include "pb.h"
#include "pbread.h"
#include "intern.h"

START_TEST(varints)
{
	struct pb b = {0};
	const uint64_t values[] = {0, 1, 127, 128, 300, 16383, 16384, UINT64_MAX};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++)
		pb_uint(&b, 1, values[i]);
	ck_assert(pb_ok(&b));
	const uint8_t *p = b.data;
	struct pbr_field f;
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		ck_assert_int_eq(pbr_next(&p, b.data + b.len, &f), 1);
		ck_assert_uint_eq(f.num, 1);
		ck_assert_uint_eq(f.wire, 0);
		ck_assert(f.v == values[i]);
	}
	ck_assert_uint_eq(pb_varint_size(127), 1);
	ck_assert_uint_eq(pb_varint_size(128), 2);
	ck_assert_uint_eq(pb_varint_size(UINT64_MAX), 10);
	pb_free(&b);
}
END_TEST

START_TEST(nested_lengths)
{
	/* Bodies under and over 127 bytes exercise the length fix-up. */
	for (size_t body = 0; body < 400; body += 37) {
		struct pb b = {0};
		pb_uint(&b, 1, 5);
		size_t m = pb_begin(&b, 2);
		for (size_t i = 0; i < body; i++)
			pb_raw(&b, "x", 1);
		pb_end(&b, m);
		pb_fixed64(&b, 3, 0x1122334455667788ull);
		struct pbr_field f;
		ck_assert(pbr_find(b.data, b.len, 2, &f));
		ck_assert_uint_eq(f.len, body);
		ck_assert(pbr_find(b.data, b.len, 3, &f));
		ck_assert_uint_eq(f.wire, 1);
		ck_assert(f.v == 0x1122334455667788ull);
		pb_free(&b);
	}
}
END_TEST

START_TEST(interning)
{
	struct ts_intern t = {0};
	int fresh;
	ck_assert_uint_eq(ts_intern_get(&t, "read", 4, &fresh), 1);
	ck_assert(fresh);
	ck_assert_uint_eq(ts_intern_get(&t, "write", 5, &fresh), 2);
	ck_assert_uint_eq(ts_intern_get(&t, "read", 4, &fresh), 1);
	ck_assert(!fresh);
	char key[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		ck_assert(ts_intern_get(&t, key, (size_t)n, &fresh) != 0);
	}
	ck_assert_uint_eq(ts_intern_get(&t, "write", 5, &fresh), 2);
	ts_intern_free(&t);
}
END_TEST

TS_CHECK_SUITE("pb",
	       varints,
	       nested_lengths,
	       interning)
