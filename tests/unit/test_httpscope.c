/* Which request a thread's work is for (src/record/httpscope.c): one request
 * open on the thread is current; while several are (an event loop), none
 * is; never is a request under another. Requests are read and answered the
 * way httpspan.c does it: enter with the slot's handle as `live`, leave, then
 * the handle zeroed. */
#include "check_main.h"
#include "httpconn_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREAD_SPAN 1
#define REQUESTS 16

static uint64_t live[REQUESTS];

static struct ts_thread *thread_new(uint32_t index)
{
	struct ts_thread *t = calloc(1, sizeof *t);
	ck_assert_ptr_nonnull(t);
	t->index = index;
	t->cur_span = THREAD_SPAN;
	return t;
}

static uint32_t number(unsigned i)
{
	return 100 + i;
}

static void read_request(struct ts_thread *t, unsigned i, const char *traceparent)
{
	ck_assert_uint_eq(ts_http_outside_requests(t), THREAD_SPAN);   /* never under another */
	live[i] = (uint64_t)t->index << 32 | number(i);
	ts_http_enter(t, live[i], &live[i], traceparent);
}

static void answer(struct ts_thread *t, unsigned i)
{
	ts_http_leave(t, live[i]);
	live[i] = 0;
}

START_TEST(one_at_a_time)
{
	struct ts_thread *t = thread_new(3);
	for (unsigned i = 0; i < 3; i++) {
		read_request(t, i, NULL);
		ck_assert_uint_eq(t->cur_span, number(i));
		answer(t, i);
		ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
		ck_assert_uint_eq(t->nscopes, 0);
	}
	free(t);
}
END_TEST

START_TEST(overlapping_requests)
{
	struct ts_thread *t = thread_new(3);
	read_request(t, 0, NULL);
	read_request(t, 1, NULL);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);   /* which one a call is for is not known */
	read_request(t, 2, NULL);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	answer(t, 1);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	answer(t, 0);
	ck_assert_uint_eq(t->cur_span, number(2));     /* the one left */
	answer(t, 2);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	free(t);
}
END_TEST

START_TEST(more_open_than_kept)
{
	/* Twelve open: the first eight kept, four only counted. With the
	 * kept ones but one answered, one of the others is still open. */
	struct ts_thread *t = thread_new(3);
	for (unsigned i = 0; i < 12; i++)
		read_request(t, i, NULL);
	for (unsigned i = 1; i < 11; i++) {
		answer(t, i);
		ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	}
	answer(t, 11);
	ck_assert_uint_eq(t->cur_span, number(0));
	answer(t, 0);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	free(t);
}
END_TEST

static void *answer_1(void *thread)
{
	answer(thread, 1);
	return NULL;
}

START_TEST(answered_on_another_thread)
{
	struct ts_thread *t = thread_new(3), *other = thread_new(4);
	read_request(t, 0, NULL);
	read_request(t, 1, NULL);
	/* A connection used from several threads: its answer sent by another. */
	pthread_t tid;
	ck_assert_int_eq(pthread_create(&tid, NULL, answer_1, other), 0);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_uint_eq(other->cur_span, THREAD_SPAN);
	read_request(t, 2, NULL);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);   /* 0 and 2 open */
	answer(t, 2);
	ck_assert_uint_eq(t->cur_span, number(0));
	answer(t, 0);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	free(t);
	free(other);
}
END_TEST

START_TEST(the_callers_trace)
{
	static const char tp[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
	struct ts_thread *t = thread_new(3);
	uint8_t id[16], flags = 0;
	read_request(t, 0, tp);
	ck_assert(ts_http_current_trace(t, id, &flags));
	ck_assert_uint_eq(id[0], 0x0a);
	ck_assert_uint_eq(id[15], 0x9c);
	ck_assert_uint_eq(flags, 1);
	read_request(t, 1, NULL);
	ck_assert(!ts_http_current_trace(t, id, &flags));   /* none current */
	answer(t, 1);
	ck_assert(ts_http_current_trace(t, id, &flags));
	answer(t, 0);
	ck_assert(!ts_http_current_trace(t, id, &flags));
	free(t);
}
END_TEST

START_TEST(under_the_programs_own_span)
{
	/* A span the program began inside the request stays where it is. */
	struct ts_thread *t = thread_new(3);
	read_request(t, 0, NULL);
	t->scopes[t->nscopes++] = (struct ts_scope){.span = 50, .restore = t->cur_span,
						    .handle = 50, .kind = TS_SCOPE_SPAN};
	t->cur_span = 50;
	read_request(t, 1, NULL);
	ck_assert_uint_eq(t->cur_span, 50);
	answer(t, 1);
	ck_assert_uint_eq(t->cur_span, 50);
	t->cur_span = t->scopes[--t->nscopes].restore;
	ck_assert_uint_eq(t->cur_span, number(0));
	answer(t, 0);
	ck_assert_uint_eq(t->cur_span, THREAD_SPAN);
	free(t);
}
END_TEST

TS_CHECK_SUITE("httpscope", one_at_a_time, overlapping_requests, more_open_than_kept,
	       answered_on_another_thread, the_callers_trace, under_the_programs_own_span)
