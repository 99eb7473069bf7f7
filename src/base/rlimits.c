/* The process's soft limits as the shim knows them (rlimits.h). */
#include "rlimits.h"

#include "rawfs.h"

#include <stdatomic.h>
#include <sys/syscall.h>

static _Atomic uint64_t nofile = UINT64_MAX, fsize = UINT64_MAX;
static _Atomic bool sandboxed;

static uint64_t soft_of(int resource)
{
	struct rlimit rl;
	if (ts_syscall(SYS_prlimit64, 0, resource, NULL, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	return (uint64_t)rl.rlim_cur;
}

void ts_rlimits_init(void)
{
	atomic_store_explicit(&nofile, soft_of(RLIMIT_NOFILE), memory_order_relaxed);
	atomic_store_explicit(&fsize, soft_of(RLIMIT_FSIZE), memory_order_relaxed);
}

TS_RLIMITS_EARLY void ts_rlimits_set(int resource, uint64_t cur)
{
	if (cur == (uint64_t)RLIM_INFINITY)
		cur = UINT64_MAX;
	if (resource == RLIMIT_NOFILE)
		atomic_store_explicit(&nofile, cur, memory_order_relaxed);
	else if (resource == RLIMIT_FSIZE)
		atomic_store_explicit(&fsize, cur, memory_order_relaxed);
}

TS_RLIMITS_EARLY bool ts_rlimits_self(int pid)
{
	return pid == 0 || pid == (int)ts_syscall(SYS_getpid);
}

uint64_t ts_rlimits_nofile(void)
{
	return atomic_load_explicit(&nofile, memory_order_relaxed);
}

bool ts_fsize_allows_size(uint64_t bytes)
{
	return bytes <= atomic_load_explicit(&fsize, memory_order_relaxed);
}

bool ts_fsize_allows(int fd, size_t len)
{
	uint64_t limit = atomic_load_explicit(&fsize, memory_order_relaxed);
	if (limit == UINT64_MAX)
		return true;
	if (ts_sandboxed())
		return false;   /* its size cannot be asked: nothing written */
	struct stat st;
	if (ts_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return true;   /* no file to grow (a pipe, a terminal), or none at all */
	return (uint64_t)st.st_size + len <= limit;
}

void ts_sandbox_entered(void)
{
	atomic_store_explicit(&sandboxed, true, memory_order_relaxed);
}

bool ts_sandboxed(void)
{
	return atomic_load_explicit(&sandboxed, memory_order_relaxed);
}
