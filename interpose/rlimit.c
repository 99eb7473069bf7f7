/* setrlimit and prlimit, followed but not traced: the shim keeps to the
 * limits the program sets itself (rlimits.h), without asking the kernel for
 * them in a wrapper. Made here as the system call glibc makes for them on
 * 64-bit Linux (prlimit64; struct rlimit is struct rlimit64 there), with no
 * lookup of the real function: a sanitizer's runtime sets a limit while it
 * starts, before anything can be looked up. A limit of another process
 * (prlimit with its pid) is not this one's. */
#include "wrap.h"

#include "rawsys.h"
#include "rlimits.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(struct rlimit) == sizeof(struct rlimit64), "rlimit is rlimit64 here");

TS_RLIMITS_EARLY long ts_rlimit_call(pid_t pid, int resource, const void *rl, void *old)
{
	long r = ts_syscall(SYS_prlimit64, pid, resource, rl, old);
	if (r == 0 && rl && ts_rlimits_self(pid))
		ts_rlimits_set(resource, (uint64_t)((const struct rlimit64 *)rl)->rlim_cur);
	return r;
}

TS_RLIMITS_EARLY TS_EXPORT int setrlimit(__rlimit_resource_t resource, const struct rlimit *rl)
{
	return (int)ts_rlimit_call(0, (int)resource, rl, NULL);
}

TS_RLIMITS_EARLY TS_EXPORT int setrlimit64(__rlimit_resource_t resource,
					   const struct rlimit64 *rl)
{
	return (int)ts_rlimit_call(0, (int)resource, rl, NULL);
}

TS_RLIMITS_EARLY TS_EXPORT int prlimit(pid_t pid, __rlimit_resource_t resource,
				       const struct rlimit *rl, struct rlimit *old)
{
	return (int)ts_rlimit_call(pid, (int)resource, rl, old);
}

TS_RLIMITS_EARLY TS_EXPORT int prlimit64(pid_t pid, __rlimit_resource_t resource,
					 const struct rlimit64 *rl, struct rlimit64 *old)
{
	return (int)ts_rlimit_call(pid, (int)resource, rl, old);
}
