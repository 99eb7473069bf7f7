/* traceshim.h with no tracer in the process (this program links neither
 * libtraceshim nor the test double): every call must do nothing and return
 * at once, with "no span" results. */
#include "check_main.h"
#include "traceshim.h"

#include <string.h>

static void count_call(void *arg)
{
	int *calls = arg;
	(*calls)++;
	ck_assert_uint_eq(ts_span_current(), 0);
}

START_TEST(no_tracer_is_loaded)
{
	/* Run under LD_PRELOAD=libtraceshim.so, this test means nothing. */
	ck_assert_msg(dlsym((void *)0, "ts_api_get") == NULL, "a tracer is loaded");
	ck_assert(!ts_enabled());
}
END_TEST

START_TEST(spans_are_zero)
{
	ck_assert_uint_eq(ts_span_begin("a", TS_ATTRS(ts_int("n", 1))), 0);
	ck_assert_uint_eq(ts_span_start("b", TS_NO_ATTRS), 0);
	ck_assert_uint_eq(ts_span_current(), 0);
	ts_context_t c = ts_context_capture();
	ck_assert_uint_eq(c.span, 0);
	ck_assert_uint_eq(c.handoff, 0);
	ck_assert_uint_eq(ts_handoff_run(ts_span_context(42), "job", TS_NO_ATTRS), 0);
	ck_assert_uint_eq(ts_span_current(), 0);
}
END_TEST

START_TEST(calls_on_made_up_spans_do_nothing)
{
	/* Handles no tracer gave: must not crash, nothing to observe. */
	ts_span_set(42, TS_ATTRS(ts_str("k", "v")));
	ts_span_event(42, "e", TS_NO_ATTRS);
	ts_span_error(42, "IOError", "disk full");
	ts_span_end(42, TS_STATUS_OK);
	ts_span_end(0, TS_STATUS_OK);
	ck_assert_uint_eq(ts_context_attach(ts_span_context(42)), 0);
	ts_context_detach(7);
	ts_context_detach(0);
	ck_assert_uint_eq(ts_span_current(), 0);
}
END_TEST

START_TEST(with_span_still_runs_fn)
{
	int calls = 0;
	ts_with_span(42, count_call, &calls);
	ts_with_span(0, count_call, &calls);
	ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(handoff_returns_its_context)
{
	ts_context_t ctx = {42, 7};
	ts_context_t out = ts_handoff(ctx, "enqueue");
	ck_assert_uint_eq(out.span, 42);
	ck_assert_uint_eq(out.handoff, 7);
	out = ts_handoff(ts_span_context(0), NULL);
	ck_assert_uint_eq(out.span, 0);
	ck_assert_uint_eq(out.handoff, 0);
}
END_TEST

START_TEST(traceparent_is_empty)
{
	char buf[64];
	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(ts_traceparent(42, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(ts_traceparent(42, buf, 1), 0);
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[1], 'x');
	ck_assert_uint_eq(ts_traceparent(42, NULL, 0), 0);   /* no room: nothing written */
}
END_TEST

TS_CHECK_SUITE("api_none",
	       no_tracer_is_loaded,
	       spans_are_zero,
	       calls_on_made_up_spans_do_nothing,
	       with_span_still_runs_fn,
	       handoff_returns_its_context,
	       traceparent_is_empty)
