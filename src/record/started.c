/* The tracer's start state (see started.h). */
#include "started.h"

#include "registry.h"

#include <stdatomic.h>

_Atomic int ts_start_state;

bool ts_init_for_call(void)
{
	return atomic_load_explicit(&ts_start_state, memory_order_acquire) == TS_START_DONE &&
	       atomic_load_explicit(&ts_active, memory_order_relaxed);
}
