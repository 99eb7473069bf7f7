/* The recording side of the blocking waits in system calls (family wait:
 * polls, sleeps, child processes, futex waits): whether a call blocked long
 * enough to be a span, and the record it makes (the layout is
 * format/syswait.h). The wrappers' fast path is two tick reads and one
 * compare with the threshold in ticks (wake.h, shared with the waits on
 * locks); everything else is out of line and runs only for a call that
 * already waited. */
#ifndef TS_RECORDSYSWAIT_H
#define TS_RECORDSYSWAIT_H

#include "ops.h"
#include "registry.h"
#include "syswait.h"
#include "wake.h"

#include <stdbool.h>
#include <stdint.h>

/* A wait that lasted TRACESHIM_WAIT_MIN_US or more: the test inline in the
 * wrappers. */
static inline bool ts_wait_maybe_long(uint64_t t0, uint64_t t1)
{
	return __builtin_expect(t1 - t0 >= ts_wait_min_ticks(), 0);
}

/* What a wait that lasted was; the record's fields (format/syswait.h)
 * besides its operation, times and result. */
struct ts_wait_info {
	uint64_t arg;
	uint32_t aux, aux2;
	uint8_t aux_kind;
	uint32_t waker_index1;       /* a waking thread's index + 1, 0 none */
};

/* Records wait op of thread t, which lasted TRACESHIM_WAIT_MIN_US or more
 * (ts_wait_maybe_long), unless the shim itself made it (caller: the
 * wrapper's return address). ret and err are the call's; errno is left as
 * it is. */
void ts_record_syswait(struct ts_thread *t, enum ts_op op, const void *caller, int64_t ret,
		       int err, const struct ts_wait_info *w, uint64_t t0, uint64_t t1);

/* Code at pc is the shim's own: its waits go to the kernel directly
 * (base/rawsys.h), and one that came through a wrapper all the same would
 * be no span either. */
bool ts_wait_shim_code(const void *pc);

#endif
