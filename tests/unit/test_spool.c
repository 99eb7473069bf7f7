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

/* A write call whose sizes and times pack poorly: a few of its words
 * differ from the last one's in every byte. */
static struct ts_rec noisy_write(uint32_t span, uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	uint64_t now = ts_ticks();
	return (struct ts_rec){.type = TS_REC_SPAN, .op = TS_OP_WRITE, .t0 = now, .t1 = now + 10,
			       .span = span, .parent = 1, .fd = 1, .fdgen = 1,
			       .ret = (int64_t)(*seed >> 1), .arg = *seed | 1ull << 63};
}

START_TEST(beyond_the_bound_the_rings_keep_their_records)
{
	struct ts_thread *a = new_thread(0, &thread_a, 1);
	ts_cfg.defer_mb = 1;
	begin_thread(a);
	ts_consume_cycle(false);
	/* 1 MiB waiting, packed, put as cycles would. */
	struct ts_rec run[TS_CHUNK_RECS];
	uint64_t seed = 1;
	uint32_t span = 2;
	while (!ts_defer_over(ts_spool_bytes())) {
		for (unsigned i = 0; i < TS_CHUNK_RECS; i++)
			run[i] = noisy_write(span++, &seed);
		ck_assert(ts_spool_put(0, run, TS_CHUNK_RECS));
		ts_spool_cycle_end();
		ck_assert_uint_lt(span, 1u << 20);
	}
	ck_assert(!batch_has("write"));
	/* The next cycle leaves the ring as it is, converts what waits, then
	 * reads the ring itself. */
	write_call(a, span);
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
	ck_assert(ts_spool_put(4, r, 3));
	ck_assert(ts_spool_put(5, r, 1));
	ts_spool_cycle_end();
	ck_assert(ts_spool_put(5, r + 1, 1));   /* a new cycle */
	const struct ts_spool_block *b = ts_spool_first();
	ck_assert_uint_eq(b->slot, 4);
	ck_assert_uint_eq(b->n, 3);
	ck_assert_uint_eq(b->recs[2].span, 3);
	ck_assert(!b->cycle_end);
	/* Packed: records of zeros but a number take a few bytes each. */
	ck_assert_uint_gt(ts_spool_bytes(), 0);
	ck_assert_uint_lt(ts_spool_bytes(), 5 * sizeof(struct ts_rec));
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

/* Whatever the records hold (payload slots, an ext past the run's end,
 * bytes at random), put and taken back in any order of rings and cycles,
 * with runs unpacked while others are still being put: each block is the
 * run that was put, byte for byte. */
START_TEST(spool_gives_back_every_byte_it_took)
{
	enum { PUTS = 3000 };
	static struct ts_rec sent[PUTS][8];
	static unsigned slot_of[PUTS], n_of[PUTS];
	uint64_t seed = 7;
	unsigned put_at = 0, taken = 0;
#define NEXT() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33)
	while (taken < PUTS) {
		if (put_at < PUTS && NEXT() % 3) {
			unsigned n = 1 + (unsigned)NEXT() % 8, slot = (unsigned)NEXT() % 3;
			for (unsigned i = 0; i < n; i++) {
				struct ts_rec *r = &sent[put_at][i];
				uint64_t kind = NEXT() % 4;
				memset(r, 0, sizeof *r);
				if (kind == 0) {   /* bytes at random */
					for (unsigned b = 0; b < sizeof *r; b++)
						((uint8_t *)r)[b] = (uint8_t)NEXT();
				} else {           /* calls that differ a little */
					r->type = TS_REC_SPAN;
					r->op = (uint16_t)(TS_OP_WRITE + kind);
					r->t0 = 1000000 + put_at * 5000 + i * 100;
					r->t1 = r->t0 + NEXT() % 3000;
					r->span = put_at * 8 + i;
					r->fd = (int32_t)kind + 3;
					r->ret = (int64_t)(NEXT() % 2 ? 4096 : -1);
					r->ext = (uint8_t)(kind == 3 ? NEXT() % 4 : 0);
				}
			}
			slot_of[put_at] = slot;
			n_of[put_at] = n;
			ck_assert(ts_spool_put(slot, sent[put_at], n));
			put_at++;
			if (NEXT() % 4 == 0)
				ts_spool_cycle_end();
			continue;
		}
		if (taken == put_at)
			continue;
		const struct ts_spool_block *b = ts_spool_first();
		ck_assert_ptr_nonnull(b);
		ck_assert_uint_eq(b->slot, slot_of[taken]);
		ck_assert_uint_eq(b->n, n_of[taken]);
		ck_assert_mem_eq(b->recs, sent[taken], n_of[taken] * sizeof(struct ts_rec));
		taken++;
		ts_spool_pop();
	}
#undef NEXT
	ck_assert_ptr_null(ts_spool_first());
	ck_assert_uint_eq(ts_spool_bytes(), 0);
}
END_TEST

/* What a web server's thread records for a request (a receive, an open
 * with its path, a status, a header write, a file copy, a log write, a
 * close), 2,000 times over, waits in under a fifth of its size. */
START_TEST(a_server_loop_packs_to_a_fifth)
{
	static const uint16_t ops[] = {TS_OP_RECV, TS_OP_OPEN, TS_OP_FSTAT, TS_OP_WRITEV,
				       TS_OP_SENDFILE, TS_OP_WRITE, TS_OP_CLOSE};
	struct ts_rec run[2 * 8];
	uint64_t now = 123456789, raw = 0;
	uint32_t span = 2, gen = 1;
	for (unsigned req = 0; req < 2000; req++) {
		unsigned n = 0;
		for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
			struct ts_rec *r = &run[n++];
			*r = (struct ts_rec){.type = TS_REC_SPAN, .op = ops[i], .t0 = now, .t1 = now + 900 + i,
					     .span = span++, .parent = 1, .fd = i == 0 || i == 3 ? 9 : 12,
					     .fdgen = i == 1 ? ++gen : gen, .ret = 4096, .arg = 4096};
			now += 2500 + req % 7;
			if (ops[i] == TS_OP_OPEN) {
				r->ext = 1;
				memset(&run[n], 0, sizeof run[n]);
				snprintf((char *)&run[n++], sizeof(struct ts_rec), "/srv/www/file.txt");
			}
		}
		ck_assert(ts_spool_put(0, run, n));
		ts_spool_cycle_end();
		raw += n * sizeof(struct ts_rec);
	}
	ck_assert_uint_lt(ts_spool_bytes() * 5, raw);
	ts_spool_reset();
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
		     spool_keeps_runs_in_order, spool_gives_back_every_byte_it_took,
		     a_server_loop_packs_to_a_fifth, defer_setting_is_read)
