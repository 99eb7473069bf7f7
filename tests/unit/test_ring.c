/* The per-thread ring: publishing, wrap-around with payload slots, dropping
 * and counting when full, the reserve kept for structural records, and the
 * nested-append guard a signal handler relies on. */
#include "check_main.h"
#include "ring.h"

#include <stdlib.h>

static struct ts_ring *make_ring(unsigned cap)
{
	struct ts_ring *r = calloc(1, sizeof *r);
	r->slots = calloc(cap, sizeof(struct ts_rec));
	r->mask = cap - 1;
	return r;
}

static void free_ring(struct ts_ring *r)
{
	free(r->slots);
	free(r);
}

static int append(struct ts_ring *r, uint32_t tag, int structural)
{
	struct ts_rec *rec = ts_ring_reserve(r, 0, structural);
	if (!rec)
		return 0;
	rec->span = tag;
	ts_ring_commit(r, 1);
	return 1;
}

START_TEST(publishes_in_order)
{
	struct ts_ring *r = make_ring(64);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert(append(r, i, 0));
	ck_assert_uint_eq(atomic_load(&r->head), 10);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_uint_eq(r->slots[i].span, i);
	ck_assert_uint_eq(atomic_load(&r->dropped), 0);
	free_ring(r);
}
END_TEST

START_TEST(full_ring_drops_and_counts)
{
	struct ts_ring *r = make_ring(64);
	int ok = 0;
	for (int i = 0; i < 100; i++)
		ok += append(r, (uint32_t)i, 0);
	/* Ordinary records stop short of the reserve. */
	ck_assert_int_eq(ok, 64 - TS_RING_RESERVE);
	ck_assert_uint_eq(atomic_load(&r->dropped), 100 - (64 - TS_RING_RESERVE));
	/* Structural records may use the reserve. */
	ck_assert(append(r, 999, 1));
	/* Once the consumer frees space, appends succeed again. */
	atomic_store(&r->tail, 32);
	ck_assert(append(r, 1000, 0));
	free_ring(r);
}
END_TEST

START_TEST(nested_append_is_dropped)
{
	struct ts_ring *r = make_ring(64);
	struct ts_rec *outer = ts_ring_reserve(r, 0, 0);
	ck_assert_ptr_nonnull(outer);
	/* What a signal handler arriving mid-append would do. */
	ck_assert_ptr_null(ts_ring_reserve(r, 0, 0));
	ck_assert_uint_eq(atomic_load(&r->dropped), 1);
	ts_ring_commit(r, 1);
	ck_assert_uint_eq(atomic_load(&r->head), 1);
	ck_assert(append(r, 7, 0));
	free_ring(r);
}
END_TEST

START_TEST(payload_wraps_around)
{
	struct ts_ring *r = make_ring(32);
	/* Move head and tail close to the end so the payload wraps. */
	atomic_store(&r->head, 30);
	atomic_store(&r->tail, 30);
	r->tail_seen = 30;
	char text[150];
	for (int i = 0; i < 150; i++)
		text[i] = (char)('a' + i % 26);
	struct ts_rec *rec = ts_ring_reserve(r, 3, 0);
	ck_assert_ptr_nonnull(rec);
	ck_assert_ptr_eq(rec, &r->slots[30]);
	ts_ring_put_payload(r, rec, text, sizeof text);
	ts_ring_commit(r, 4);
	char back[192];
	for (unsigned i = 0; i < 3; i++)
		memcpy(back + i * 64, &r->slots[(31 + i) & 31], 64);
	ck_assert_mem_eq(back, text, sizeof text);
	ck_assert_uint_eq(atomic_load(&r->head), 34);
	free_ring(r);
}
END_TEST

TS_CHECK_SUITE("ring",
	       publishes_in_order,
	       full_ring_drops_and_counts,
	       nested_append_is_dropped,
	       payload_wraps_around)
