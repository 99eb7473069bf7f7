/* setrlimit and prlimit, followed but not traced: the shim keeps to the
 * limits the program sets itself (rlimits.h), without asking the kernel for
 * them in a wrapper. A limit of another process (prlimit with its pid) is
 * not this one's. */
#include "wrap.h"

#include "rlimits.h"

#include <sys/resource.h>
#include <unistd.h>

static void follow(int resource, const struct rlimit *now)
{
	if (now)
		ts_rlimits_set(resource, (uint64_t)now->rlim_cur);
}

TS_EXPORT int setrlimit(__rlimit_resource_t resource, const struct rlimit *rl)
{
	TS_REAL(setrlimit, -1);
	int r = real(resource, rl);
	if (r == 0)
		follow((int)resource, rl);
	return r;
}

TS_EXPORT int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *rl)
{
	TS_REAL(setrlimit64, -1);
	int r = real(resource, rl);
	if (r == 0)
		ts_rlimits_set((int)resource, (uint64_t)rl->rlim_cur);
	return r;
}

TS_EXPORT int prlimit(pid_t pid, __rlimit_resource_t resource, const struct rlimit *rl,
		      struct rlimit *old)
{
	TS_REAL(prlimit, -1);
	int r = real(pid, resource, rl, old);
	if (r == 0 && ts_rlimits_self(pid))
		follow((int)resource, rl);
	return r;
}

TS_EXPORT int prlimit64(pid_t pid, __rlimit_resource_t resource, const struct rlimit64 *rl,
			struct rlimit64 *old)
{
	TS_REAL(prlimit64, -1);
	int r = real(pid, resource, rl, old);
	if (r == 0 && rl && ts_rlimits_self(pid))
		ts_rlimits_set((int)resource, (uint64_t)rl->rlim_cur);
	return r;
}
