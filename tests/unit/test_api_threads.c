/* traceshim.h across threads, against the recording test double: per-thread
 * stacks and ordinals, async spans ended elsewhere, contexts attached on
 * another thread, hand-offs, and many threads recording at once. */
#include "api_check.h"

#include <stdlib.h>

/* What a worker did and saw, for the test's thread to check. */
struct work {
	ts_context_t ctx;
	ts_span_t span;
	ts_span_t span2;
	ts_scope_t scope;
	ts_span_t current_before, current_inside, current_after;
	unsigned ordinal;
};

static void *begin_here(void *arg)
{
	struct work *w = arg;
	w->current_before = ts_span_current();
	w->span = ts_span_begin("worker", TS_NO_ATTRS);
	ts_span_end(w->ctx.span, TS_STATUS_ERROR);   /* another thread's: ignored */
	ts_span_end(w->span, TS_STATUS_OK);
	w->ordinal = ts_testing_thread();
	return NULL;
}

START_TEST(each_thread_has_its_own_stack)
{
	ck_assert_uint_eq(ts_testing_thread(), 0);
	ts_span_t main_span = ts_span_begin("main", TS_NO_ATTRS);
	struct work w = {.ctx = ts_span_context(main_span)};
	on_thread(begin_here, &w);
	struct work w2 = {.ctx = ts_span_context(main_span)};
	on_thread(begin_here, &w2);

	ck_assert_uint_eq(w.current_before, 0);
	ck_assert_uint_eq(w.ordinal, 1);
	ck_assert_uint_eq(w2.ordinal, 2);
	ck_assert_uint_eq(span_of(w.span)->parent, 0);
	ck_assert_uint_eq(span_of(w.span)->begin_thread, 1);
	ck_assert_uint_eq(span_of(w.span)->end_thread, 1);
	ck_assert_uint_eq(span_of(w2.span)->begin_thread, 2);
	ck_assert_int_eq(span_of(w.span)->status, TS_STATUS_OK);
	/* main's span was not ended by the workers, and is still current here. */
	ck_assert(!span_of(main_span)->ended);
	ck_assert_uint_eq(ts_span_current(), main_span);
	ts_span_end(main_span, TS_STATUS_OK);
	ck_assert_uint_eq(span_of(main_span)->end_thread, 0);
	ck_assert_int_eq(span_of(main_span)->status, TS_STATUS_OK);
}
END_TEST

static void *finish_async(void *arg)
{
	struct work *w = arg;
	ts_span_set(w->span, TS_ATTRS(ts_str("done.by", "worker")));
	ts_span_event(w->span, "reply", TS_NO_ATTRS);
	ts_span_end(w->span, TS_STATUS_OK);
	w->ordinal = ts_testing_thread();
	return NULL;
}

START_TEST(async_span_ends_on_another_thread)
{
	ts_span_t parent = ts_span_begin("request", TS_NO_ATTRS);
	struct work w = {.span = ts_span_start("call", TS_NO_ATTRS)};
	ts_span_end(parent, TS_STATUS_OK);
	on_thread(finish_async, &w);
	const ts_testing_span_t *call = span_of(w.span);
	ck_assert(call->ended);
	ck_assert_int_eq(call->kind, TS_TESTING_ASYNC);
	ck_assert_int_eq(call->status, TS_STATUS_OK);
	ck_assert_uint_eq(call->parent, parent);
	ck_assert_uint_eq(call->begin_thread, 0);
	ck_assert_uint_eq(call->end_thread, 1);
	ck_assert_uint_eq(w.ordinal, 1);
	ck_assert_str_eq(ts_testing_attr_str(call, "done.by"), "worker");
	ck_assert_uint_eq(ts_testing_event(call, 0)->thread, 1);
	ck_assert_uint_gt(call->end_seq, span_of(parent)->end_seq);
}
END_TEST

static void *attach_there(void *arg)
{
	struct work *w = arg;
	w->scope = ts_context_attach(w->ctx);
	w->current_inside = ts_span_current();
	w->span2 = ts_span_start("async under", TS_NO_ATTRS);
	w->span = ts_span_begin("db query", TS_NO_ATTRS);
	ts_context_detach(w->scope);   /* ends "db query", UNSET */
	w->current_after = ts_span_current();
	return NULL;
}

START_TEST(attach_on_another_thread_parents_its_spans)
{
	ts_span_t req = ts_span_begin("request", TS_NO_ATTRS);
	struct work w = {.ctx = ts_context_capture()};
	on_thread(attach_there, &w);
	ck_assert_uint_ne(w.scope, 0);
	ck_assert_uint_eq(w.current_inside, req);
	ck_assert_uint_eq(w.current_after, 0);
	const ts_testing_span_t *q = span_of(w.span);
	ck_assert_uint_eq(q->parent, req);
	ck_assert_uint_eq(q->begin_thread, 1);
	ck_assert(q->ended);
	ck_assert_uint_eq(q->end_thread, 1);
	ck_assert_int_eq(q->status, TS_STATUS_UNSET);
	ck_assert_uint_eq(span_of(w.span2)->parent, req);
	ck_assert(!span_of(w.span2)->ended);
	ck_assert_uint_eq(ts_testing_child_count(span_of(req)), 2);
	ck_assert_uint_eq(ts_span_current(), req);
	ck_assert(!span_of(req)->ended);
}
END_TEST

