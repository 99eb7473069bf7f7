/* The per-thread ring and the chunk pool it takes its slots from:
 * publishing, records that never straddle two chunks (padding), dropping
 * and counting when the ring or the pool is full, the reserve kept for
 * structural records, the nested-append guard a signal handler relies on,
 * and the pool handing back the chunk freed last first. */
#include "check_main.h"
#include "ring.h"

#include <stdlib.h>

struct fixture {
	struct ts_pool pool;
	struct ts_pool_view view;
	struct ts_ring ring;
};

static struct fixture *make(uint32_t nchunks)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->pool.nchunks = nchunks;
	f->view.pool = &f->pool;
	f->view.next = calloc(nchunks, sizeof *f->view.next);
	f->view.chunks = calloc((size_t)nchunks * TS_CHUNK_RECS, sizeof(struct ts_rec));
	f->view.nchunks = nchunks;
	f->ring.pool = &f->view;
	f->ring.cap = (TS_RING_CHUNKS - 1) * TS_CHUNK_RECS;
	return f;
}

static void unmake(struct fixture *f)
{
	free((void *)f->view.next);
	free(f->view.chunks);
	free(f);
}

static int append(struct ts_ring *r, uint32_t tag, unsigned ext, int structural)
{
	struct ts_rec *rec = ts_ring_reserve(r, ext, structural);
	if (!rec)
		return 0;
	rec->type = TS_REC_SPAN;
	rec->ext = (uint8_t)ext;
	rec->span = tag;
	ts_ring_commit(r, 1 + ext);
	return 1;
}

/* What the consumer does: walks the records, skipping padding, and gives a
 * chunk back once read to its end. Returns the tags seen. */
static unsigned consume(struct fixture *f, uint32_t *tags, unsigned max)
{
	struct ts_ring *r = &f->ring;
	uint64_t tail = atomic_load(&r->tail), head = atomic_load(&r->head);
	unsigned n = 0;
	while (tail < head) {
		const struct ts_rec *rec = ts_ring_at(r, &f->view, tail);
		uint64_t end = (tail | (TS_CHUNK_RECS - 1)) + 1;
		ck_assert_uint_le(tail + 1 + rec->ext, end);   /* never straddles */
		if (rec->type == TS_REC_SPAN && n < max)
			tags[n++] = rec->span;
		uint32_t chunk = atomic_load(&r->table[(tail >> TS_CHUNK_SHIFT) % TS_RING_CHUNKS]);
		tail += 1 + rec->ext;
		if (tail == end)
			ts_pool_give(&f->view, chunk);
	}
	atomic_store(&r->tail, tail);
	return n;
}

START_TEST(publishes_in_order)
{
	struct fixture *f = make(8);
	for (uint32_t i = 0; i < 100; i++)
		ck_assert(append(&f->ring, i, 0, 0));
	ck_assert_uint_eq(atomic_load(&f->ring.head), 100);
	uint32_t tags[100];
	ck_assert_uint_eq(consume(f, tags, 100), 100);
	for (uint32_t i = 0; i < 100; i++)
		ck_assert_uint_eq(tags[i], i);
	ck_assert_uint_eq(atomic_load(&f->ring.dropped), 0);
	/* The first chunk was read to its end and went back; the second is
	 * still the ring's. */
	ck_assert_uint_eq(atomic_load(&f->pool.out), 1);
	unmake(f);
}
END_TEST

START_TEST(record_never_straddles_two_chunks)
{
	struct fixture *f = make(8);
	for (uint32_t i = 0; i < 60; i++)
		ck_assert(append(&f->ring, i, 0, 0));
	/* 5 slots do not fit in the 4 left: padding fills them first. */
	struct ts_rec *rec = ts_ring_reserve(&f->ring, 4, 0);
	ck_assert_ptr_nonnull(rec);
	char text[256];
	for (int i = 0; i < 256; i++)
		text[i] = (char)('a' + i % 26);
	rec->type = TS_REC_SPAN;
	rec->ext = 4;
	rec->span = 60;
	ts_ring_put_payload(&f->ring, rec, text, sizeof text);
	ts_ring_commit(&f->ring, 5);
	ck_assert_uint_eq(atomic_load(&f->ring.head), 64 + 5);
	const struct ts_rec *pad = ts_ring_at(&f->ring, &f->view, 60);
	ck_assert_uint_eq(pad->type, TS_REC_PAD);
	ck_assert_uint_eq(pad->ext, 3);
	ck_assert_ptr_eq(rec, ts_ring_at(&f->ring, &f->view, 64));
	ck_assert_mem_eq(rec + 1, text, sizeof text);
	uint32_t tags[64];
	ck_assert_uint_eq(consume(f, tags, 64), 61);
	ck_assert_uint_eq(tags[60], 60);
	unmake(f);
}
END_TEST

