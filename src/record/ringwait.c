/* What a producer does when its ring is full and the policy is to wait
 * (TRACESHIM_ON_FULL=block, the default): wake the consumer, then wait for
 * it to make room. The wait is bounded by the consumer's progress, not by a
 * total time: as long as records are being taken out, the program waits as a
 * program writing to a slow pipe would; a consumer that takes nothing for
 * half a second is taken to be gone, and that ring drops (counted) from then
 * on. Never called with the ring's busy flag clear. */
#include "ring.h"

#include "doorbell.h"
#include "segment_prod.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#define STALL_NS 500000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool wait_room(struct ts_ring *r, uint64_t need)
{
	uint64_t cap = (uint64_t)r->mask + 1;
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t last_tail = r->tail_seen, since = now_ns();
	for (unsigned spins = 0;; spins++) {
		if ((spins & 63) == 0) {
			if (ts_seg) {
				ts_segment_nudge();
			} else if (!ts_drain_wake()) {
				r->block = 0;   /* no consumer at all */
				return false;
			}
		}
		if (spins < 64) {
			sched_yield();
		} else {
			struct timespec pause = {0, 50000};
			nanosleep(&pause, NULL);
		}
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		r->tail_seen = tail;
		if (head + need - tail <= cap)
			return true;
		uint64_t now = now_ns();
		if (tail != last_tail) {
			last_tail = tail;
			since = now;
		} else if (now - since > STALL_NS) {
			r->block = 0;
			return false;
		}
	}
}

bool ts_ring_wait_room(struct ts_ring *r, uint64_t need)
{
	int saved = errno;   /* the wrapper's errno is the program's */
	bool ok = wait_room(r, need);
	errno = saved;
	return ok;
}
