/* traceshim.h on one thread, against the recording test double: contexts
 * (attach, detach, ts_with_span), hand-offs, traceparent, the calls that must
 * be ignored, and the double's reset and dump. */
#include "api_check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

START_TEST(attach_and_detach_nest)
{
	ts_span_t a = ts_span_begin("a", TS_NO_ATTRS);
	ts_span_t x = ts_span_start("x", TS_NO_ATTRS);
	ts_span_t y = ts_span_start("y", TS_NO_ATTRS);
	ts_scope_t sx = ts_context_attach(ts_span_context(x));
	ck_assert_uint_eq(ts_span_current(), x);
	ts_span_t b = ts_span_begin("b", TS_NO_ATTRS);
	ts_scope_t sy = ts_context_attach(ts_span_context(y));
	ck_assert_uint_ne(sx, 0);
	ck_assert_uint_ne(sy, sx);
	ck_assert_uint_eq(ts_span_current(), y);
	ts_span_t c = ts_span_begin("c", TS_NO_ATTRS);
	ck_assert_uint_eq(span_of(b)->parent, x);
	ck_assert_uint_eq(span_of(c)->parent, y);

	ts_context_detach(sy);
	ck_assert_uint_eq(ts_span_current(), b);
	ck_assert(span_of(c)->ended);
	ck_assert_int_eq(span_of(c)->status, TS_STATUS_UNSET);
	ck_assert(!span_of(b)->ended);
	ck_assert(!span_of(y)->ended);   /* attaching does not own the span */

	/* Detaching the outer scope pops all above it. */
	sy = ts_context_attach(ts_span_context(y));
	ts_context_detach(sx);
	ck_assert_uint_eq(ts_span_current(), a);
	ck_assert_uint_eq(ts_testing_depth(), 1);
	ck_assert(span_of(b)->ended);
	ts_context_detach(sy);   /* gone: ignored */
	ck_assert_uint_eq(ts_span_current(), a);
	ts_span_end(a, TS_STATUS_OK);
	ck_assert_uint_eq(ts_span_current(), 0);
}
END_TEST

struct seen {
	int calls;
	ts_span_t current;
	ts_span_t left_open;
};

static void inside(void *arg)
{
	struct seen *seen = arg;
	seen->calls++;
	seen->current = ts_span_current();
	seen->left_open = ts_span_begin("left open", TS_NO_ATTRS);
}

START_TEST(with_span_runs_fn_under_the_span)
{
	ts_span_t a = ts_span_begin("a", TS_NO_ATTRS);
	ts_span_t s = ts_span_start("op", TS_NO_ATTRS);
	struct seen seen = {0};
	ts_with_span(s, inside, &seen);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.current, s);
	ck_assert_uint_eq(span_of(seen.left_open)->parent, s);
	ck_assert(span_of(seen.left_open)->ended);
	ck_assert_uint_eq(ts_span_current(), a);
	ck_assert(!span_of(s)->ended);

	/* Span 0: fn still runs, under what was current. */
	struct seen none = {0};
	ts_with_span(0, inside, &none);
	ck_assert_int_eq(none.calls, 1);
	ck_assert_uint_eq(none.current, a);
	ck_assert_uint_eq(ts_span_current(), none.left_open);
}
END_TEST

