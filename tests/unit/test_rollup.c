/* Roll-ups: which spans fold into their parents, what the parents carry, and
 * that every call is either exported or counted once, whatever the order
 * spans come in. Driven by hand, as the exporter fan-out calls them. */
#include "check_main.h"
#include "ops.h"
#include "rolltally.h"
#include "rollup.h"

#include <stdio.h>
#include <string.h>

#define US 1000u
#define MS 1000000u

static void *proc_state[1], *thread_state[1], *other_state[1];
static const struct ts_track proc = {.uuid = 1, .name = "prog", .sink_state = proc_state};
static const struct ts_track thread = {.uuid = 2, .parent_uuid = 1, .tid = 11, .name = "main",
				       .sink_state = thread_state};
static const struct ts_track other = {.uuid = 3, .parent_uuid = 1, .tid = 12, .name = "worker",
				      .sink_state = other_state};

static struct ts_rollup *r;
static struct ts_rolled out;
/* What the exporter got, the last span. */
static unsigned exported;
static struct ts_span last;
static struct ts_attr last_rolled[TS_ROLLUP_ATTRS];

static struct ts_rollup *make(bool on, unsigned min_us, unsigned per_s)
{
	struct ts_rollup_cfg cfg = {.on = on, .min_us = min_us, .max_per_s = per_s};
	return ts_rollup_new(&cfg);
}

static void setup(void)
{
	proc_state[0] = thread_state[0] = other_state[0] = NULL;
	r = make(true, 1000, 0);
	exported = 0;
}

/* A call span of family fam: dur_ns long, ending at end_ns. */
static struct ts_span call(const char *name, uint8_t fam, uint64_t id, uint64_t parent,
			   uint64_t end_ns, uint64_t dur_ns)
{
	struct ts_span s = {.name = name, .kind = TS_KIND_INTERNAL, .call = true, .family = fam,
			    .span_id = id, .parent_id = parent, .start_ns = end_ns - dur_ns,
			    .end_ns = end_ns};
	return s;
}

static struct ts_span write_call(uint64_t id, uint64_t parent, uint64_t end_ns, int64_t bytes)
{
	struct ts_span s = call("write", TS_FAM_IO, id, parent, end_ns, 2 * US);
	ts_span_int(&s, "traceshim.fd", 3);
	ts_span_int(&s, "traceshim.io.bytes", bytes);
	return s;
}

/* Hands s over; true when the exporter got it (kept in last). */
static bool send(const struct ts_track *t, enum ts_span_event ev, const struct ts_span *s)
{
	const struct ts_span *o = ts_rollup_span(r, t->sink_state, t, ev, s, &out);
	if (!o)
		return false;
	exported++;
	last = *o;
	if (o->nrolled)
		memcpy(last_rolled, o->rolled, o->nrolled * sizeof *o->rolled);
	last.rolled = last_rolled;
	return true;
}

static void begin(const struct ts_track *t, uint64_t id, uint64_t parent)
{
	struct ts_span s = {.name = "span", .span_id = id, .parent_id = parent, .kind = 1};
	ck_assert(send(t, TS_SPAN_BEGIN, &s));
}

static void end(const struct ts_track *t)
{
	struct ts_span s = {.end_ns = 100 * MS};
	ck_assert(send(t, TS_SPAN_END, &s));
}

/* The rolled-up attribute key of the last span exported, or -1. */
static int64_t rolled(const char *key)
{
	for (unsigned i = 0; i < last.nrolled; i++)
		if (!strcmp(last.rolled[i].key, key))
			return last.rolled[i].v.i;
	return -1;
}

/* The process span and a thread span under it. */
static void open_thread(void)
{
	begin(&proc, 1, 0);
	begin(&thread, 2, 1);
}

