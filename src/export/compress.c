/* zlib, opened with dlopen on first use. Loading libz costs every process
 * about 70 us here even when it never compresses anything, and most batches
 * of a short process are too small to be worth it. Only the drainer (or the
 * exiting thread at a normal exit) calls this, never a signal handler. */
#include "compress.h"

#include "log.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

/* Batches smaller than this are written as they are: compressing them saves
 * little and the compressor's set-up would dominate a short process's cost. */
#define COMPRESS_MIN_BYTES 8192

static struct {
	int (*init)(z_streamp, int, const char *, int);
	int (*reset)(z_streamp);
	uLong (*bound)(z_streamp, uLong);
	int (*deflate)(z_streamp, int);
} z;
static enum { Z_UNTRIED, Z_LOADED, Z_MISSING } z_state;
static z_stream zs;
static bool zs_ready;
static struct pb wrapped;

static bool load_zlib(void)
{
	if (z_state != Z_UNTRIED)
		return z_state == Z_LOADED;
	z_state = Z_MISSING;
	void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		TS_WARN("zlib not found (%s): the trace is written uncompressed", dlerror());
		return false;
	}
	z.init = (int (*)(z_streamp, int, const char *, int))dlsym(h, "deflateInit_");
	z.reset = (int (*)(z_streamp))dlsym(h, "deflateReset");
	z.bound = (uLong(*)(z_streamp, uLong))dlsym(h, "deflateBound");
	z.deflate = (int (*)(z_streamp, int))dlsym(h, "deflate");
	if (!z.init || !z.reset || !z.bound || !z.deflate) {
		TS_WARN("zlib lacks deflate: the trace is written uncompressed");
		return false;
	}
	z_state = Z_LOADED;
	return true;
}

static bool stream_ready(void)
{
	if (zs_ready)
		return z.reset(&zs) == Z_OK;
	/* One stream for the process, reset per batch: no set-up per write. */
	if (z.init(&zs, Z_BEST_SPEED, ZLIB_VERSION, (int)sizeof zs) != Z_OK)
		return false;
	zs_ready = true;
	return true;
}

const struct pb *ts_compress_batch(const struct pb *in)
{
	if (in->len < COMPRESS_MIN_BYTES || !load_zlib() || !stream_ready())
		return in;
	uLong bound = z.bound(&zs, in->len);
	pb_clear(&wrapped);
	if (!pb_reserve(&wrapped, bound + 16))
		return in;
	uint8_t *out = wrapped.data + 16;
	zs.next_in = in->data;
	zs.avail_in = (uInt)in->len;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	if (z.deflate(&zs, Z_FINISH) != Z_STREAM_END)
		return in;
	size_t zlen = zs.total_out;
	/* Header: packet tag, packet length, field 50 tag, payload length. */
	uint8_t head[16], *h = head;
	size_t inner = 2 + pb_varint_size(zlen) + zlen;
	*h++ = 0x0a;
	h = pb_put_varint(h, inner);
	*h++ = 0x92;   /* (50 << 3) | 2, as a two-byte varint */
	*h++ = 0x03;
	h = pb_put_varint(h, zlen);
	size_t hl = (size_t)(h - head);
	memcpy(out - hl, head, hl);
	memmove(wrapped.data, out - hl, hl + zlen);
	wrapped.len = hl + zlen;
	return &wrapped;
}

void ts_compress_after_fork(void)
{
	zs_ready = false;
	wrapped = (struct pb){0};
}