START_TEST(handoff_records_and_handoff_run_is_a_child)
{
	ts_span_t req = ts_span_begin("request", TS_NO_ATTRS);
	ts_context_t ctx = ts_handoff(ts_context_capture(), "enqueue");
	ck_assert_uint_eq(ctx.span, req);
	ck_assert_uint_ne(ctx.handoff, 0);
	ck_assert_uint_ne(ctx.handoff, req);
	ts_context_t again = ts_handoff(ts_span_context(req), NULL);
	ck_assert_uint_ne(again.handoff, ctx.handoff);

	ck_assert_uint_eq(ts_testing_handoff_count(), 2);
	const ts_testing_handoff_t *h = ts_testing_handoff(0);
	ck_assert_uint_eq(h->id, ctx.handoff);
	ck_assert_str_eq(h->name, "enqueue");
	ck_assert_uint_eq(h->span, req);
	ck_assert_uint_eq(h->thread, 0);
	ck_assert_str_eq(ts_testing_handoff(1)->name, "queued");
	ck_assert_ptr_eq(ts_testing_handoff_lookup(again.handoff), ts_testing_handoff(1));
	ck_assert_ptr_null(ts_testing_handoff(2));
	ck_assert_uint_lt(h->seq, ts_testing_handoff(1)->seq);
	/* Each is also an event on the span. */
	ck_assert_uint_eq(span_of(req)->nevents, 2);
	ck_assert_str_eq(ts_testing_event(span_of(req), 0)->name, "enqueue");
	ck_assert_str_eq(ts_testing_event(span_of(req), 1)->name, "queued");
	ck_assert_uint_eq(ts_testing_event(span_of(req), 1)->nattrs, 0);

	/* No span: returned unchanged, nothing recorded. */
	ts_context_t empty = {0, 99};
	ts_context_t back = ts_handoff(empty, "x");
	ck_assert_uint_eq(back.span, 0);
	ck_assert_uint_eq(back.handoff, 99);
	ck_assert_uint_eq(ts_testing_handoff_count(), 2);

	ts_span_t other = ts_span_begin("other", TS_NO_ATTRS);
	ts_span_t job = ts_handoff_run(ctx, "job", TS_ATTRS(ts_int("n", 1)));
	ck_assert_uint_eq(ts_span_current(), job);
	ck_assert_uint_eq(span_of(job)->parent, req);   /* ctx's span, not the current one */
	ck_assert_uint_eq(span_of(job)->handoff, ctx.handoff);
	ck_assert_int_eq(span_of(job)->kind, TS_TESTING_SCOPED);
	ck_assert_int_eq(ts_testing_attr(span_of(job), "n")->value.i, 1);

	/* A context without a span: a child of the current span, no hand-off. */
	ts_span_t plain = ts_handoff_run(ts_span_context(0), "plain", TS_NO_ATTRS);
	ck_assert_uint_eq(span_of(plain)->parent, job);
	ck_assert_uint_eq(span_of(plain)->handoff, 0);
	ts_span_end(other, TS_STATUS_OK);   /* ends job and plain too */
	ck_assert(span_of(plain)->ended && span_of(job)->ended);
	ck_assert_uint_eq(ts_span_current(), req);
}
END_TEST

