/* The segment header's packed text (segment.h): each part found after the
 * ones before it, and every part kept inside the text whatever lengths a
 * producer wrote, as a consumer must assume of a file it does not own. */
#include "check_main.h"
#include "segment.h"

#include <stdlib.h>
#include <string.h>

static struct ts_seg_header *with_parts(const char *const parts[], const size_t lens[])
{
	struct ts_seg_header *h = calloc(1, sizeof *h);
	size_t at = 0;
	for (int i = 0; i < TS_SEG_PARTS; i++) {
		memcpy(h->text + at, parts[i], lens[i]);
		h->part_len[i] = (uint32_t)lens[i];
		at += lens[i];
	}
	return h;
}

START_TEST(parts_follow_one_another)
{
	const char *parts[] = {"/tmp", "/bin/true", "true\0-x", "OTEL_A=1\0TRACESHIM_B=2"};
	const size_t lens[] = {5, 10, 8, 23};
	struct ts_seg_header *h = with_parts(parts, lens);
	for (int i = 0; i < TS_SEG_PARTS; i++) {
		size_t len;
		const char *p = ts_seg_part(h, (enum ts_seg_part)i, &len);
		ck_assert_uint_eq(len, lens[i]);
		ck_assert(!memcmp(p, parts[i], len));
	}
	free(h);
}
END_TEST

START_TEST(empty_parts_are_empty)
{
	struct ts_seg_header *h = calloc(1, sizeof *h);
	size_t len = 1;
	const char *p = ts_seg_part(h, TS_SEG_ENV, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_eq(p, h->text);
	free(h);
}
END_TEST

START_TEST(hostile_lengths_stay_inside_the_text)
{
	struct ts_seg_header *h = calloc(1, sizeof *h);
	const uint32_t cases[][TS_SEG_PARTS] = {
		{UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX},
		{TS_SEG_TEXT_MAX, 1, 1, 1},
		{TS_SEG_TEXT_MAX - 1, 5, UINT32_MAX, 7},
		{0, 0, 0, TS_SEG_TEXT_MAX + 1},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		memcpy(h->part_len, cases[c], sizeof h->part_len);
		for (int i = 0; i < TS_SEG_PARTS; i++) {
			size_t len;
			const char *p = ts_seg_part(h, (enum ts_seg_part)i, &len);
			ck_assert(p >= h->text);
			ck_assert_uint_le((size_t)(p - h->text) + len, TS_SEG_TEXT_MAX);
		}
	}
	free(h);
}
END_TEST

TS_CHECK_SUITE("segment", parts_follow_one_another, empty_parts_are_empty,
	       hostile_lengths_stay_inside_the_text)
