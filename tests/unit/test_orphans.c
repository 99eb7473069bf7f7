/* Children waiting for their parent: bounded, the longest-waiting forgotten first. */
#include "check_main.h"
#include "orphans.h"

#include <malloc.h>
#include <stdlib.h>

static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

START_TEST(memory_stays_bounded_and_oldest_go_first)
{
	size_t before = heap_in_use();
	struct ts_orphans *o = ts_orphans_new();
	size_t n = 2 * (size_t)TS_ORPHANS_MAX + 1000;
	for (size_t i = 1; i <= n; i++)
		ck_assert(ts_orphans_add(o, 1000000 + i, i));
	/* 24 bytes a child and a table index: far below what n children would take. */
	ck_assert_uint_lt(heap_in_use() - before, (size_t)TS_ORPHANS_MAX * 48);
	uint64_t *ids;
	ck_assert_uint_eq(ts_orphans_take(o, 1000000 + 1, &ids), 0);   /* the oldest: forgotten */
	ck_assert_ptr_null(ids);
	ck_assert_uint_eq(ts_orphans_take(o, 1000000 + n, &ids), 1);   /* the newest: kept */
	ck_assert_uint_eq(ids[0], n);
	free(ids);
	ck_assert_uint_eq(ts_orphans_count(o), TS_ORPHANS_MAX - 1);
	ck_assert_uint_eq(ts_orphans_evicted(o), n - TS_ORPHANS_MAX);
	ts_orphans_free(o);
}
END_TEST

START_TEST(many_children_of_one_parent)
{
	struct ts_orphans *o = ts_orphans_new();
	for (uint64_t i = 1; i <= 100; i++)
		ck_assert(ts_orphans_add(o, i % 2 ? 7 : 8, i));
	uint64_t *ids;
	ck_assert_uint_eq(ts_orphans_take(o, 7, &ids), 50);
	for (size_t i = 0; i < 50; i++)
		ck_assert_uint_eq(ids[i] % 2, 1);
	free(ids);
	ck_assert_uint_eq(ts_orphans_take(o, 7, &ids), 0);   /* taken once */
	ck_assert_uint_eq(ts_orphans_take(o, 8, &ids), 50);
	free(ids);
	/* Slots freed by taking are used again: the table never runs dry. */
	for (uint64_t i = 1; i <= (uint64_t)TS_ORPHANS_MAX + 1000; i++) {
		ck_assert(ts_orphans_add(o, 5000 + i, i));
		ck_assert_uint_eq(ts_orphans_take(o, 5000 + i, &ids), 1);
		free(ids);
	}
	ts_orphans_free(o);
}
END_TEST

TS_CHECK_SUITE("orphans",
	       memory_stays_bounded_and_oldest_go_first,
	       many_children_of_one_parent)
