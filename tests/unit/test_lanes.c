/* Lane packing: nested spans share a lane, overlapping ones never do. */
#include "check_main.h"
#include "lanes.h"

#include <stdlib.h>

/* Every pair on one lane is either disjoint or nested. */
static void assert_valid(const struct ts_interval *iv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			if (i == j || iv[i].lane != iv[j].lane)
				continue;
			const struct ts_interval *a = &iv[i], *b = &iv[j];
			int disjoint = a->end <= b->start || b->end <= a->start;
			int nested = (a->start <= b->start && b->end <= a->end) ||
				     (b->start <= a->start && a->end <= b->end);
			if (!disjoint && !nested)   /* one ck_assert per pair would be slow */
				ck_abort_msg("spans %zu and %zu overlap on lane %zu", i, j, a->lane);
		}
}

START_TEST(nested_share_a_lane)
{
	struct ts_interval iv[] = {{10, 20, 0}, {0, 100, 0}, {30, 40, 0}, {32, 35, 0}};
	ck_assert_uint_eq(ts_pack_lanes(iv, 4), 1);
	assert_valid(iv, 4);
}
END_TEST

START_TEST(overlapping_get_their_own)
{
	/* Two concurrent children of one parent. */
	struct ts_interval iv[] = {{0, 100, 0}, {10, 60, 0}, {50, 90, 0}};
	ck_assert_uint_eq(ts_pack_lanes(iv, 3), 2);
	assert_valid(iv, 3);
	ck_assert_uint_eq(iv[0].lane, iv[1].lane);
	ck_assert_uint_ne(iv[1].lane, iv[2].lane);
}
END_TEST

START_TEST(random_intervals_always_valid)
{
	unsigned seed = 7;
	enum { N = 300 };
	struct ts_interval iv[N];
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < N; i++) {
			uint64_t a = (uint64_t)(rand_r(&seed) % 1000), d = (uint64_t)(rand_r(&seed) % 200);
			iv[i] = (struct ts_interval){a, a + d, 0};
		}
		ck_assert_uint_gt(ts_pack_lanes(iv, N), 0);
		assert_valid(iv, N);
	}
	ck_assert_uint_eq(ts_pack_lanes(iv, 0), 0);
}
END_TEST

/* Perfetto drops slices nested 512 deep: a deeper chain continues on another lane. */
START_TEST(deep_nesting_is_split)
{
	enum { N = 1100 };
	static struct ts_interval iv[N];
	for (size_t i = 0; i < N; i++)
		iv[i] = (struct ts_interval){i, 10 * N - i, 0};
	size_t lanes = ts_pack_lanes(iv, N);
	ck_assert_uint_ge(lanes, 3);
	size_t per_lane[N] = {0};
	for (size_t i = 0; i < N; i++)
		per_lane[iv[i].lane]++;
	for (size_t l = 0; l < lanes; l++)
		ck_assert_uint_le(per_lane[l], TS_LANE_MAX_DEPTH);
	assert_valid(iv, N);
}
END_TEST

/* A staircase (each span overlaps the next without nesting) needs a lane per
 * span; packing stays linear in the number of lanes it looks at. */
START_TEST(staircase_packs)
{
	enum { N = 20000 };
	struct ts_interval *iv = malloc(N * sizeof *iv);
	for (size_t i = 0; i < N; i++)
		iv[i] = (struct ts_interval){i, i + N, 0};
	ck_assert_uint_eq(ts_pack_lanes(iv, N), N);
	free(iv);
}
END_TEST

TS_CHECK_SUITE("lanes",
	       deep_nesting_is_split,
	       staircase_packs,
	       nested_share_a_lane,
	       overlapping_get_their_own,
	       random_intervals_always_valid)
