/* libFuzzer target: the bounded gzip/zlib inflater of request bodies. The
 * first two bytes are the size limit, the rest the compressed body. The
 * result must respect the limit exactly: what inflates to n bytes is
 * accepted under a limit of n, with the same bytes, and refused as too large
 * under n - 1. */
#include "inflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_inflate: %s\n", what);
	abort();
}

/* Inflates and checks what holds for any limit. */
static enum ts_inflate_result run(const uint8_t *in, size_t n, size_t max, uint8_t **out,
				  size_t *out_len)
{
	*out = (uint8_t *)1;
	*out_len = 12345;
	enum ts_inflate_result r = ts_inflate_bounded(in, n, max, out, out_len);
	if (r != TS_INFLATE_OK && r != TS_INFLATE_BAD && r != TS_INFLATE_TOO_LARGE)
		fail("an unknown result");
	if (r != TS_INFLATE_OK && (*out || *out_len))
		fail("a refused body still returned output");
	if (r == TS_INFLATE_OK && !*out)
		fail("accepted without an output buffer");
	if (r == TS_INFLATE_OK && *out_len > max)
		fail("the output is larger than the limit");
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = (size_t)data[0] << 8 | data[1];
	const uint8_t *in = data + 2;
	size_t n = size - 2;
	uint8_t *out, *again;
	size_t len, again_len;
	enum ts_inflate_result r = run(in, n, max, &out, &len);
	if (r == TS_INFLATE_OK) {
		if (run(in, n, len, &again, &again_len) != TS_INFLATE_OK)
			fail("refused under a limit equal to its own size");
		if (again_len != len || memcmp(out, again, len))
			fail("a different result under another limit");
		free(again);
		if (len > 0) {
			if (run(in, n, len - 1, &again, &again_len) != TS_INFLATE_TOO_LARGE)
				fail("not refused as too large under a limit one byte short");
			free(again);
		}
		free(out);
	} else if (r == TS_INFLATE_TOO_LARGE) {
		/* Larger limits must either fit it or find it malformed. */
		r = run(in, n, max * 2 + 1, &again, &again_len);
		if (r == TS_INFLATE_OK && again_len <= max)
			fail("too large under a limit it fits in");
		free(again);
	}
	return 0;
}
