/* An agent's worker reserves its segment's pages ahead of the producer
 * (segback.c; segment.h tells why). */
#ifndef TS_SEGBACK_H
#define TS_SEGBACK_H

#include "segment.h"

/* Reserves, in the segment's file fd, the thread slots asked for or soon
 * needed and the pool's chunks soon needed; with no room left, says so in
 * the header (once), and the producer makes do with what there is. */
void ts_segback_ahead(struct ts_seg_header *h, int fd, uint32_t nchunks);

#endif
