/* The memory a process's rings live in: TS_MAX_THREADS thread slots (a
 * struct ts_thread each, on a page of its own) and the chunk pool (its links,
 * then its chunks). In the process's segment when an agent reads it, else in
 * private memory; either way it is reserved whole and costs memory only as it
 * is written. Both sides compute the same layout from the number of chunks. */
#ifndef TS_ARENA_H
#define TS_ARENA_H

#include "thread.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_arena_layout {
	size_t slot_bytes;     /* one thread slot */
	size_t next_off;       /* the pool's links */
	size_t chunks_off;     /* the pool's chunks */
	size_t bytes;          /* all of it */
};

static inline struct ts_arena_layout ts_arena_layout(uint32_t nchunks)
{
	struct ts_arena_layout l;
	l.slot_bytes = (sizeof(struct ts_thread) + 4095) & ~(size_t)4095;
	l.next_off = l.slot_bytes * TS_MAX_THREADS;
	l.chunks_off = (l.next_off + (size_t)nchunks * 4 + 4095) & ~(size_t)4095;
	l.bytes = l.chunks_off + (size_t)nchunks * TS_CHUNK_BYTES;
	return l;
}

/* Fills v for the arena at base (pool: its free stack and counters, which
 * live elsewhere: in the segment's header, or in this process). */
void ts_arena_view(void *base, uint32_t nchunks, struct ts_pool *pool, struct ts_pool_view *v);

/* Producer: the arena thread slots are taken from (NULL until first use). */
extern void *ts_arena_base;
extern struct ts_pool_view ts_arena_pool;
/* Uses the arena at base (in the segment), or, with base NULL, a private
 * one made now; false when none could be made. */
bool ts_arena_use(void *base, uint32_t nchunks, struct ts_pool *pool);
/* Thread slot i of the producer's arena. */
struct ts_thread *ts_arena_thread(int slot);
/* Child after fork: the arena is the parent's (shared) or a copy whose
 * chunks are the parent's business: forgotten; the next use makes anew. */
void ts_arena_after_fork(void);

#endif
