/* Sleeps as spans (waitwrap.h): nanosleep, clock_nanosleep, usleep and
 * sleep, with the time asked for. glibc's sleep and usleep sleep through
 * its own nanosleep, not through these: one span per call. */
#include "waitwrap.h"

#include <time.h>
#include <unistd.h>

static uint64_t ns_of(const struct timespec *ts)
{
	if (!ts_plausible_ptr(ts) || ts->tv_sec < 0 || ts->tv_nsec < 0)
		return 0;
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

TS_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	TS_REAL(nanosleep, -1);
	TS_WAIT_BODY(TS_OP_NANOSLEEP, real(req, rem),
		     w_.arg = r_ != 0 && e_ == EFAULT ? 0 : ns_of(req));
}

/* Returns its error number and leaves errno alone: the record's err is
 * that number (decode_wait.c reads it from the result). */
TS_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
			      struct timespec *rem)
{
	TS_REAL(clock_nanosleep, EINVAL);
	TS_WAIT_BODY(TS_OP_CLOCK_NANOSLEEP, real(clk, flags, req, rem),
		     (w_.arg = flags & TIMER_ABSTIME || r_ == EFAULT ? 0 : ns_of(req),
		      w_.aux_kind = flags & TIMER_ABSTIME ? TS_WAIT_ABSOLUTE : 0));
}

TS_EXPORT int usleep(useconds_t us)
{
	TS_REAL(usleep, -1);
	TS_WAIT_BODY(TS_OP_USLEEP, real(us), w_.arg = (uint64_t)us * 1000u);
}

/* Returns the seconds left: more than 0 when a signal ended it. */
TS_EXPORT unsigned int sleep(unsigned int secs)
{
	TS_REAL(sleep, secs);
	TS_WAIT_BODY(TS_OP_SLEEP, real(secs), w_.arg = (uint64_t)secs * 1000000000u);
}
