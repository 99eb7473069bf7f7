/* Bounded decompression (see inflate.h): the output buffer grows by doubling
 * up to the limit, and inflation stops the moment it would pass it. */
#include "inflate.h"

#include <stdlib.h>
#include <zlib.h>

enum ts_inflate_result ts_inflate_bounded(const uint8_t *in, size_t n, size_t max,
					  uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	z_stream zs = {0};
	if (inflateInit2(&zs, 15 + 32) != Z_OK)   /* 32: accept gzip or zlib headers */
		return TS_INFLATE_BAD;
	size_t cap = n * 4 < 4096 ? 4096 : n * 4;
	if (cap > max)
		cap = max ? max : 1;
	uint8_t *buf = malloc(cap);
	enum ts_inflate_result result = TS_INFLATE_BAD;
	if (!buf)
		goto done;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	for (;;) {
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		int rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			/* Trailing bytes after the stream are malformed input. The
			 * buffer is never under one byte, which a limit of 0 is. */
			result = zs.avail_in ? TS_INFLATE_BAD :
				zs.total_out > max ? TS_INFLATE_TOO_LARGE : TS_INFLATE_OK;
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
		if (zs.avail_out == 0) {
			if (cap >= max) {
				result = TS_INFLATE_TOO_LARGE;
				break;
			}
			size_t grown = cap * 2 > max ? max : cap * 2;
			uint8_t *bigger = realloc(buf, grown);
			if (!bigger)
				break;
			buf = bigger;
			cap = grown;
		} else if (rc == Z_BUF_ERROR || zs.avail_in == 0) {
			break;   /* truncated input */
		}
	}
done:
	if (result == TS_INFLATE_OK) {
		*out = buf;
		*out_len = zs.total_out;
	} else {
		free(buf);
	}
	inflateEnd(&zs);
	return result;
}
