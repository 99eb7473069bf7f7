/* The drain side's tracks, driven with hand-made records: what the program
 * left open on a thread ends with the thread, a span ended on another thread
 * goes out whole on an async lane, and a crash is an exception on the thread
 * and the thread span's error. The Perfetto batch the exporters got is read
 * back: well formed, every slice of the threads closed. */
#include "asyncspan.h"
#include "attrpack.h"
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "ids.h"
#include "perfetto.h"
#include "tracks.h"

#include "../fuzz/trace_check.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SLOTS TS_CHUNK_RECS   /* one chunk a thread: the tests write less */

static struct ts_rec slots_a[SLOTS], slots_b[SLOTS];
static _Atomic uint32_t links_a[1], links_b[1];
static struct ts_pool pool_a = {.nchunks = 1}, pool_b = {.nchunks = 1};
static struct ts_pool_view view_a = {&pool_a, links_a, slots_a, 1};
static struct ts_pool_view view_b = {&pool_b, links_b, slots_b, 1};
static struct ts_thread thread_a, thread_b;

static void setup(void)
{
	ts_clock_init(false);
	ts_ids_init();
	ts_cfg.perfetto = true;   /* into the batch; no file is opened */
	pb_clear(ts_pf_batch());
	ts_tracks_begin_process();
}

static struct ts_thread *new_thread(struct ts_thread *t, struct ts_rec *slots, uint32_t index)
{
	memset(t, 0, sizeof *t);
	memset(slots, 0, SLOTS * sizeof *slots);
	t->index = index;
	t->tid = getpid() + (pid_t)index;
	snprintf(t->name, sizeof t->name, "t%u", index);
	t->ring.pool = slots == slots_a ? &view_a : &view_b;
	t->ring.cap = SLOTS;
	atomic_store(&t->ring.table[0], 0);   /* the pool's only chunk */
	atomic_store(&t->state, TS_SLOT_LIVE);
	return t;
}

/* Appends r as the thread's producer would. */
static void put(struct ts_thread *t, struct ts_rec r)
{
	uint64_t h = atomic_load(&t->ring.head);
	r.t0 = r.t0 ? r.t0 : ts_ticks();
	ck_assert_uint_lt(h, SLOTS);
	*ts_ring_at(&t->ring, t->ring.pool, h) = r;
	atomic_store(&t->ring.head, h + 1);
}

/* r with a payload in the slots after it (its length in aux). */
static void put_payload(struct ts_thread *t, struct ts_rec r, const void *data, unsigned len)
{
	r.ext = (uint8_t)((len + TS_REC_SIZE - 1) / TS_REC_SIZE);
	r.aux = len;
	put(t, r);
	for (unsigned i = 0; i < r.ext; i++) {
		struct ts_rec slot = {0};
		unsigned n = len - i * TS_REC_SIZE < TS_REC_SIZE ? len - i * TS_REC_SIZE : TS_REC_SIZE;
		memcpy(&slot, (const char *)data + i * TS_REC_SIZE, n);
		uint64_t h = atomic_load(&t->ring.head);
		ck_assert_uint_lt(h, SLOTS);
		*ts_ring_at(&t->ring, t->ring.pool, h) = slot;
		atomic_store(&t->ring.head, h + 1);
	}
}

static void begin_thread(struct ts_thread *t)
{
	put(t, (struct ts_rec){.type = TS_REC_THREAD_BEGIN, .span = 1, .aux2 = 1, .fd = -1});
}

static void end_thread(struct ts_thread *t)
{
	put(t, (struct ts_rec){.type = TS_REC_THREAD_END, .span = 1, .fd = -1});
}

/* A span of the program's (traceshim.h), its name in the record itself. */
static void begin_span(struct ts_thread *t, uint32_t span, const char *name, bool async)
{
	struct ts_rec r = {.type = TS_REC_USER_BEGIN, .span = span, .parent = 1, .fd = -1,
			   .kind = TS_USER_NAME_INLINE, .aux_kind = async ? TS_USER_ASYNC : 0};
	r.t0 = ts_ticks();
	snprintf(ts_rec_inline_name(&r), TS_INLINE_NAME, "%s", name);
	put(t, r);
}

