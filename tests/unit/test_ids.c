/* Trace and span ids: valid W3C values, unique per (thread, span). */
#include "check_main.h"
#include "ids.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

START_TEST(trace_id_is_valid)
{
	ts_ids_init();
	uint8_t zero[16] = {0};
	ck_assert(memcmp(ts_ids.trace_id, zero, 16) != 0);
	struct ts_ids first = ts_ids;
	ts_ids_init();
	ck_assert(memcmp(first.trace_id, ts_ids.trace_id, 16) != 0);
}
END_TEST

START_TEST(span_ids_unique_and_nonzero)
{
	ts_ids_init();
	enum { THREADS = 64, SPANS = 2000 };
	uint64_t *ids = malloc(sizeof *ids * THREADS * SPANS);
	size_t n = 0;
	for (uint32_t t = 0; t < THREADS; t++)
		for (uint32_t s = 1; s <= SPANS; s++)
			ids[n++] = ts_span_id(t, s);
	qsort(ids, n, sizeof *ids, cmp64);
	ck_assert(ids[0] != 0);
	for (size_t i = 1; i < n; i++)
		ck_assert(ids[i] != ids[i - 1]);
	free(ids);
}
END_TEST

START_TEST(traceparent_format)
{
	uint8_t tid[16];
	for (int i = 0; i < 16; i++)
		tid[i] = (uint8_t)(0xa0 + i);
	char out[56];
	ts_traceparent_format(tid, 0x0102030405060708ull, 1, out);
	ck_assert_str_eq(out, "00-a0a1a2a3a4a5a6a7a8a9aaabacadaeaf-0102030405060708-01");
	ck_assert_uint_eq(strlen(out), 55);
}
END_TEST

TS_CHECK_SUITE("ids",
	       trace_id_is_valid,
	       span_ids_unique_and_nonzero,
	       traceparent_format)
