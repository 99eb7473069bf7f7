/* The wake table (record/wake.h): who released what a thread waited on, the
 * wait threshold in ticks, and how a wait record decodes into a span with
 * its arrow and link (agent/decode_wait.c). */
#include "check_main.h"
#include "clock.h"
#include "config.h"
#include "decode.h"
#include "ids.h"
#include "ops.h"
#include "wake.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

static void reset(void)
{
	memset(ts_wake_table, 0, sizeof ts_wake_table);
}

START_TEST(release_is_found_by_its_waiter)
{
	static int obj;
	ck_assert(!ts_wake_wanted(&obj));
	uint64_t before = ts_wake_enter(&obj, 0);
	ck_assert(ts_wake_wanted(&obj));
	ts_wake_publish(&obj, ts_wake_pack(&obj, 7, 42));
	uint32_t index = 0, seq = 0;
	bool first = false;
	ck_assert(ts_wake_leave(&obj, before, true, &index, &seq, &first));
	ck_assert(first);
	ck_assert_uint_eq(index, 7);
	ck_assert_uint_eq(seq, 42);
	ck_assert(!ts_wake_wanted(&obj));
}
END_TEST

START_TEST(release_before_the_wait_is_not_the_waker)
{
	static int obj;
	ts_wake_publish(&obj, ts_wake_pack(&obj, 3, 9));
	uint64_t before = ts_wake_enter(&obj, 0);
	uint32_t index, seq;
	bool first;
	ck_assert(!ts_wake_leave(&obj, before, true, &index, &seq, &first));
}
END_TEST

START_TEST(timed_out_wait_has_no_waker)
{
	static int obj;
	uint64_t before = ts_wake_enter(&obj, 0);
	ts_wake_publish(&obj, ts_wake_pack(&obj, 3, 9));
	uint32_t index, seq;
	bool first;
	ck_assert(!ts_wake_leave(&obj, before, false, &index, &seq, &first));
	ck_assert(!ts_wake_wanted(&obj));
}
END_TEST

/* A broadcast wakes two waiters: both find the release, the first alone
 * ends its arrow. */
START_TEST(broadcast_arrow_goes_to_the_first)
{
	static int obj;
	uint64_t b1 = ts_wake_enter(&obj, 0), b2 = ts_wake_enter(&obj, 0);
	ts_wake_publish(&obj, ts_wake_pack(&obj, 2, 30));
	uint32_t index, seq;
	bool first1 = false, first2 = true;
	ck_assert(ts_wake_leave(&obj, b1, true, &index, &seq, &first1));
	ck_assert(ts_wake_leave(&obj, b2, true, &index, &seq, &first2));
	ck_assert_uint_eq(seq, 30);
	ck_assert(first1);
	ck_assert(!first2);
}
END_TEST

/* Two objects of one slot: the check bits tell their releases apart. */
START_TEST(objects_sharing_a_slot_are_told_apart)
{
	static char area[1 << 20];
	char *a = area, *b = NULL;
	for (size_t i = 8; i < sizeof area; i += 8) {
		if (ts_wake_slot_of(area + i) == ts_wake_slot_of(a) &&
		    ts_wake_check(area + i) != ts_wake_check(a)) {
			b = area + i;
			break;
		}
	}
	ck_assert_ptr_nonnull(b);
	uint64_t before = ts_wake_enter(a, 0);
	ck_assert(ts_wake_wanted(b));   /* the slot's count: b's releaser looks too */
	ts_wake_publish(b, ts_wake_pack(b, 5, 6));
	uint32_t index, seq;
	bool first;
	ck_assert(!ts_wake_leave(a, before, true, &index, &seq, &first));
}
END_TEST

/* A release that made no span hides an earlier one from the waiter. */
START_TEST(release_without_span_is_no_waker)
{
	static int obj;
	uint64_t before = ts_wake_enter(&obj, 0);
	ts_wake_publish(&obj, ts_wake_pack(&obj, 3, 9));
	ts_wake_publish(&obj, ts_wake_pack_none(&obj));
	uint32_t index, seq;
	bool first;
	ck_assert(!ts_wake_leave(&obj, before, true, &index, &seq, &first));
}
END_TEST

/* A release not yet found by a waiter is pending: later releases leave it;
 * found, or its waiters gone, it is not. */
