/* The memory a process's rings live in, as both sides lay it out:
 * TS_MAX_THREADS thread slots (a struct ts_thread each, on a page of its
 * own) and the chunk pool (its links, then its chunks). In the process's
 * segment when an agent reads it, else in the process's private memory
 * (record/arena_prod.h); either way it is reserved whole and costs memory
 * only as it is written. */
#ifndef TS_ARENA_H
#define TS_ARENA_H

#include "registry.h"

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
 * live elsewhere: in the segment's header, or in the process). */
static inline void ts_arena_view(void *base, uint32_t nchunks, struct ts_pool *pool,
				 struct ts_pool_view *v)
{
	struct ts_arena_layout l = ts_arena_layout(nchunks);
	v->pool = pool;
	v->next = (_Atomic uint32_t *)((char *)base + l.next_off);
	v->chunks = (struct ts_rec *)((char *)base + l.chunks_off);
	v->nchunks = nchunks;
}

#endif