START_TEST(quick_calls_fold_into_the_thread_span)
{
	open_thread();
	for (uint64_t i = 0; i < 50; i++) {
		struct ts_span w = write_call(100 + i, 2, 10 * MS + i * US, 16);
		ck_assert(!send(&thread, TS_SPAN_COMPLETE, &w));
	}
	struct ts_span c = call("close", TS_FAM_FILE, 200, 2, 20 * MS, 1 * US);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &c));
	ck_assert_uint_eq(exported, 2);
	end(&thread);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 50);
	ck_assert_int_eq(rolled("traceshim.calls.write.bytes"), 800);
	ck_assert_int_eq(rolled("traceshim.calls.write.time_ns"), 50 * 2 * US);
	ck_assert_int_eq(rolled("traceshim.calls.write.errors"), -1);
	ck_assert_int_eq(rolled("traceshim.calls.close.count"), 1);
	ck_assert_int_eq(rolled("traceshim.calls.close.bytes"), -1);   /* moves no bytes */
	ck_assert_uint_eq(last.nrolled, 5);
	end(&proc);
	ck_assert_uint_eq(last.nrolled, 0);
}
END_TEST

START_TEST(failed_and_slow_calls_stay)
{
	open_thread();
	struct ts_span bad = call("open", TS_FAM_FILE, 100, 2, 10 * MS, 5 * US);
	bad.status = TS_STATUS_ERROR;
	bad.error_type = "ENOENT";
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &bad));
	struct ts_span slow = write_call(101, 2, 20 * MS, 16);
	slow.start_ns = slow.end_ns - 1 * MS;   /* the threshold itself: not less */
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &slow));
	struct ts_span again = call("read", TS_FAM_IO, 102, 2, 30 * MS, 1 * US);
	ts_span_const(&again, "traceshim.errno", "EAGAIN");   /* flow, not an error */
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &again));
	end(&thread);
	ck_assert_int_eq(rolled("traceshim.calls.read.count"), 1);
	ck_assert_int_eq(rolled("traceshim.calls.open.count"), -1);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), -1);
}
END_TEST

START_TEST(some_spans_never_fold)
{
	open_thread();
	struct ts_span never[8];
	never[0] = call("sqlite", TS_FAM_SQLITE, 100, 2, 10 * MS, 1 * US);
	never[1] = call("fork", TS_FAM_PROC, 101, 2, 10 * MS, 1 * US);
	never[2] = call("pthread_create", TS_FAM_THREAD, 102, 2, 10 * MS, 1 * US);
	never[3] = call("connect", TS_FAM_NET, 103, 2, 10 * MS, 1 * US);
	never[3].kind = TS_KIND_CLIENT;
	never[4] = write_call(104, 2, 10 * MS, 1);
	never[4].flow_out = 104;   /* something later links to it */
	never[5] = write_call(105, 2, 10 * MS, 1);
	never[5].call = false;     /* not a traced call: the program's own */
	never[6] = write_call(106, 2, 10 * MS, 1);
	struct ts_event ev = {.name = "exception", .time_ns = 10 * MS};
	never[6].events = &ev;
	never[6].nevents = 1;
	never[7] = write_call(107, 2, 10 * MS, 1);
	never[7].dyn_name = true;
	for (int i = 0; i < 8; i++)
		ck_assert_msg(send(&thread, TS_SPAN_COMPLETE, &never[i]), "span %d folded", i);
	end(&thread);
	ck_assert_uint_eq(last.nrolled, 0);
}
END_TEST

/* A call's children come before it: they fold into it, and it carries them;
 * when it folds too, their counts go up with it. */
