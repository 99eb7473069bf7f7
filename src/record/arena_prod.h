/* The producer's arena (format/arena.h): where this process's thread slots
 * and chunks are. */
#ifndef TS_ARENA_PROD_H
#define TS_ARENA_PROD_H

#include "arena.h"

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
