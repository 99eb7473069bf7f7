/* The program's span names and attributes as record payload: packed on the
 * calling thread (no allocation), unpacked by the drainer.
 *
 *   name NUL, then per attribute: type byte, key NUL, value
 *   (int and double: 8 bytes; bool: 1 byte; string: text NUL).
 *
 * Text is cut to the limits below; attributes that no longer fit are left
 * out. */
#ifndef TS_ATTRPACK_H
#define TS_ATTRPACK_H

#include "ring.h"
#include "span.h"
#include "traceshim.h"

#include <stdbool.h>
#include <stddef.h>

#define TS_PACK_MAX (TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE)
#define TS_NAME_MAX 127
#define TS_KEY_MAX 63
#define TS_VALUE_MAX 255

/* Packs name and attrs into buf (cap bytes); returns the length used. */
unsigned ts_attrs_pack(char *buf, unsigned cap, const char *name, const ts_attribute_t *attrs,
		       size_t nattrs);

/* Unpacks len bytes: *name, and up to max attributes into out (keys and
 * string values point into p; keys are marked dynkey). Returns the number
 * of attributes; *name is "" when the payload is damaged. */
unsigned ts_attrs_unpack(const uint8_t *p, unsigned len, const char **name, struct ts_attr *out,
			 unsigned max);

#endif