START_TEST(calls_under_calls)
{
	open_thread();
	/* SSL_write (slow, kept) with two quick sends under it. */
	for (uint64_t i = 0; i < 2; i++) {
		struct ts_span s = call("send", TS_FAM_NET, 100 + i, 50, 10 * MS, 1 * US);
		ts_span_int(&s, "traceshim.io.bytes", 10);
		ck_assert(!send(&thread, TS_SPAN_COMPLETE, &s));
	}
	struct ts_span tls = call("SSL_write", TS_FAM_NET, 50, 2, 12 * MS, 3 * MS);
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &tls));
	ck_assert_int_eq(rolled("traceshim.calls.send.count"), 2);
	ck_assert_int_eq(rolled("traceshim.calls.send.bytes"), 20);
	/* A quick one folds with what is under it. */
	struct ts_span s = call("send", TS_FAM_NET, 102, 51, 20 * MS, 1 * US);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &s));
	struct ts_span quick = call("SSL_write", TS_FAM_NET, 51, 2, 21 * MS, 5 * US);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &quick));
	end(&thread);
	ck_assert_int_eq(rolled("traceshim.calls.SSL_write.count"), 1);
	ck_assert_int_eq(rolled("traceshim.calls.send.count"), 1);
}
END_TEST

/* A parent with a child that was exported must be exported too. */
START_TEST(a_parent_of_a_kept_span_stays)
{
	open_thread();
	struct ts_span slow = write_call(100, 60, 10 * MS, 8);
	slow.start_ns -= 2 * MS;
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &slow));
	struct ts_span p = call("SSL_write", TS_FAM_NET, 60, 2, 11 * MS, 5 * US);
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &p));
	/* The same for a span announced to come later (an HTTP span begun in
	 * a TLS call, exported whole at its end). */
	struct ts_span http = {.name = "GET", .span_id = 70, .parent_id = 61, .kind = 3};
	ts_rollup_announce(r, thread.sink_state, &thread, &http);
	struct ts_span p2 = call("SSL_write", TS_FAM_NET, 61, 2, 12 * MS, 5 * US);
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &p2));
	/* The HTTP span ends later on a lane; calls under it fold into it. */
	struct ts_span w = write_call(101, 70, 13 * MS, 4);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &w));
	http.start_ns = 11 * MS;
	http.end_ns = 14 * MS;
	ck_assert(send(&other, TS_SPAN_COMPLETE, &http));
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 1);
}
END_TEST

/* A child drained after its parent went out (a span ended on another
 * thread, whose records were read first) stays a span. */
START_TEST(a_child_after_its_parent_stays)
{
	open_thread();
	begin(&other, 3, 1);
	begin(&other, 30, 3);   /* the program's span on the other thread */
	end(&other);
	struct ts_span w = write_call(100, 30, 10 * MS, 4);
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &w));
	/* ...while one whose parent is still open there folds into it. */
	begin(&other, 31, 3);
	struct ts_span w2 = write_call(101, 31, 10 * MS, 4);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &w2));
	end(&other);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 1);
}
END_TEST

/* A parent that never comes (its record dropped): its calls are counted on
 * the span that was open around the child, at its end. */
START_TEST(a_parent_that_never_comes)
{
	open_thread();
	struct ts_span w = write_call(100, 77, 10 * MS, 4);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &w));
	end(&thread);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 1);
	/* On a track with nothing open: the process span takes them. */
	struct ts_span w2 = write_call(101, 78, 10 * MS, 4);
	ck_assert(!send(&other, TS_SPAN_COMPLETE, &w2));
	end(&proc);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 1);
}
END_TEST

/* A track let go with a span still open: its counts go to the process span. */
START_TEST(forgotten_track)
{
	open_thread();
	struct ts_span w = write_call(100, 2, 10 * MS, 4);
	ck_assert(!send(&thread, TS_SPAN_COMPLETE, &w));
	ts_rollup_forget(r, thread.sink_state);
	ck_assert_ptr_null(thread_state[0]);
	end(&proc);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 1);
}
END_TEST

/* Beyond the budget, leaves fold whatever their duration, failed ones too
 * (counted as errors); the budget is per second of the spans' times. */
