/* What stdio records carry beyond the fields open and the I/O calls share
 * (stdiorec.h): the mode, the end of the file, the per-character counts. */
#ifndef TS_STDIOINFO_H
#define TS_STDIOINFO_H

#include "ring.h"
#include "span.h"

#include <stdint.h>

/* The path in a record's payload (after the counts, when there are any):
 * its length, its start in *path. */
unsigned ts_stdioinfo_path(const struct ts_rec *r, const uint8_t *payload, unsigned len,
			   const uint8_t **path);

/* Adds the stdio attributes of record r (operation op): traceshim.stdio.mode
 * for the opens, traceshim.stdio.eof, traceshim.stdio.getc_calls and the
 * other counts. */
void ts_stdioinfo_attrs(unsigned op, const struct ts_rec *r, const uint8_t *payload, unsigned len,
			struct ts_span *s);

#endif
