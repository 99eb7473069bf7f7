/* OTLP/HTTP retry policy: which outcomes are retried, Retry-After, and
 * exponential backoff with jitter. */
#ifndef TS_OTLP_RETRY_H
#define TS_OTLP_RETRY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* status: the HTTP status, or 0 when no response came (connection refused,
 * reset, timed out). Only 429, 502, 503, 504 and failed connections are
 * retried; every other status, 400 included, is final. */
bool ts_otlp_retryable(long status);

/* Retry-After as milliseconds from now: delay-seconds or an HTTP-date
 * ("Sun, 06 Nov 1994 08:49:37 GMT"); -1 when absent or malformed. A date in
 * the past gives 0. */
long ts_retry_after_ms(const char *value, time_t now);

/* Delay before retry number `attempt` (0 for the first retry): a random
 * point in [d/2, d] where d = base_ms * 2^attempt capped at cap_ms; rnd is
 * any 64-bit random value. */
unsigned ts_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms, uint64_t rnd);

#endif