START_TEST(budget)
{
	ts_rollup_free(r);
	r = make(false, 1000, 3);
	ck_assert_ptr_nonnull(r);
	open_thread();
	unsigned kept = 0;
	for (uint64_t i = 0; i < 5; i++) {
		struct ts_span w = write_call(100 + i, 2, 1000 * MS + i * MS, 4);
		if (i == 4)
			w.status = TS_STATUS_ERROR;
		kept += send(&thread, TS_SPAN_COMPLETE, &w);
	}
	ck_assert_uint_eq(kept, 3);
	/* The next second has its own. */
	struct ts_span w = write_call(200, 2, 2000 * MS, 4);
	ck_assert(send(&thread, TS_SPAN_COMPLETE, &w));
	/* Spans that never fold do not count. */
	struct ts_span sql = call("sqlite", TS_FAM_SQLITE, 201, 2, 2000 * MS, 1 * US);
	for (int i = 0; i < 5; i++)
		ck_assert(send(&thread, TS_SPAN_COMPLETE, &sql));
	end(&thread);
	ck_assert_int_eq(rolled("traceshim.calls.write.count"), 2);
	ck_assert_int_eq(rolled("traceshim.calls.write.errors"), 1);
	ck_assert_int_eq(rolled("traceshim.calls.write.bytes"), 8);
}
END_TEST

START_TEST(off_is_nothing)
{
	ck_assert_ptr_null(make(false, 1000, 0));
	ck_assert_ptr_null(make(true, 0, 0));
	struct ts_rollup *budget_only = make(true, 0, 10);
	ck_assert_ptr_nonnull(budget_only);
	ts_rollup_free(budget_only);
	/* No roll-ups: every span passes as it is. */
	struct ts_span w = write_call(100, 2, 10 * MS, 4);
	ck_assert_ptr_eq(ts_rollup_span(NULL, thread.sink_state, &thread, TS_SPAN_COMPLETE, &w, &out),
			 &w);
	ck_assert_ptr_null(thread_state[0]);
}
END_TEST

/* However many names, a parent carries at most TS_ROLLUP_ATTRS attributes;
 * the least frequent go under traceshim.calls.other, and no call is lost. */
START_TEST(bounded_attributes)
{
	open_thread();
	static char names[12][16];
	uint64_t id = 100, calls = 0;
	for (int n = 0; n < 12; n++) {
		snprintf(names[n], sizeof names[n], "call%d", n);
		for (int k = 0; k <= n; k++, calls++) {
			struct ts_span c = call(names[n], TS_FAM_STDIO, id++, 2, 10 * MS, 1 * US);
			ts_span_int(&c, "traceshim.io.bytes", 1);
			ck_assert(!send(&thread, TS_SPAN_COMPLETE, &c));
		}
	}
	end(&thread);
	ck_assert_uint_le(last.nrolled, TS_ROLLUP_ATTRS);
	ck_assert_int_eq(rolled("traceshim.calls.call11.count"), 12);   /* most frequent first */
	ck_assert_int_eq(rolled("traceshim.calls.call0.count"), -1);
	ck_assert_int_gt(rolled("traceshim.calls.other.count"), 0);
	uint64_t counted = 0, bytes = 0;
	for (unsigned i = 0; i < last.nrolled; i++) {
		const char *k = last.rolled[i].key;
		size_t n = strlen(k);
		if (n > 6 && !strcmp(k + n - 6, ".count"))
			counted += (uint64_t)last.rolled[i].v.i;
		if (n > 6 && !strcmp(k + n - 6, ".bytes"))
			bytes += (uint64_t)last.rolled[i].v.i;
	}
	ck_assert_uint_eq(counted, calls);
	ck_assert_uint_eq(bytes, calls);
}
END_TEST

/* Spans in random orders (calls under begun spans, under calls that come
 * later, under spans gone out already or never coming, failing, slow, over
 * the budget): once every span has ended, every call made is either
 * exported or counted once, and so is every failed one. */
static uint64_t seed = 12345;

static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(seed >> 33) % n;
}

static uint64_t made, failed_made, got, failed_got;

