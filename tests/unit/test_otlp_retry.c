/* OTLP/HTTP retry policy. */
#include "check_main.h"
#include "retry.h"

START_TEST(retryable_outcomes)
{
	ck_assert(ts_otlp_retryable(0));
	ck_assert(ts_otlp_retryable(429));
	ck_assert(ts_otlp_retryable(502));
	ck_assert(ts_otlp_retryable(503));
	ck_assert(ts_otlp_retryable(504));
	ck_assert(!ts_otlp_retryable(200));
	ck_assert(!ts_otlp_retryable(400));
	ck_assert(!ts_otlp_retryable(413));
	ck_assert(!ts_otlp_retryable(500));
}
END_TEST

START_TEST(retry_after)
{
	time_t now = 784111777;   /* Sun, 06 Nov 1994 08:49:37 GMT */
	ck_assert_int_eq(ts_retry_after_ms("3", now), 3000);
	ck_assert_int_eq(ts_retry_after_ms(" 0 ", now), 0);
	ck_assert_int_eq(ts_retry_after_ms("Sun, 06 Nov 1994 08:49:42 GMT", now), 5000);
	ck_assert_int_eq(ts_retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT", now), 0);
	ck_assert_int_eq(ts_retry_after_ms("soon", now), -1);
	ck_assert_int_eq(ts_retry_after_ms("5s", now), -1);
	ck_assert_int_eq(ts_retry_after_ms("99999999", now), -1);
	ck_assert_int_eq(ts_retry_after_ms(NULL, now), -1);
}
END_TEST

START_TEST(backoff_grows_with_jitter)
{
	for (uint64_t rnd = 0; rnd < 1000; rnd += 37) {
		unsigned d0 = ts_backoff_ms(0, 100, 5000, rnd);
		unsigned d3 = ts_backoff_ms(3, 100, 5000, rnd);
		unsigned d9 = ts_backoff_ms(9, 100, 5000, rnd);
		ck_assert_uint_ge(d0, 50);
		ck_assert_uint_le(d0, 100);
		ck_assert_uint_ge(d3, 400);
		ck_assert_uint_le(d3, 800);
		ck_assert_uint_ge(d9, 2500);   /* capped at 5000 */
		ck_assert_uint_le(d9, 5000);
	}
	ck_assert_uint_ne(ts_backoff_ms(2, 100, 5000, 1), ts_backoff_ms(2, 100, 5000, 150));
}
END_TEST

TS_CHECK_SUITE("otlp_retry",
	       retryable_outcomes,
	       retry_after,
	       backoff_grows_with_jitter)