static void *detach_foreign(void *arg)
{
	struct work *w = arg;
	ts_context_detach(w->scope);   /* not on this thread's stack */
	return NULL;
}

START_TEST(detach_on_another_thread_is_ignored)
{
	ts_span_t s = ts_span_start("s", TS_NO_ATTRS);
	struct work w = {.scope = ts_context_attach(ts_span_context(s))};
	ts_span_t inner = ts_span_begin("inner", TS_NO_ATTRS);
	on_thread(detach_foreign, &w);
	ck_assert_uint_eq(ts_span_current(), inner);
	ck_assert_uint_eq(ts_testing_depth(), 2);
	ck_assert(!span_of(inner)->ended);
	ts_context_detach(w.scope);
	ck_assert(span_of(inner)->ended);
	ck_assert_uint_eq(ts_span_current(), 0);
}
END_TEST

static void *run_handed_off(void *arg)
{
	struct work *w = arg;
	w->current_before = ts_span_current();
	w->span = ts_handoff_run(w->ctx, "job", TS_NO_ATTRS);
	w->current_inside = ts_span_current();
	w->span2 = ts_span_begin("step", TS_NO_ATTRS);
	ts_span_end(w->span, TS_STATUS_OK);
	w->current_after = ts_span_current();
	return NULL;
}

START_TEST(handoff_runs_under_the_submitter_on_another_thread)
{
	ts_span_t req = ts_span_begin("request", TS_NO_ATTRS);
	struct work w = {.ctx = ts_handoff(ts_context_capture(), "enqueue")};
	ts_span_end(req, TS_STATUS_OK);   /* the work may outlive its submitter */
	on_thread(run_handed_off, &w);
	ck_assert_uint_eq(w.current_before, 0);
	ck_assert_uint_eq(w.current_inside, w.span);
	ck_assert_uint_eq(w.current_after, 0);
	const ts_testing_span_t *job = span_of(w.span);
	ck_assert_uint_eq(job->parent, req);
	ck_assert_uint_eq(job->handoff, w.ctx.handoff);
	ck_assert_uint_eq(job->begin_thread, 1);
	ck_assert_int_eq(job->status, TS_STATUS_OK);
	ck_assert_uint_eq(span_of(w.span2)->parent, w.span);
	ck_assert(span_of(w.span2)->ended);
	const ts_testing_handoff_t *h = ts_testing_handoff_lookup(w.ctx.handoff);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->span, req);
	ck_assert_uint_eq(h->thread, 0);
	ck_assert_str_eq(h->name, "enqueue");
	ck_assert_uint_lt(h->seq, job->begin_seq);
}
END_TEST

#define THREADS 8
#define ROUNDS 200

static void *busy(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		ts_span_t outer = ts_span_begin("outer", TS_ATTRS(ts_int("i", i)));
		ts_span_t inner = ts_span_begin("inner", TS_NO_ATTRS);
		ts_span_t async = ts_span_start("async", TS_NO_ATTRS);
		ts_span_set(inner, TS_ATTRS(ts_int("i", i)));
		ts_span_end(outer, TS_STATUS_OK);
		ts_span_end(async, TS_STATUS_ERROR);
		(void)inner;
	}
	return NULL;
}

START_TEST(many_threads_record_at_once)
{
	ck_assert_uint_eq(ts_testing_thread(), 0);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, busy, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);

	ck_assert_uint_eq(ts_testing_span_count(), THREADS * ROUNDS * 3);
	ck_assert_uint_eq(ts_testing_open_count(), 0);
	ck_assert_uint_eq(ts_testing_count_named("inner"), THREADS * ROUNDS);
	unsigned per_thread[THREADS + 1] = {0};
	for (size_t i = 0; i < ts_testing_span_count(); i++) {
		const ts_testing_span_t *s = ts_testing_span(i);
		ck_assert_ptr_eq(ts_testing_lookup(s->handle), s);   /* handles are unique */
		ck_assert(s->begin_thread >= 1 && s->begin_thread <= THREADS);
		ck_assert_uint_eq(s->end_thread, s->begin_thread);
		per_thread[s->begin_thread]++;
		if (s->kind == TS_TESTING_ASYNC)
			ck_assert_int_eq(s->status, TS_STATUS_ERROR);
		if (s->name[0] != 'i')
			continue;
		/* An inner span: under its thread's outer, same round, ended with it. */
		const ts_testing_span_t *outer = ts_testing_parent(s);
		ck_assert_ptr_nonnull(outer);
		ck_assert_str_eq(outer->name, "outer");
		ck_assert_uint_eq(outer->begin_thread, s->begin_thread);
		ck_assert_int_eq(ts_testing_attr(outer, "i")->value.i, ts_testing_attr(s, "i")->value.i);
		ck_assert_int_eq(s->status, TS_STATUS_UNSET);
		ck_assert_int_eq(outer->status, TS_STATUS_OK);
		ck_assert_uint_eq(s->end_seq + 1, outer->end_seq);
	}
	for (int t = 1; t <= THREADS; t++)
		ck_assert_uint_eq(per_thread[t], ROUNDS * 3);
}
END_TEST

TS_API_SUITE("api_threads",
	     each_thread_has_its_own_stack,
	     async_span_ends_on_another_thread,
	     attach_on_another_thread_parents_its_spans,
	     detach_on_another_thread_is_ignored,
	     handoff_runs_under_the_submitter_on_another_thread,
	     many_threads_record_at_once)