/* Sends s and adds up what went out: call spans, and counts carried. */
static void tally_send(const struct ts_track *t, enum ts_span_event ev, const struct ts_span *s)
{
	if (!send(t, ev, s))
		return;
	if (last.call) {
		got++;
		failed_got += last.status == TS_STATUS_ERROR;
	}
	for (unsigned i = 0; i < last.nrolled; i++) {
		const char *k = last.rolled[i].key;
		size_t n = strlen(k);
		if (n > 6 && !strcmp(k + n - 6, ".count"))
			got += (uint64_t)last.rolled[i].v.i;
		if (n > 7 && !strcmp(k + n - 7, ".errors"))
			failed_got += (uint64_t)last.rolled[i].v.i;
	}
}

START_TEST(random_orders_lose_nothing)
{
	static const char *const names[] = {"read", "write", "close", "SSL_write", "fgets"};
	for (int round = 0; round < 20; round++) {
		ts_rollup_free(r);
		r = make(rnd(4) != 0, 1000, rnd(2) ? 5 : 0);
		if (!r)
			r = make(true, 1000, 0);
		proc_state[0] = thread_state[0] = other_state[0] = NULL;
		made = failed_made = got = failed_got = 0;
		const struct ts_track *tracks[2] = {&thread, &other};
		uint64_t stack[2][16] = {{2}, {3}};
		unsigned depth[2] = {1, 1};
		uint64_t later[64];   /* ids of calls to come, children first */
		unsigned nlater = 0;
		uint64_t next_id = 100, now = 1000 * MS;
		struct ts_span b = {.name = "prog", .span_id = 1, .kind = 1};
		ck_assert(send(&proc, TS_SPAN_BEGIN, &b));
		for (int k = 0; k < 2; k++) {
			struct ts_span tb = {.name = "thread", .span_id = stack[k][0], .parent_id = 1, .kind = 1};
			ck_assert(send(tracks[k], TS_SPAN_BEGIN, &tb));
		}
		for (int step = 0; step < 3000; step++) {
			int k = (int)rnd(2);
			const struct ts_track *t = tracks[k];
			now += rnd(400) * US;
			unsigned what = rnd(20);
			if (what < 12 || (what < 15 && !nlater)) {   /* a call */
				uint64_t parent;
				unsigned p = rnd(10);
				if (p < 5)
					parent = stack[k][depth[k] - 1];
				else if (p < 8 && nlater)
					parent = later[rnd(nlater)];
				else if (p < 9)
					parent = 100 + rnd((unsigned)(next_id - 100) + 1);   /* gone, or to come */
				else
					parent = (1ull << 40) + rnd(1000);   /* never comes */
				struct ts_span c = call(names[rnd(5)], TS_FAM_IO, next_id++, parent, now,
							rnd(10) ? 2 * US : 3 * MS);
				if (!rnd(15))
					c.status = TS_STATUS_ERROR;
				made++;
				failed_made += c.status == TS_STATUS_ERROR;
				tally_send(t, TS_SPAN_COMPLETE, &c);
				if (nlater < 64 && !rnd(4))
					later[nlater++] = next_id++;   /* a parent to come */
			} else if (what < 15) {   /* a parent call comes, after its children */
				unsigned i = rnd(nlater);
				struct ts_span c = call(names[rnd(5)], TS_FAM_NET, later[i],
							stack[k][depth[k] - 1], now, rnd(2) ? 2 * US : 3 * MS);
				later[i] = later[--nlater];
				made++;
				tally_send(t, TS_SPAN_COMPLETE, &c);
			} else if (what < 17 && depth[k] < 16) {   /* the program's span begins */
				struct ts_span u = {.name = "span", .span_id = next_id++,
						    .parent_id = stack[k][depth[k] - 1], .kind = 1};
				stack[k][depth[k]++] = u.span_id;
				tally_send(t, TS_SPAN_BEGIN, &u);
			} else if (what < 19 && depth[k] > 1) {   /* ...and ends */
				depth[k]--;
				struct ts_span e = {.end_ns = now};
				tally_send(t, TS_SPAN_END, &e);
			} else {   /* a span that goes out whole later, on a lane */
				struct ts_span h = {.name = "GET", .span_id = next_id++,
						    .parent_id = stack[k][depth[k] - 1], .kind = 2,
						    .start_ns = now, .end_ns = now + US};
				ts_rollup_announce(r, t->sink_state, t, &h);
				if (nlater < 64)
					later[nlater++] = h.span_id;   /* its calls may come first */
			}
		}
		while (nlater) {   /* the rest come (but those never coming) */
			struct ts_span c = call("read", TS_FAM_IO, later[--nlater], 2, now, 2 * US);
			made++;
			tally_send(&thread, TS_SPAN_COMPLETE, &c);
		}
		for (int k = 0; k < 2; k++)
			while (depth[k]--) {
				struct ts_span e = {.end_ns = now};
				tally_send(tracks[k], TS_SPAN_END, &e);
			}
		ts_rollup_forget(r, other.sink_state);   /* a track let go with nothing open */
		struct ts_span e = {.end_ns = now};
		tally_send(&proc, TS_SPAN_END, &e);
		ck_assert_uint_eq(got, made);
		ck_assert_uint_eq(failed_got, failed_made);
		ts_rollup_forget(r, thread.sink_state);
		ts_rollup_forget(r, proc.sink_state);
	}
}
END_TEST

