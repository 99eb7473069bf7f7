/* Reserving a segment's pages ahead of need (segback.h). The producer never
 * writes a page the file does not hold: a thread slot is claimed only once
 * reserved (it asks for it in slots_wanted when it is not), a chunk handed
 * out fresh only below the pool's limit. This side keeps both ahead, and
 * reserves nothing for a process that never comes close (most are short):
 * slots once the highest claimed is within two of the last reserved, chunks
 * once fewer than 16 are left, 1 MiB at a time. Where the file system is full, the producer waits
 * for chunks the consumer frees, and threads past the slots reserved are
 * not traced (counted). */
#include "segback.h"

#include "log.h"
#include "rawfs.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>

#define SLOTS_AHEAD 4    /* slots reserved past the highest claimed, in steps of this */
#define CHUNKS_AHEAD 16   /* chunks handed out fresh before the limit comes close */
#define CHUNKS_STEP 256

static void wake_all(_Atomic uint32_t *word)
{
	ts_syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void no_room(struct ts_seg_header *h)
{
	int err = errno;
	if (atomic_exchange(&h->no_room, 1))
		return;
	TS_INFO("no room for the records of process %d in the run directory (%s): "
		"its threads wait for the records to be written, new threads go untraced",
		(int)h->pid, strerror(err));
	wake_all(&h->slots_backed);   /* threads waiting for a slot give up */
}

static void slots_ahead(struct ts_seg_header *h, int fd, uint32_t nchunks)
{
	uint32_t backed = atomic_load(&h->slots_backed), want = atomic_load(&h->slots_wanted);
	/* Only a reserved slot is ever claimed: the last two tell. */
	for (uint32_t i = backed > 2 ? backed - 2 : 0; i < backed && i < TS_MAX_THREADS; i++)
		if (atomic_load_explicit(&h->claimed[i], memory_order_relaxed) && i + 1 + SLOTS_AHEAD > want)
			want = i + 1 + SLOTS_AHEAD;
	want = (want + SLOTS_AHEAD - 1) / SLOTS_AHEAD * SLOTS_AHEAD;
	if (want > TS_MAX_THREADS)
		want = TS_MAX_THREADS;
	if (want <= backed)
		return;
	if (!ts_sys_reserve(fd, ts_seg_slot_off(nchunks, backed), ts_seg_slot_off(nchunks, want))) {
		no_room(h);
		return;
	}
	atomic_store(&h->slots_backed, want);
	wake_all(&h->slots_backed);
}

static void chunks_ahead(struct ts_seg_header *h, int fd, uint32_t nchunks)
{
	uint32_t limit = atomic_load(&h->pool.limit), fresh = atomic_load(&h->pool.fresh);
	if (!limit || limit >= nchunks || fresh + CHUNKS_AHEAD < limit)
		return;
	uint32_t to = limit + CHUNKS_STEP < nchunks ? limit + CHUNKS_STEP : nchunks;
	if (!ts_sys_reserve(fd, ts_seg_chunk_off(nchunks, limit), ts_seg_chunk_off(nchunks, to))) {
		no_room(h);
		return;
	}
	atomic_store(&h->pool.limit, to);
	/* A thread waiting for a chunk looks again. */
	atomic_fetch_add(&h->pool.progress, 1);
	if (atomic_load(&h->pool.waiters))
		wake_all(&h->pool.progress);
}

void ts_segback_ahead(struct ts_seg_header *h, int fd, uint32_t nchunks)
{
	if (fd < 0 || atomic_load(&h->no_room))
		return;
	slots_ahead(h, fd, nchunks);
	if (!atomic_load(&h->no_room))
		chunks_ahead(h, fd, nchunks);
}