static struct ts_track_ctx *drain(int slot, struct ts_thread *t)
{
	struct ts_track_ctx *c = ts_tracks_of(slot, t);
	ts_drain_ring(c, t);
	return c;
}

static bool batch_has(const char *text)
{
	struct pb *b = ts_pf_batch();
	return b->len && memmem(b->data, b->len, text, strlen(text)) != NULL;
}

static void assert_threads_closed(void)
{
	struct pb *b = ts_pf_batch();
	ck_assert(pb_ok(b));
	struct tc_ctx tc = {0};
	const char *err = tc_check(&tc, b->data, b->len);
	ck_assert_msg(err == NULL, "%s", err);
	/* Only the process span is left: it ends with the process. */
	ck_assert_int_eq(tc_open_slices(&tc), 1);
	tc_free(&tc);
}

START_TEST(open_span_ends_with_its_thread)
{
	struct ts_thread *a = new_thread(&thread_a, slots_a, 1);
	begin_thread(a);
	begin_span(a, 2, "work", false);
	/* ts_span_error() on it: the error waits for the span's end. */
	char payload[256];
	const ts_attribute_t msg = ts_str("exception.message", "bad input");
	unsigned len = ts_attrs_pack(payload, sizeof payload, "ValueError", &msg, 1);
	put_payload(a, (struct ts_rec){.type = TS_REC_USER_NOTE, .op = TS_NOTE_ERROR, .fd = -1,
				       .arg = (uint64_t)a->index << 32 | 2}, payload, len);
	end_thread(a);   /* "work" never ended */
	struct ts_track_ctx *c = drain(0, a);
	ck_assert(batch_has("work"));
	/* It ended with the thread, as the program's span: with its error. */
	ck_assert(batch_has("otel.status_description"));
	ck_assert_uint_eq(c->open_spans, 0);
	assert_threads_closed();
}
END_TEST

START_TEST(span_ended_on_another_thread_goes_out_whole_on_a_lane)
{
	struct ts_thread *a = new_thread(&thread_a, slots_a, 1);
	struct ts_thread *b = new_thread(&thread_b, slots_b, 2);
	begin_thread(a);
	begin_span(a, 2, "job", true);
	begin_thread(b);
	put(b, (struct ts_rec){.type = TS_REC_USER_END, .aux_kind = TS_USER_ASYNC, .fd = -1,
			       .arg = (uint64_t)a->index << 32 | 2});
	drain(0, a);
	ck_assert(!batch_has("job"));   /* kept until it ends */
	drain(1, b);
	ts_async_cycle_end();
	ck_assert(batch_has("job"));
	ck_assert(batch_has("async 1"));
	end_thread(a);
	end_thread(b);
	drain(0, a);
	drain(1, b);
	assert_threads_closed();
}
END_TEST

START_TEST(crash_is_an_exception_and_the_thread_span_error)
{
	struct ts_thread *a = new_thread(&thread_a, slots_a, 1);
	begin_thread(a);
	put(a, (struct ts_rec){.type = TS_REC_EXCEPTION, .op = SIGSEGV, .err = SEGV_MAPERR,
			       .arg = 0x10, .parent = 1, .kind = 1});
	drain(0, a);
	ck_assert(batch_has("exception"));
	ck_assert(batch_has("SIGSEGV"));
	ck_assert(!batch_has("otel.status_description"));   /* the thread span is still open */
	end_thread(a);
	drain(0, a);
	ck_assert(batch_has("otel.status_description"));
	assert_threads_closed();
}
END_TEST

TS_CHECK_SUITE_SETUP("tracks", setup, open_span_ends_with_its_thread,
		     span_ended_on_another_thread_goes_out_whole_on_a_lane,
		     crash_is_an_exception_and_the_thread_span_error)
