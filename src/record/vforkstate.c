/* The per-thread vfork state (see vforkstate.h). */
#include "vforkstate.h"

#include "rawsys.h"

#include <sys/syscall.h>
#include <unistd.h>

__thread struct ts_vfork_state ts_vfork __attribute__((tls_model("initial-exec")));

bool ts_vfork_child_slow(void)
{
	unsigned depth = ts_vfork.depth;
	return depth && ts_syscall(SYS_gettid) != ts_vfork.frame[depth - 1].tid;
}
