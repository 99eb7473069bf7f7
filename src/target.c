/* The process whose records the drain side reads (see target.h). */
#include "target.h"

#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic pid_t target;   /* 0: this process, whatever its pid is now */

pid_t ts_target_pid(void)
{
	/* Asked each time rather than kept: a forked child's drainer reads
	 * the child's records. */
	pid_t pid = atomic_load_explicit(&target, memory_order_relaxed);
	return pid ? pid : (pid_t)syscall(SYS_getpid);
}

void ts_target_set_pid(pid_t pid)
{
	atomic_store_explicit(&target, pid, memory_order_relaxed);
}
