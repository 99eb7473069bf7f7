/* Deferred conversion (agent/spool.h, agent/defer.h, the consumer's cycle):
 * records read into the spool leave the rings at once, wait, and are
 * converted later cycle by cycle, as the cycles that read them would have;
 * a span begun on one thread and ended on another in a later cycle still
 * goes out whole; the process's last cycle converts everything; beyond
 * TRACESHIM_DEFER_MB the rings keep their records until the spool is
 * converted. */
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "consume.h"
#include "defer.h"
#include "ids.h"
#include "ops.h"
#include "perfetto.h"
#include "registry.h"
#include "sink.h"
#include "spool.h"
#include "tracks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNKS_EACH 8   /* ring chunks of each of the two threads */
#define CHUNKS (2 * CHUNKS_EACH)

static struct ts_rec chunks[CHUNKS * TS_CHUNK_RECS];
static _Atomic uint32_t links[CHUNKS];
static struct ts_pool pool = {.nchunks = CHUNKS};
static struct ts_pool_view view = {&pool, links, chunks, CHUNKS};
static struct ts_thread thread_a, thread_b;

static struct ts_thread *new_thread(int slot, struct ts_thread *t, uint32_t index)
{
	memset(t, 0, sizeof *t);
	t->index = index;
	t->tid = getpid() + (pid_t)index;
	snprintf(t->name, sizeof t->name, "t%u", index);
	t->ring.pool = &view;
	t->ring.cap = CHUNKS_EACH * TS_CHUNK_RECS;
	for (uint32_t i = 0; i < CHUNKS_EACH; i++)
		atomic_store(&t->ring.table[i], (uint32_t)slot * CHUNKS_EACH + i);
	atomic_store(&t->state, TS_SLOT_LIVE);
	atomic_store(&ts_threads[slot], t);
	return t;
}

static char output[64];

static void remove_output(void)
{
	unlink(output);
}

static void setup(void)
{
	ts_clock_init(false);
	ts_ids_init();
	ts_cfg.perfetto = true;
	ts_cfg.compress = false;   /* the file is searched for names */
	snprintf(output, sizeof output, "/tmp/test_spool.%d.pftrace", (int)getpid());
	snprintf(ts_cfg.output, sizeof ts_cfg.output, "%s", output);
	unlink(output);
	atexit(remove_output);
	ck_assert(ts_sink_open(true));
	ts_cfg.defer = TS_DEFER_ALWAYS;
	ts_cfg.defer_mb = 64;
	ts_consume_may_defer = true;
	ts_consume_pool = &view;
	pb_clear(ts_pf_batch());
	ts_tracks_begin_process();
	memset(chunks, 0, sizeof chunks);
}

static void put(struct ts_thread *t, struct ts_rec r)
{
	uint64_t h = atomic_load(&t->ring.head);
	r.t0 = r.t0 ? r.t0 : ts_ticks();
	ck_assert_uint_lt(h, CHUNKS_EACH * TS_CHUNK_RECS);
	*ts_ring_at(&t->ring, t->ring.pool, h) = r;
	atomic_store(&t->ring.head, h + 1);
}

static void begin_thread(struct ts_thread *t)
{
	put(t, (struct ts_rec){.type = TS_REC_THREAD_BEGIN, .span = 1, .aux2 = 1, .fd = -1});
}

static void begin_async(struct ts_thread *t, uint32_t span, const char *name)
{
	struct ts_rec r = {.type = TS_REC_USER_BEGIN, .span = span, .parent = 1, .fd = -1,
			   .kind = TS_USER_NAME_INLINE, .aux_kind = TS_USER_ASYNC};
	r.t0 = ts_ticks();
	snprintf(ts_rec_inline_name(&r), TS_INLINE_NAME, "%s", name);
	put(t, r);
}

static void write_call(struct ts_thread *t, uint32_t span)
{
	uint64_t now = ts_ticks();
	put(t, (struct ts_rec){.type = TS_REC_SPAN, .op = TS_OP_WRITE, .t0 = now, .t1 = now + 10,
			       .span = span, .parent = 1, .fd = 1, .fdgen = 1, .ret = 3, .arg = 3});
}