START_TEST(full_ring_drops_and_counts)
{
	struct fixture *f = make(8);
	f->ring.cap = 128;
	int ok = 0;
	for (int i = 0; i < 200; i++)
		ok += append(&f->ring, (uint32_t)i, 0, 0);
	/* Ordinary records stop short of the reserve. */
	ck_assert_int_eq(ok, 128 - TS_RING_RESERVE);
	ck_assert_uint_eq(atomic_load(&f->ring.dropped), 200 - (128 - TS_RING_RESERVE));
	/* Structural records may use the reserve. */
	ck_assert(append(&f->ring, 999, 0, 1));
	/* Once the consumer frees space, appends succeed again. */
	uint32_t tags[200];
	consume(f, tags, 200);
	ck_assert(append(&f->ring, 1000, 0, 0));
	unmake(f);
}
END_TEST

START_TEST(empty_pool_drops_and_counts)
{
	struct fixture *f = make(2);
	int ok = 0;
	for (int i = 0; i < 200; i++)
		ok += append(&f->ring, (uint32_t)i, 0, 0);
	ck_assert_int_eq(ok, 2 * TS_CHUNK_RECS);
	ck_assert_uint_eq(atomic_load(&f->ring.dropped), 200 - 2 * TS_CHUNK_RECS);
	uint32_t tags[200];
	ck_assert_uint_eq(consume(f, tags, 200), 2 * TS_CHUNK_RECS);
	ck_assert_uint_eq(atomic_load(&f->pool.out), 0);
	ck_assert(append(&f->ring, 1, 0, 0));
	unmake(f);
}
END_TEST

START_TEST(nested_append_is_dropped)
{
	struct fixture *f = make(8);
	struct ts_rec *outer = ts_ring_reserve(&f->ring, 0, 0);
	ck_assert_ptr_nonnull(outer);
	/* What a signal handler arriving mid-append would do. */
	ck_assert_ptr_null(ts_ring_reserve(&f->ring, 0, 0));
	ck_assert_uint_eq(atomic_load(&f->ring.dropped), 1);
	ts_ring_commit(&f->ring, 1);
	ck_assert_uint_eq(atomic_load(&f->ring.head), 1);
	ck_assert(append(&f->ring, 7, 0, 0));
	unmake(f);
}
END_TEST

START_TEST(pool_hands_back_the_last_freed_first)
{
	struct fixture *f = make(4);
	uint32_t a = ts_pool_take(&f->view), b = ts_pool_take(&f->view);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 1);
	ts_pool_give(&f->view, a);
	ts_pool_give(&f->view, b);
	ck_assert_uint_eq(ts_pool_take(&f->view), b);   /* warm pages first */
	ck_assert_uint_eq(ts_pool_take(&f->view), a);
	ck_assert_uint_eq(ts_pool_take(&f->view), 2);
	ck_assert_uint_eq(ts_pool_take(&f->view), 3);
	ck_assert_uint_eq(ts_pool_take(&f->view), UINT32_MAX);
	ck_assert_uint_eq(atomic_load(&f->pool.out), 4);
	/* A damaged number is refused, never written through. */
	ts_pool_give(&f->view, 99);
	ck_assert_uint_eq(atomic_load(&f->pool.out), 4);
	unmake(f);
}
END_TEST

TS_CHECK_SUITE("ring",
	       publishes_in_order,
	       record_never_straddles_two_chunks,
	       full_ring_drops_and_counts,
	       empty_pool_drops_and_counts,
	       nested_append_is_dropped,
	       pool_hands_back_the_last_freed_first)
