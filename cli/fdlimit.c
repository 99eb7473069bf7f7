/* The descriptor limit of the agent and of `traceshim run` (see fdlimit.h). */
#include "fdlimit.h"

#include <limits.h>

static unsigned long as_count(rlim_t v)
{
	return v == RLIM_INFINITY || v > ULONG_MAX ? ULONG_MAX : (unsigned long)v;
}

unsigned long ts_fdlimit_raise(struct rlimit *was)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (was)
		*was = rl;
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit up = {rl.rlim_max, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	return as_count(rl.rlim_cur);
}

unsigned long ts_fdlimit_now(void)
{
	struct rlimit rl;
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? as_count(rl.rlim_cur) : 0;
}
