/* The records waiting to be converted (spool.h): one queue of entries, in
 * the order they were read, whichever ring they came from, each a run of
 * one ring's records packed (spoolpack.h). A run is never added to: its
 * records are unpacked as they were packed, a damaged record's payload count
 * held to the same run. The entries lie end to end in slabs of 4 MiB mapped
 * with transparent huge pages where the kernel gives them: a deferring
 * worker fills megabytes a second, and page by page the faults would cost it
 * much of what it saves. A slab read to its end is kept for the next
 * entries; once nothing waits, every slab goes. The oldest entry is unpacked
 * into one block when it is asked for. */
#include "spool.h"

#include "spoolpack.h"

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#define SLAB_BYTES ((size_t)4 << 20)

struct slab {
	struct slab *next;   /* the next newer */
	size_t used;         /* bytes of entries, from the start */
	_Alignas(64) unsigned char bytes[];
};
#define SLAB_ROOM (SLAB_BYTES - offsetof(struct slab, bytes))

/* An entry's head; its packed records follow. */
struct entry {
	uint32_t bytes;   /* of the packed records */
	uint16_t slot;    /* the registry slot they came from */
	uint16_t n;       /* records (slots) */
	bool cycle_end;   /* the last entry its cycle put */
};
#define ENTRY_ALIGN _Alignof(struct entry)

static struct slab *oldest, *newest, *spares;
static size_t head;            /* the oldest entry's offset in oldest */
static struct entry *last;     /* the newest entry, while one waits */
static size_t held;            /* bytes of the entries waiting */
static struct ts_spool_block cur;   /* the oldest entry, unpacked */
static bool cur_valid;

static size_t aligned(size_t n)
{
	return (n + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1);
}

/* A slab with room for need more bytes at its end: the newest, or a new
 * one after it. */
static struct slab *room_for(size_t need)
{
	if (newest && SLAB_ROOM - newest->used >= need)
		return newest;
	struct slab *s = spares;
	if (s) {
		spares = s->next;
	} else {
		s = mmap(NULL, SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED)
			return NULL;
		(void)madvise(s, SLAB_BYTES, MADV_HUGEPAGE);
	}
	s->next = NULL;
	s->used = 0;
	if (newest)
		newest->next = s;
	else
		oldest = s;
	newest = s;
	if (!last)
		head = 0;
	return s;
}

bool ts_spool_put(unsigned slot, const struct ts_rec *r, unsigned n)
{
	if (n > TS_CHUNK_RECS)
		return false;
	if (!n)
		return true;
	struct slab *s = room_for(sizeof(struct entry) + TS_SPOOLPACK_MAX(n));
	if (!s)
		return false;
	struct entry *e = (struct entry *)(void *)(s->bytes + s->used);
	size_t k = ts_spoolpack_put(slot, r, n, (unsigned char *)(e + 1));
	if (!k)
		return false;
	*e = (struct entry){.bytes = (uint32_t)k, .slot = (uint16_t)slot, .n = (uint16_t)n};
	size_t used = aligned(s->used + sizeof *e + k);
	held += used - s->used;
	s->used = used;
	last = e;
	return true;
}

void ts_spool_cycle_end(void)
{
	if (last)
		last->cycle_end = true;
}

const struct ts_spool_block *ts_spool_first(void)
{
	if (!last)
		return NULL;
	if (!cur_valid) {
		const struct entry *e = (const struct entry *)(void *)(oldest->bytes + head);
		cur.slot = e->slot;
		cur.n = e->n;
		cur.cycle_end = e->cycle_end;
		(void)ts_spoolpack_get(e->slot, (const unsigned char *)(e + 1), e->n, cur.recs);
		cur_valid = true;
	}
	return &cur;
}

void ts_spool_pop(void)
{
	if (!last)
		return;
	const struct entry *e = (const struct entry *)(void *)(oldest->bytes + head);
	if (!cur_valid)   /* never unpacked: the references must still move past it */
		(void)ts_spool_first();
	cur_valid = false;
	if (e == last) {
		last = NULL;
		held = 0;
		ts_spool_release();
		return;
	}
	size_t next = aligned(head + sizeof *e + e->bytes);
	held -= next - head;
	head = next;
	if (head == oldest->used) {   /* read to its end: the next slab holds the rest */
		struct slab *s = oldest;
		oldest = s->next;
		s->next = spares;
		spares = s;
		head = 0;
	}
}

size_t ts_spool_bytes(void)
{
	return held;
}

static void unmap_all(struct slab *s)
{
	while (s) {
		struct slab *next = s->next;
		munmap(s, SLAB_BYTES);
		s = next;
	}
}

void ts_spool_release(void)
{
	if (last)
		return;
	unmap_all(oldest);
	unmap_all(spares);
	oldest = newest = spares = NULL;
	head = 0;
	cur_valid = false;
	ts_spoolpack_reset();
}

void ts_spool_reset(void)
{
	last = NULL;
	held = 0;
	ts_spool_release();
}
