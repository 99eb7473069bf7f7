/* The records waiting to be converted (spool.h): one queue of blocks, in the
 * order they were read, whichever ring they came from. */
#include "spool.h"

#include <stdlib.h>
#include <string.h>

static struct ts_spool_block *head, *tail;
static size_t held;   /* bytes of the blocks in the queue */
/* Blocks converted, kept for the next ones: a deferring worker puts and
 * pops thousands a second. */
#define SPARES 256
static struct ts_spool_block *spares;
static unsigned nspares;

static struct ts_spool_block *new_block(unsigned slot)
{
	struct ts_spool_block *b = spares;
	if (b) {
		spares = b->next;
		nspares--;
	} else if (!(b = malloc(sizeof *b))) {
		return NULL;
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
	if (nspares < SPARES) {
		b->next = spares;
		spares = b;
		nspares++;
	} else {
		free(b);
	}
}

size_t ts_spool_bytes(void)
{
	return held;
}

void ts_spool_reset(void)
{
	while (head)
		ts_spool_pop();
	while (spares) {
		struct ts_spool_block *b = spares;
		spares = b->next;
		free(b);
	}
	nspares = 0;
}
