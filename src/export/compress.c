/* Batch compression, its library opened with dlopen on first use. Loading it
 * costs every process about 70 us here even when it never compresses
 * anything, and most batches of a short process are too small to be worth
 * it. libdeflate is taken when it is installed: at level 1 it compresses a
 * trace about twice as fast as zlib at its fastest, and 10% smaller; zlib is
 * the fallback. Both write the zlib format compressed_packets holds. Only the
 * drainer (or the exiting thread at a normal exit) calls this, never a
 * signal handler. */
#include "compress.h"

#include "log.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

/* Batches smaller than this are written as they are: compressing them saves
 * little and the compressor's set-up would dominate a short process's cost. */
#define COMPRESS_MIN_BYTES 8192
/* Room kept in front of the output for the wrapping packet's header. */
#define HEAD_ROOM 16

/* libdeflate's whole-buffer API (libdeflate.h, stable since 1.0). */
static struct {
	void *(*alloc)(int level);
	size_t (*compress)(void *c, const void *in, size_t n, void *out, size_t avail);
	size_t (*bound)(void *c, size_t n);
	void *c;
} ld;
/* zlib's, one stream for the process, reset per batch. */
static struct {
	int (*init)(z_streamp, int, const char *, int);
	int (*reset)(z_streamp);
	uLong (*bound)(z_streamp, uLong);
	int (*deflate)(z_streamp, int);
	z_stream zs;
	bool ready;
} z;
static enum { UNTRIED, LIBDEFLATE, ZLIB, MISSING } backend;
static bool zlib_only;   /* ts_compress_use_zlib(): the tests' choice */
static struct pb wrapped;

static bool load_libdeflate(void)
{
	void *h = zlib_only ? NULL : dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return false;
	ld.alloc = (void *(*)(int))dlsym(h, "libdeflate_alloc_compressor");
	ld.compress = (size_t(*)(void *, const void *, size_t, void *, size_t))dlsym(
		h, "libdeflate_zlib_compress");
	ld.bound = (size_t(*)(void *, size_t))dlsym(h, "libdeflate_zlib_compress_bound");
	return ld.alloc && ld.compress && ld.bound;
}

static bool load_zlib(void)
{
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
	return true;
}

static bool loaded(void)
{
	if (backend == UNTRIED)
		backend = load_libdeflate() ? LIBDEFLATE : load_zlib() ? ZLIB : MISSING;
	return backend != MISSING;
}

/* in compressed to out (at most avail bytes); its length, 0 on failure. */
static size_t with_libdeflate(const struct pb *in, uint8_t *out, size_t avail)
{
	if (!ld.c)
		ld.c = ld.alloc(1);
	return ld.c ? ld.compress(ld.c, in->data, in->len, out, avail) : 0;
}

static size_t with_zlib(const struct pb *in, uint8_t *out, size_t avail)
{
	if (z.ready ? z.reset(&z.zs) != Z_OK
		    : z.init(&z.zs, Z_BEST_SPEED, ZLIB_VERSION, (int)sizeof z.zs) != Z_OK)
		return 0;
	z.ready = true;
	z.zs.next_in = in->data;
	z.zs.avail_in = (uInt)in->len;
	z.zs.next_out = out;
	z.zs.avail_out = (uInt)avail;
	return z.deflate(&z.zs, Z_FINISH) == Z_STREAM_END ? z.zs.total_out : 0;
}

static size_t bound_of(size_t n)
{
	if (backend == LIBDEFLATE)
		return ld.c || (ld.c = ld.alloc(1)) ? ld.bound(ld.c, n) : 0;
	return z.bound(&z.zs, n);
}

const struct pb *ts_compress_batch(const struct pb *in)
{
	if (in->len < COMPRESS_MIN_BYTES || in->len > UINT32_MAX || !loaded())
		return in;
	size_t bound = bound_of(in->len);
	pb_clear(&wrapped);
	if (!bound || !pb_reserve(&wrapped, bound + HEAD_ROOM))
		return in;
	uint8_t *out = wrapped.data + HEAD_ROOM;
	size_t zlen = backend == LIBDEFLATE ? with_libdeflate(in, out, bound)
					    : with_zlib(in, out, bound);
	if (!zlen)
		return in;
	/* Header: packet tag, packet length, field 50 tag, payload length. */
	uint8_t head[HEAD_ROOM], *h = head;
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
	/* The parent's drainer may have been mid-batch: its state is dropped,
	 * never freed or reused. */
	z.ready = false;
	ld.c = NULL;
	wrapped = (struct pb){0};
}

const char *ts_compress_library(void)
{
	return backend == LIBDEFLATE ? "libdeflate" : backend == ZLIB ? "zlib" : NULL;
}

void ts_compress_use_zlib(bool only)
{
	zlib_only = only;
	backend = UNTRIED;
	ld.c = NULL;
}
