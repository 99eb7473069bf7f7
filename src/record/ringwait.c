/* What a producer does when its ring is full, or the pool has no chunk for
 * it, and the policy is to wait (TRACESHIM_ON_FULL=block, the default):
 * wake the consumer, then sleep until it has taken records. The wait is
 * bounded by the consumer's progress, not by a total time: as long as it
 * takes records, the program waits as a program writing to a slow pipe
 * would; a consumer that takes nothing for half a second is taken to be
 * gone, and that ring drops (counted) from then on. The waiting threads
 * sleep on a futex the consumer wakes after each cycle, so they never take
 * the CPU from it. Never called with the ring's busy flag clear. */
#include "rawsys.h"
#include "ring.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STALL_NS 500000000ull
#define NAP_NS 20000000L

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool (*nudge)(void);

void ts_ring_set_nudge(bool (*fn)(void))
{
	nudge = fn;
}

/* Wakes whoever consumes the rings; false when there is none. */
static bool nudge_consumer(void)
{
	return nudge && nudge();
}

static bool room(struct ts_ring *r, uint64_t need)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
	return head + need - r->tail_seen <= r->cap;
}

/* Waits until ready(r, arg) holds; false when the consumer stalled (or there
 * is none). */
static bool wait_for(struct ts_ring *r, bool (*ready)(struct ts_ring *, uint64_t *), uint64_t *arg)
{
	struct ts_pool *p = r->pool->pool;
	bool ok = false;
	atomic_fetch_add(&p->waiters, 1);
	uint32_t last = atomic_load(&p->progress);
	uint64_t since = now_ns();
	for (;;) {
		if (!nudge_consumer())
			break;
		uint32_t seen = atomic_load(&p->progress);
		if (ready(r, arg)) {
			ok = true;
			break;
		}
		struct timespec nap = {0, NAP_NS};
		ts_syscall(SYS_futex, &p->progress, FUTEX_WAIT, seen, &nap, NULL, 0);
		uint32_t now_seen = atomic_load(&p->progress);
		uint64_t now = now_ns();
		if (now_seen != last) {
			last = now_seen;
			since = now;
		} else if (now - since > STALL_NS) {
			break;
		}
	}
	atomic_fetch_sub(&p->waiters, 1);
	if (!ok)
		r->block = 0;
	return ok;
}

static bool has_room(struct ts_ring *r, uint64_t *need)
{
	return room(r, *need);
}

bool ts_ring_wait_room(struct ts_ring *r, uint64_t need)
{
	int saved = errno;   /* the wrapper's errno is the program's */
	bool ok = wait_for(r, has_room, &need);
	errno = saved;
	return ok;
}

static bool got_chunk(struct ts_ring *r, uint64_t *chunk)
{
	uint32_t c = ts_pool_take(r->pool);
	*chunk = c;
	return c != UINT32_MAX;
}

bool ts_ring_new_chunk(struct ts_ring *r, uint64_t h)
{
	uint64_t c = ts_pool_take(r->pool);
	if (c == UINT32_MAX && r->block) {
		int saved = errno;
		if (!wait_for(r, got_chunk, &c))
			c = UINT32_MAX;
		errno = saved;
	}
	if (c == UINT32_MAX)
		return false;
	atomic_store_explicit(&r->table[(h >> TS_CHUNK_SHIFT) % TS_RING_CHUNKS], (uint32_t)c,
			      memory_order_relaxed);
	return true;
}
