/* The spool's record codec (spoolpack.c): records waiting for conversion
 * are kept packed, about a fifth of their size, since on a loaded machine
 * the memory they fill costs the worker more than copying them does (every
 * new page is zeroed by the kernel first).
 *
 * Each 64-byte slot is written as its difference from a reference slot of
 * the same thread: the last record of the same type and operation (and its
 * payload slots), so that what stays the same from call to call (the
 * descriptor, the operation, the sizes, most of the timestamps' bytes)
 * takes nothing. Packing and unpacking go through the same records in the
 * same order, each side with its own references, so both sides always hold
 * the same ones: the codec is exact whatever the records hold, damaged ones
 * included. */
#ifndef TS_SPOOLPACK_H
#define TS_SPOOLPACK_H

#include "ring.h"

#include <stddef.h>
#include <stdint.h>

/* The most n slots pack to, plus the 8 bytes either side may touch past
 * the end (a word is stored and loaded whole). */
#define TS_SPOOLPACK_MAX(n) ((size_t)(n) * (1 + 1 + 4 + TS_REC_SIZE) + 8)

enum ts_spoolpack_side { TS_SPOOLPACK_PACK, TS_SPOOLPACK_UNPACK };

/* Packs the n slots at r (whole records) of thread slot `slot` into out
 * (room for TS_SPOOLPACK_MAX(n)); returns the bytes written, 0 when out of
 * memory for the references. */
size_t ts_spoolpack_put(unsigned slot, const struct ts_rec *r, unsigned n, uint8_t *out);
/* Unpacks n slots of thread slot `slot` from in, as packed; returns the
 * bytes read. */
size_t ts_spoolpack_get(unsigned slot, const uint8_t *in, unsigned n, struct ts_rec *out);
/* Forgets the references of both sides: only when everything packed has
 * been unpacked. */
void ts_spoolpack_reset(void);

#endif