START_TEST(release_pending_until_found)
{
	static int obj;
	uint64_t b1 = ts_wake_enter(&obj, 0);
	ts_wake_enter(&obj, 0);
	ts_wake_publish(&obj, ts_wake_pack(&obj, 2, 30));
	ck_assert(ts_wake_pending(&obj, ts_wake_last(&obj)));
	uint32_t index, seq;
	bool first;
	ck_assert(ts_wake_leave(&obj, b1, true, &index, &seq, &first));
	ck_assert(!ts_wake_pending(&obj, ts_wake_last(&obj)));
	/* The last waiter leaves on a time-out: the release is given up. */
	ts_wake_publish(&obj, ts_wake_pack(&obj, 2, 31));
	ck_assert(!ts_wake_leave(&obj, 0, false, &index, &seq, &first));
	ck_assert(!ts_wake_pending(&obj, ts_wake_last(&obj)));
}
END_TEST

/* Only a release that ends a wait of the threshold or longer is a span. */
START_TEST(release_due_after_the_threshold)
{
	static int obj;
	ts_wake_enter(&obj, 1000);
	ck_assert(!ts_wake_due(&obj, 1500, 1000));
	ck_assert(ts_wake_due(&obj, 2000, 1000));
	ts_wake_enter(&obj, 5000);   /* the latest waiter dates the slot */
	ck_assert(!ts_wake_due(&obj, 5500, 1000));
	ck_assert(ts_wake_due(&obj, 6000, 1000));
}
END_TEST

START_TEST(pack_limits)
{
	static int obj;
	ck_assert_uint_eq(ts_wake_pack(&obj, 1u << TS_WAKE_INDEX_BITS, 5), 0);
	ck_assert_uint_eq(ts_wake_pack(&obj, 1, 0), 0);
	uint64_t w = ts_wake_pack(&obj, (1u << TS_WAKE_INDEX_BITS) - 1, UINT32_MAX);
	uint32_t index, seq;
	ck_assert(ts_wake_unpack(&obj, w, &index, &seq));
	ck_assert_uint_eq(index, (1u << TS_WAKE_INDEX_BITS) - 1);
	ck_assert_uint_eq(seq, UINT32_MAX);
	ck_assert(!ts_wake_unpack(&obj, 0, &index, &seq));
}
END_TEST

START_TEST(fork_forgets_waiters)
{
	static int obj;
	ts_wake_enter(&obj, 0);
	ts_wake_publish(&obj, ts_wake_pack(&obj, 2, 30));
	ts_wake_after_fork();
	ck_assert(!ts_wake_wanted(&obj));
	ck_assert(!ts_wake_pending(&obj, ts_wake_last(&obj)));
}
END_TEST

/* A real handoff: a thread blocks on a mutex the test holds, the test
 * publishes its release and unlocks; the waiter names the release. */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static uint32_t got_index, got_seq;
static bool got;

static void *waiter(void *arg)
{
	(void)arg;
	uint64_t before = ts_wake_enter(&m, 0);
	pthread_mutex_lock(&m);
	bool first;
	got = ts_wake_leave(&m, before, true, &got_index, &got_seq, &first);
	pthread_mutex_unlock(&m);
	return NULL;
}

START_TEST(threads_hand_over)
{
	pthread_mutex_lock(&m);
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	while (!ts_wake_wanted(&m))
		sched_yield();
	ts_wake_publish(&m, ts_wake_pack(&m, 11, 12));
	pthread_mutex_unlock(&m);
	pthread_join(th, NULL);
	ck_assert(got);
	ck_assert_uint_eq(got_index, 11);
	ck_assert_uint_eq(got_seq, 12);
}
END_TEST

START_TEST(threshold_in_ticks)
{
	ts_clock_init(true);   /* ticks are nanoseconds */
	ts_cfg.wait_min_us = 10;
	atomic_store(&ts_wait_min_ticks_plus1, 0);
	ck_assert_uint_eq(ts_wait_min_ticks(), 10000);
	ts_cfg.wait_min_us = 0;
	atomic_store(&ts_wait_min_ticks_plus1, 0);
	ck_assert_uint_eq(ts_wait_min_ticks(), 0);
}
END_TEST

static const char *attr(const struct ts_span *s, const char *key, int64_t *i)
{
	for (unsigned k = 0; k < s->nattrs; k++) {
		if (strcmp(s->attrs[k].key, key))
			continue;
		if (s->attrs[k].type == TS_VAL_INT) {
			*i = s->attrs[k].v.i;
			return "";
		}
		return s->attrs[k].v.s;
	}
	return NULL;
}

