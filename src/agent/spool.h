/* Records waiting to be converted (spool.c): while the conversion is
 * deferred (defer.h), an agent's worker copies each cycle's new records out
 * of the rings into blocks of its own memory, in the order a cycle would
 * have read them, and converts them later, cycle by cycle, as they were
 * read. The rings are free again at once, so the program never waits for
 * the conversion. */
#ifndef TS_SPOOL_H
#define TS_SPOOL_H

#include "ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Up to a chunk's records of one thread slot, as they were in the ring. */
struct ts_spool_block {
	uint16_t slot;        /* the registry slot the records came from */
	uint16_t n;           /* records (slots) in recs */
	bool cycle_end;       /* the last block its cycle put */
	struct ts_rec recs[TS_CHUNK_RECS];
};

/* Copies the n record slots at r (whole records) of slot's ring; false
 * when out of memory (nothing copied). */
bool ts_spool_put(unsigned slot, const struct ts_rec *r, unsigned n);
/* The cycle that put the last blocks has read every ring. */
void ts_spool_cycle_end(void);
/* The oldest block (NULL: none), and its removal once converted. */
const struct ts_spool_block *ts_spool_first(void);
void ts_spool_pop(void);
/* Bytes of memory the records waiting take (packed, spoolpack.h). */
size_t ts_spool_bytes(void);
/* Gives the memory back to the system when nothing waits (each pop that
 * empties the queue does). */
void ts_spool_release(void);
/* Drops what waits and frees every block. */
void ts_spool_reset(void);

#endif