/* In the file written, or in the batch not written yet. */
static bool batch_has(const char *text)
{
	struct pb *b = ts_pf_batch();
	if (b->len && memmem(b->data, b->len, text, strlen(text)))
		return true;
	static char file[1 << 20];
	FILE *f = fopen(output, "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(file, 1, sizeof file, f);
	fclose(f);
	return memmem(file, n, text, strlen(text)) != NULL;
}

static bool ring_empty(const struct ts_thread *t)
{
	return atomic_load(&t->ring.head) == atomic_load(&t->ring.tail);
}

START_TEST(records_wait_out_of_the_rings_then_convert_as_read)
{
	struct ts_thread *a = new_thread(0, &thread_a, 1);
	struct ts_thread *b = new_thread(1, &thread_b, 2);
	begin_thread(a);
	begin_async(a, 2, "job");
	ts_consume_cycle(false);
	/* Out of the ring, not converted. */
	ck_assert(ring_empty(a));
	ck_assert(!batch_has("job"));
	ck_assert_uint_gt(ts_spool_bytes(), 0);
	/* Ended on the other thread, three cycles later. */
	ts_consume_cycle(false);
	ts_consume_cycle(false);
	begin_thread(b);
	put(b, (struct ts_rec){.type = TS_REC_USER_END, .aux_kind = TS_USER_ASYNC, .fd = -1,
			       .arg = (uint64_t)a->index << 32 | 2});
	ts_consume_cycle(false);
	ck_assert(ring_empty(b));
	ck_assert(!batch_has("job"));
	/* No longer deferred: every cycle waiting is converted, in order. */
	ts_cfg.defer = TS_DEFER_OFF;
	ts_consume_cycle(false);
	ck_assert_uint_eq(ts_spool_bytes(), 0);
	ck_assert(batch_has("job"));
	ck_assert(batch_has("async 1"));
}
END_TEST

START_TEST(the_last_cycle_converts_what_waits)
{
	struct ts_thread *a = new_thread(0, &thread_a, 1);
	begin_thread(a);
	write_call(a, 2);
	ts_consume_cycle(false);
	ck_assert(!batch_has("write"));
	write_call(a, 3);   /* still in the ring at the end */
	ts_consume_cycle(true);
	ck_assert(ring_empty(a));
	ck_assert_uint_eq(ts_spool_bytes(), 0);
	ck_assert(batch_has("write"));
}
END_TEST

START_TEST(beyond_the_bound_the_rings_keep_their_records)
{
	struct ts_thread *a = new_thread(0, &thread_a, 1);
	ts_cfg.defer_mb = 1;
	begin_thread(a);
	/* A block a cycle: the bound is reached after 1 MiB of them. */
	unsigned cycles = 0;
	while (!ts_defer_over(ts_spool_bytes())) {
		write_call(a, 2 + cycles);
		ts_consume_cycle(false);
		ck_assert(ring_empty(a));
		ck_assert_uint_lt(++cycles, CHUNKS_EACH * TS_CHUNK_RECS - 2);
	}
	ck_assert(!batch_has("write"));
	/* The next cycle converts what waits, then reads the ring itself. */
	write_call(a, 2 + cycles);
	ts_consume_cycle(false);
	ck_assert(batch_has("write"));
	ck_assert_uint_eq(ts_spool_bytes(), 0);
	ck_assert(ring_empty(a));
}
END_TEST

START_TEST(spool_keeps_runs_in_order)
{
	struct ts_rec r[3] = {{.span = 1}, {.span = 2}, {.span = 3}};
	ck_assert_ptr_null(ts_spool_first());
	ck_assert(ts_spool_put(4, r, 2));
	ck_assert(ts_spool_put(4, r + 2, 1));   /* the same ring: one block */
	ck_assert(ts_spool_put(5, r, 1));
	ts_spool_cycle_end();
	ck_assert(ts_spool_put(5, r + 1, 1));   /* a new cycle: a block of its own */
	const struct ts_spool_block *b = ts_spool_first();
	ck_assert_uint_eq(b->slot, 4);
	ck_assert_uint_eq(b->n, 3);
	ck_assert_uint_eq(b->recs[2].span, 3);
	ck_assert(!b->cycle_end);
	ck_assert_uint_eq(ts_spool_bytes(), 3 * sizeof *b);
	ts_spool_pop();
	b = ts_spool_first();
	ck_assert_uint_eq(b->slot, 5);
	ck_assert(b->cycle_end);
	ts_spool_pop();
	b = ts_spool_first();
	ck_assert_uint_eq(b->recs[0].span, 2);
	ck_assert(!ts_spool_put(5, r, TS_CHUNK_RECS + 1));
	ts_spool_reset();
	ck_assert_ptr_null(ts_spool_first());
	ck_assert_uint_eq(ts_spool_bytes(), 0);
}
END_TEST

START_TEST(defer_setting_is_read)
{
	ts_config_load();
	ck_assert_int_eq(ts_cfg.defer, TS_DEFER_OFF);
	ck_assert_uint_eq(ts_cfg.defer_mb, 64);
	setenv("TRACESHIM_DEFER", "always", 1);
	setenv("TRACESHIM_DEFER_MB", "8", 1);
	ts_config_load();
	ck_assert_int_eq(ts_cfg.defer, TS_DEFER_ALWAYS);
	ck_assert(ts_defer_wanted(0));
	ck_assert(!ts_defer_wanted(8u << 20));   /* at the bound */
	setenv("TRACESHIM_DEFER", "off", 1);
	ts_config_load();
	ck_assert(!ts_defer_wanted(0));
	setenv("TRACESHIM_DEFER", "auto", 1);
	ts_config_load();
	ck_assert_int_eq(ts_cfg.defer, TS_DEFER_AUTO);
	setenv("TRACESHIM_DEFER", "later", 1);   /* not a value: off */
	setenv("TRACESHIM_DEFER_MB", "0", 1);
	ts_config_load();
	ck_assert_int_eq(ts_cfg.defer, TS_DEFER_OFF);
	ck_assert_uint_eq(ts_cfg.defer_mb, 64);
}
END_TEST

TS_CHECK_SUITE_SETUP("spool", setup, records_wait_out_of_the_rings_then_convert_as_read,
		     the_last_cycle_converts_what_waits, beyond_the_bound_the_rings_keep_their_records,
		     spool_keeps_runs_in_order, defer_setting_is_read)
