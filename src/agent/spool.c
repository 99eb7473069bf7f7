/* The records waiting to be converted (spool.h): one queue of blocks, in the
 * order they were read, whichever ring they came from. The blocks are cut
 * from slabs of 4 MiB mapped with transparent huge pages where the kernel
 * gives them: a deferring worker fills tens of MiB a second, and page by
 * page the faults would cost it a fifth of what it saves. A block converted
 * goes to a free list for the next; once nothing waits, every slab goes. */
#include "spool.h"

#include <string.h>
#include <sys/mman.h>

#define SLAB_BYTES ((size_t)4 << 20)
#define SLAB_BLOCKS ((SLAB_BYTES - sizeof(struct slab)) / sizeof(struct ts_spool_block))

struct slab {
	struct slab *next;
	size_t used;   /* blocks handed out of it, from the start */
	_Alignas(64) unsigned char blocks[];
};

static struct ts_spool_block *head, *tail;
static size_t held;   /* bytes of the blocks in the queue */
static struct ts_spool_block *spares;   /* converted, for the next ones */
static struct slab *slabs;              /* the newest first */

static struct ts_spool_block *new_block(unsigned slot)
{
	struct ts_spool_block *b = spares;
	if (b) {
		spares = b->next;
	} else {
		struct slab *s = slabs;
		if (!s || s->used == SLAB_BLOCKS) {
			s = mmap(NULL, SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				 0);
			if (s == MAP_FAILED)
				return NULL;
			(void)madvise(s, SLAB_BYTES, MADV_HUGEPAGE);
			s->next = slabs;
			s->used = 0;
			slabs = s;
		}
		b = (struct ts_spool_block *)(void *)(s->blocks + s->used++ * sizeof *b);
	}
	b->next = NULL;
	b->slot = (uint16_t)slot;
	b->n = 0;
	b->cycle_end = false;
	return b;
}

bool ts_spool_put(unsigned slot, const struct ts_rec *r, unsigned n)
{
	if (n > TS_CHUNK_RECS)
		return false;
	struct ts_spool_block *b = tail;
	/* A block holds runs of one ring's records, in the order read. */
	bool append = b && b->slot == slot && !b->cycle_end && b->n + n <= TS_CHUNK_RECS;
	if (!append) {
		if (!(b = new_block(slot)))
			return false;
		if (tail)
			tail->next = b;
		else
			head = b;
		tail = b;
		held += sizeof *b;
	}
	memcpy(&b->recs[b->n], r, (size_t)n * sizeof *r);
	b->n = (uint16_t)(b->n + n);
	return true;
}

void ts_spool_cycle_end(void)
{
	if (tail)
		tail->cycle_end = true;
}

const struct ts_spool_block *ts_spool_first(void)
{
	return head;
}

void ts_spool_pop(void)
{
	struct ts_spool_block *b = head;
	if (!b)
		return;
	head = b->next;
	if (!head)
		tail = NULL;
	held -= sizeof *b;
	b->next = spares;
	spares = b;
	if (!head)
		ts_spool_release();
}

size_t ts_spool_bytes(void)
{
	return held;
}

void ts_spool_release(void)
{
	if (head)
		return;
	while (slabs) {
		struct slab *s = slabs;
		slabs = s->next;
		munmap(s, SLAB_BYTES);
	}
	spares = NULL;
}

void ts_spool_reset(void)
{
	head = tail = NULL;
	held = 0;
	ts_spool_release();
}
