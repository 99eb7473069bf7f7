/* Bounded gzip/zlib decompression for request bodies: a body that would
 * expand past the limit (a "gzip bomb") is refused without allocating more. */
#ifndef TS_INFLATE_H
#define TS_INFLATE_H

#include <stddef.h>
#include <stdint.h>

enum ts_inflate_result { TS_INFLATE_OK = 0, TS_INFLATE_BAD = -1, TS_INFLATE_TOO_LARGE = -2 };

/* Decompresses in[0..n) (gzip or zlib framing) into a malloc'ed *out of at
 * most max bytes. *out is NULL unless the result is TS_INFLATE_OK. */
enum ts_inflate_result ts_inflate_bounded(const uint8_t *in, size_t n, size_t max,
					  uint8_t **out, size_t *out_len);

#endif
