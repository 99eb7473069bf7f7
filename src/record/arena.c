/* The producer's arena (see arena.h). */
#include "arena_prod.h"

#include "config.h"

#include <string.h>
#include <sys/mman.h>

void *ts_arena_base;
struct ts_pool_view ts_arena_pool;
static struct ts_pool private_pool;
static void *private_base;
static size_t private_bytes;

bool ts_arena_use(void *base, uint32_t nchunks, struct ts_pool *pool)
{
	if (!base) {
		struct ts_arena_layout l = ts_arena_layout(nchunks);
		/* Reserved, not committed: pages cost memory as they are written,
		 * and mmap is safe where malloc is not (a signal handler). */
		base = mmap(NULL, l.bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (base == MAP_FAILED)
			return false;
		private_base = base;
		private_bytes = l.bytes;
		memset(&private_pool, 0, sizeof private_pool);
		private_pool.nchunks = nchunks;
		pool = &private_pool;
	}
	ts_arena_view(base, nchunks, pool, &ts_arena_pool);
	ts_arena_base = base;
	return true;
}

struct ts_thread *ts_arena_thread(int slot)
{
	return (struct ts_thread *)((char *)ts_arena_base +
				    (size_t)slot * ts_arena_layout(ts_arena_pool.nchunks).slot_bytes);
}

void ts_arena_after_fork(void)
{
	/* A private arena is this process's copy: its pages are left as they
	 * are (the parent's drainer may have been using them) and a new one is
	 * made on first use. */
	ts_arena_base = NULL;
	memset(&ts_arena_pool, 0, sizeof ts_arena_pool);
	private_base = NULL;
	private_bytes = 0;
}