START_TEST(traceparent_of_a_span)
{
	ts_span_t s = ts_span_begin("s", TS_NO_ATTRS);
	char buf[64], want[64];
	snprintf(want, sizeof want, "00-" TS_TESTING_TRACE_ID "-%016" PRIx64 "-01", s);
	ck_assert_uint_eq(ts_traceparent(s, buf, sizeof buf), 55);
	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(strlen(buf), 55);

	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(ts_traceparent(s, buf, 55), 0);   /* too small */
	ck_assert_str_eq(buf, "");
	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(ts_traceparent(0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(calls_on_nothing_are_ignored)
{
	const ts_span_t bogus = 0xdeadbeef00ull;
	ts_span_t a = ts_span_begin("a", TS_NO_ATTRS);
	ts_span_t done = ts_span_start("done", TS_NO_ATTRS);
	ts_span_end(done, TS_STATUS_OK);
	uint64_t end_seq = span_of(done)->end_seq;

	ts_span_end(done, TS_STATUS_ERROR);   /* twice */
	ts_span_end(0, TS_STATUS_OK);
	ts_span_end(bogus, TS_STATUS_OK);
	ts_span_set(done, TS_ATTRS(ts_int("late", 1)));
	ts_span_set(bogus, TS_ATTRS(ts_int("late", 1)));
	ts_span_event(done, "late", TS_NO_ATTRS);
	ts_span_error(done, "Late", "after the end");
	ts_span_error(0, "Late", "no span");
	ts_context_detach(0);
	ts_context_detach(bogus);
	ck_assert_uint_eq(ts_context_attach(ts_span_context(0)), 0);

	const ts_testing_span_t *r = span_of(done);
	ck_assert_int_eq(r->status, TS_STATUS_OK);
	ck_assert_uint_eq(r->end_seq, end_seq);
	ck_assert_uint_eq(r->nattrs, 0);
	ck_assert_uint_eq(r->nevents, 0);
	ck_assert(!r->error);
	ck_assert_uint_eq(ts_span_current(), a);
	ck_assert_uint_eq(ts_testing_depth(), 1);
	ck_assert(!span_of(a)->ended);
	ck_assert_uint_eq(ts_testing_span_count(), 2);
	ck_assert_ptr_null(ts_testing_lookup(bogus));
	ck_assert_ptr_null(ts_testing_lookup(0));
	/* The queries take NULL too. */
	ck_assert_ptr_null(ts_testing_attr(NULL, "k"));
	ck_assert_ptr_null(ts_testing_parent(NULL));
	ck_assert_uint_eq(ts_testing_child_count(NULL), 0);
	ck_assert_ptr_null(ts_testing_event(NULL, 0));
	ck_assert_ptr_null(ts_testing_event_attr(NULL, "k"));
	ck_assert_ptr_null(ts_testing_find("missing"));
}
END_TEST

START_TEST(handles_are_unique)
{
	ts_span_t h[6];
	h[0] = ts_span_begin("s", TS_NO_ATTRS);
	h[1] = ts_span_start("s", TS_NO_ATTRS);
	h[2] = ts_handoff_run(ts_span_context(0), "s", TS_NO_ATTRS);
	h[3] = ts_context_attach(ts_span_context(h[1]));
	h[4] = ts_handoff(ts_span_context(h[0]), "q").handoff;
	h[5] = ts_span_begin("s", TS_NO_ATTRS);
	for (int i = 0; i < 6; i++) {
		ck_assert_uint_ne(h[i], 0);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(h[i], h[j]);
	}
	ck_assert_uint_eq(ts_testing_count_named("s"), 4);
	ck_assert_uint_eq(ts_testing_find_nth("s", 3)->handle, h[5]);
	ck_assert_ptr_null(ts_testing_find_nth("s", 4));
}
END_TEST

START_TEST(reset_forgets_everything)
{
	ts_span_t a = ts_span_begin("a", TS_NO_ATTRS);
	ts_handoff(ts_span_context(a), "q");
	ts_testing_reset();
	ck_assert_uint_eq(ts_testing_span_count(), 0);
	ck_assert_uint_eq(ts_testing_handoff_count(), 0);
	ck_assert_uint_eq(ts_span_current(), 0);   /* the stack is emptied too */
	ck_assert_uint_eq(ts_testing_depth(), 0);
	ts_span_end(a, TS_STATUS_OK);              /* unknown now */
	ts_span_t b = ts_span_begin("b", TS_NO_ATTRS);
	ck_assert_uint_ne(b, a);                   /* handles are never reused */
	ck_assert_uint_eq(span_of(b)->parent, 0);
	ck_assert_uint_eq(span_of(b)->begin_seq, 1);
	ck_assert_uint_eq(ts_testing_thread(), 0);
	ck_assert_ptr_null(ts_testing_lookup(a));
}
END_TEST

START_TEST(dump_prints_the_tree)
{
	ts_span_t root = ts_span_begin("root", TS_ATTRS(ts_str("user", "alice")));
	ts_span_t leaf = ts_span_begin("leaf", TS_ATTRS(ts_int("rows", 3)));
	ts_span_error(leaf, "IOError", "disk full");
	ts_span_end(leaf, TS_STATUS_UNSET);
	ts_handoff(ts_span_context(root), "enqueue");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	ts_testing_dump(out);
	fclose(out);
	char want[128];
	ck_assert_ptr_nonnull(strstr(text, "2 spans (1 open), 1 hand-offs"));
	snprintf(want, sizeof want, "#%" PRIu64 " \"root\" scoped thread 0 OPEN", root);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	snprintf(want, sizeof want, "\n  #%" PRIu64 " \"leaf\" scoped thread 0->0 ERROR", leaf);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, " user=\"alice\""));
	ck_assert_ptr_nonnull(strstr(text, "error IOError: disk full rows=3"));
	ck_assert_ptr_nonnull(strstr(text, "event \"exception\""));
	ck_assert_ptr_nonnull(strstr(text, "hand-off "));
	free(text);
}
END_TEST

TS_API_SUITE("api_context",
	     attach_and_detach_nest,
	     with_span_runs_fn_under_the_span,
	     handoff_records_and_handoff_run_is_a_child,
	     traceparent_of_a_span,
	     calls_on_nothing_are_ignored,
	     handles_are_unique,
	     reset_forgets_everything,
	     dump_prints_the_tree)
