/* Shared by the tests of traceshim.h against the recording test double: a
 * suite whose tests each start from an empty record, and helpers that print
 * the record when what a test looks for is missing. */
#ifndef TS_API_CHECK_H
#define TS_API_CHECK_H

#include "check_main.h"
#include "traceshim-testing.h"

#include <pthread.h>
#include <stdio.h>

static void api_setup(void)
{
	ts_testing_reset();
}

/* A suite of one test case holding the given tests, each on a fresh record. */
#define TS_API_SUITE(name, ...) TS_CHECK_SUITE_SETUP(name, api_setup, __VA_ARGS__)

/* The recorded span: fails the test (printing the record) when unknown. */
static inline const ts_testing_span_t *span_of(ts_span_t h)
{
	const ts_testing_span_t *s = ts_testing_lookup(h);
	if (!s)
		ts_testing_dump(stderr);
	ck_assert_msg(s != NULL, "span %llu is not recorded", (unsigned long long)h);
	return s;
}

static inline const ts_testing_span_t *span_named(const char *name)
{
	const ts_testing_span_t *s = ts_testing_find(name);
	if (!s)
		ts_testing_dump(stderr);
	ck_assert_msg(s != NULL, "no span named \"%s\"", name);
	return s;
}

/* Runs fn(arg) on a new thread and waits for it. Assert in the test's own
 * thread, on what fn left in arg. */
static inline void on_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, fn, arg), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
}

#endif
