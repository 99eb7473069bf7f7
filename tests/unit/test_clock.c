/* Tick -> BOOTTIME conversion: close to the real clock, monotonic, and the
 * same for a tick whenever it is converted. */
#include "check_main.h"
#include "clock.h"

#include <time.h>

static void spin_us(unsigned us)
{
	uint64_t end = ts_clock_boottime_ns() + us * 1000ull;
	while (ts_clock_boottime_ns() < end)
		;
}

START_TEST(tracks_boottime)
{
	ts_clock_init(false);
	spin_us(2000);
	ts_clock_sync();
	uint64_t before = ts_clock_boottime_ns();
	uint64_t tick = ts_ticks();
	uint64_t after = ts_clock_boottime_ns();
	uint64_t ns = ts_clock_to_ns(tick);
	/* Within 50 us of the real clock after a 2 ms calibration. */
	ck_assert_uint_ge(ns + 50000, before);
	ck_assert_uint_le(ns, after + 50000);
}
END_TEST

START_TEST(conversion_is_stable_and_monotonic)
{
	ts_clock_init(false);
	uint64_t ticks[200];
	uint64_t first[200];
	for (int i = 0; i < 200; i++) {
		ticks[i] = ts_ticks();
		if (i % 20 == 19) {
			spin_us(300);
			ts_clock_sync();
		}
		first[i] = ts_clock_to_ns(ticks[i]);
	}
	for (int i = 0; i < 200; i++) {
		/* Converting again after more syncs gives the same value. */
		ck_assert_uint_eq(ts_clock_to_ns(ticks[i]), first[i]);
		if (i)
			ck_assert_uint_ge(first[i], first[i - 1]);
	}
}
END_TEST

START_TEST(fallback_clock_is_identity)
{
	ts_clock_init(true);
	ck_assert_int_eq(ts_clock_tsc, 0);
	uint64_t t = ts_ticks();
	ck_assert_uint_eq(ts_clock_to_ns(t), t);
	ts_clock_init(false);
}
END_TEST

TS_CHECK_SUITE("clock",
	       tracks_boottime,
	       conversion_is_stable_and_monotonic,
	       fallback_clock_is_identity)