START_TEST(wait_record_decodes_with_arrow_and_link)
{
	ts_ids_init();
	struct ts_rec r = {.t0 = 1000, .t1 = 61000000, .ret = 0, .arg = 0x1234, .span = 5,
			   .parent = 1, .fd = 4, .fdgen = 17, .op = TS_OP_MUTEX_LOCK,
			   .type = TS_REC_SPAN, .aux = 777, .aux_kind = TS_WAIT_ARROW};
	struct ts_span s;
	ts_decode_call(2, &r, NULL, 0, &s);
	ck_assert_str_eq(s.name, "pthread_mutex_lock");
	int64_t v = 0;
	ck_assert_str_eq(attr(&s, "traceshim.wait.address", &v), "0x1234");
	ck_assert_ptr_nonnull(attr(&s, "traceshim.wait.owner_tid", &v));
	ck_assert_int_eq(v, 777);
	ck_assert_str_eq(attr(&s, "traceshim.wait.result", &v), "woken");
	ck_assert_ptr_null(attr(&s, "traceshim.wait.timeout_ms", &v));
	ck_assert_uint_eq(s.flow_in_end, ts_span_id(4, 17));
	ck_assert_uint_eq(s.link_id, ts_span_id(4, 17));
	ck_assert_uint_eq(s.flow_in, 0);
	ck_assert_int_eq(s.family, TS_FAM_WAIT);
	r.aux_kind = 0;   /* another waiter of the same broadcast: the link only */
	ts_decode_call(2, &r, NULL, 0, &s);
	ck_assert_uint_eq(s.flow_in_end, 0);
	ck_assert_uint_eq(s.link_id, ts_span_id(4, 17));

	/* Timed out: no waker, the timeout said, no error. */
	r = (struct ts_rec){.t0 = 1000, .t1 = 21000000, .ret = -1, .arg = 0x1234, .span = 6,
			    .fd = -1, .op = TS_OP_COND_TIMEDWAIT, .type = TS_REC_SPAN,
			    .err = ETIMEDOUT, .aux_kind = TS_WAIT_TIMED, .aux2 = 20};
	ts_decode_call(2, &r, NULL, 0, &s);
	ck_assert_str_eq(attr(&s, "traceshim.wait.result", &v), "timeout");
	ck_assert_ptr_nonnull(attr(&s, "traceshim.wait.timeout_ms", &v));
	ck_assert_int_eq(v, 20);
	ck_assert_uint_eq(s.flow_in_end, 0);
	ck_assert_uint_eq(s.link_id, 0);
	ck_assert_int_ne(s.status, TS_STATUS_ERROR);

	/* The release: a flow numbered by its own span id. */
	r = (struct ts_rec){.t0 = 1000, .t1 = 2000, .arg = 0x1234, .span = 17, .fd = -1,
			    .op = TS_OP_MUTEX_UNLOCK, .type = TS_REC_SPAN, .aux = 1};
	ts_decode_call(4, &r, NULL, 0, &s);
	ck_assert_str_eq(s.name, "pthread_mutex_unlock");
	ck_assert_uint_eq(s.flow_out, ts_span_id(4, 17));

	/* A join: linked to the joined thread's span, no arrow. */
	r = (struct ts_rec){.t0 = 1000, .t1 = 61000000, .span = 8, .fd = 3, .fdgen = 1,
			    .op = TS_OP_PTHREAD_JOIN, .type = TS_REC_SPAN, .aux = 99};
	ts_decode_call(2, &r, NULL, 0, &s);
	ck_assert_uint_eq(s.link_id, ts_span_id(3, 1));
	ck_assert_uint_eq(s.flow_in_end, 0);
	ck_assert_ptr_nonnull(attr(&s, "traceshim.wait.thread_tid", &v));
	ck_assert_int_eq(v, 99);
}
END_TEST

TS_CHECK_SUITE_SETUP("wake", reset,
		     release_is_found_by_its_waiter,
		     release_before_the_wait_is_not_the_waker,
		     timed_out_wait_has_no_waker,
		     release_without_span_is_no_waker,
		     broadcast_arrow_goes_to_the_first,
		     release_pending_until_found,
		     release_due_after_the_threshold,
		     objects_sharing_a_slot_are_told_apart,
		     pack_limits,
		     fork_forgets_waiters,
		     threads_hand_over,
		     threshold_in_ticks,
		     wait_record_decodes_with_arrow_and_link)