START_TEST(tally_rows)
{
	struct ts_tally t = {0};
	uint16_t w = ts_tally_name("write");
	ck_assert_uint_gt(w, 0);
	ck_assert_uint_eq(ts_tally_name("write"), w);
	char copy[] = "write";   /* by content, not by address */
	ck_assert_uint_eq(ts_tally_name(copy), w);
	ck_assert_str_eq(ts_tally_name_of(w), "write");
	ck_assert_str_eq(ts_tally_name_of(0), "other");
	ck_assert_uint_eq(ts_tally_name(""), 0);
	ts_tally_add(&t, &(struct ts_tally_row){.name = w, .count = 2, .time_ns = 10});
	ts_tally_add(&t, &(struct ts_tally_row){.name = 0, .count = 1, .errors = 1});
	struct ts_tally u = {0};
	ts_tally_add(&u, &(struct ts_tally_row){.name = w, .count = 3, .bytes = 7, .bytes_seen = true});
	ts_tally_merge(&u, &t);
	ck_assert_uint_eq(ts_tally_calls(&u), 6);
	struct ts_attr a[TS_ROLLUP_ATTRS];
	unsigned n = ts_tally_attrs(&u, a, TS_ROLLUP_ATTRS);
	ck_assert_uint_eq(n, 3 + 3);   /* write: count bytes time; other: count time errors */
	ck_assert_str_eq(a[0].key, "traceshim.calls.write.count");
	ck_assert_int_eq(a[0].v.i, 5);
	ck_assert_str_eq(a[1].key, "traceshim.calls.write.bytes");
	ck_assert_int_eq(a[1].v.i, 7);
	ck_assert_str_eq(a[5].key, "traceshim.calls.other.errors");
	/* The keys stay: encoders may keep them by address. */
	ck_assert_ptr_eq(a[0].key, (ts_tally_attrs(&u, a, TS_ROLLUP_ATTRS), a[0].key));
}
END_TEST

TS_CHECK_SUITE_SETUP("rollup", setup,
		     quick_calls_fold_into_the_thread_span,
		     failed_and_slow_calls_stay,
		     some_spans_never_fold,
		     calls_under_calls,
		     a_parent_of_a_kept_span_stays,
		     a_child_after_its_parent_stays,
		     a_parent_that_never_comes,
		     forgotten_track,
		     budget,
		     off_is_nothing,
		     bounded_attributes,
		     random_orders_lose_nothing,
		     tally_rows)
