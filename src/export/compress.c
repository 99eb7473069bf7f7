/* Batch compression, its library opened with dlopen on first use. Loading it
 * costs every process about 70 us here even when it never compresses
 * anything, and most batches of a short process are too small to be worth
 * it. Tried in order: ISA-L's igzip (when built with its header and the
 * library is installed), libdeflate, then zlib; all three write the zlib
 * format compressed_packets holds. The writer's CPU is what a traced server
 * competes with: on 128 KiB batches of an nginx trace, igzip (level 0, tables
 * made from the batches, below) compresses about 1100 MB per CPU second to
 * 16.8% of the batch, libdeflate (level 1) about 530 MB/s to 14.5%, zlib
 * (level 1) about 270 MB/s to 16.6% (bench_compress; scripts/bench, encode).
 * igzip's level 1 is as small (16.7%) but 15-20% slower, its level 0 with
 * its default tables as fast but 22.3%. Only the drainer (or the exiting
 * thread at a normal exit) calls this, never a signal handler. */
#include "compress.h"

#include "log.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef TS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

/* Batches smaller than this are written as they are: compressing them saves
 * little and the compressor's set-up would dominate a short process's cost. */
#define COMPRESS_MIN_BYTES 8192
/* Room kept in front of the output for the wrapping packet's header. */
#define HEAD_ROOM 16

#ifdef TS_HAVE_ISAL
/* igzip at level 0 (no level buffer), with Huffman tables made from this
 * process's own batches: its default tables are made for data in general. A
 * batch's histogram costs about what compressing it does, so the tables are
 * made again only from batches 0, 1, 2, 4, ... 32 (the first ones of a
 * process are often its start, unlike what follows) and then from one in
 * TUNE_EVERY, which follows a process whose output changes. Tables made this
 * way give every symbol a code, so any batch can be compressed with them. */
#define TUNE_EVERY 64
#define TUNE_SAMPLE (1 << 20)
/* igzip's one-shot API (igzip_lib.h, stable since 2.x). Its state (about
 * 100 KiB, mostly the hashes of the stream and the histogram) is allocated on
 * first use, so that a process that never compresses does not carry it. */
static struct {
	void (*init)(struct isal_zstream *);
	int (*compress)(struct isal_zstream *);
	void (*histogram)(uint8_t *, int, struct isal_huff_histogram *);
	int (*make_tables)(struct isal_hufftables *, struct isal_huff_histogram *);
	struct igzip_state {
		struct isal_zstream zs;
		struct isal_hufftables tables;
		struct isal_huff_histogram hist;
		bool tuned;   /* tables holds a code made from a batch */
		unsigned batches;
	} *st;
} ig;
#endif
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
/* The library in use; UNTRIED until the first batch worth compressing. */
static enum { UNTRIED, IGZIP, LIBDEFLATE, ZLIB, MISSING } backend;
static enum ts_compressor only;   /* ts_compress_use(): one library alone */
static struct pb wrapped;

static bool load_igzip(void)
{
#ifdef TS_HAVE_ISAL
	void *h = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return false;
	ig.init = (void (*)(struct isal_zstream *))dlsym(h, "isal_deflate_stateless_init");
	ig.compress = (int (*)(struct isal_zstream *))dlsym(h, "isal_deflate_stateless");
	ig.histogram = (void (*)(uint8_t *, int, struct isal_huff_histogram *))dlsym(
		h, "isal_update_histogram");
	ig.make_tables = (int (*)(struct isal_hufftables *, struct isal_huff_histogram *))dlsym(
		h, "isal_create_hufftables");
	return ig.init && ig.compress && ig.histogram && ig.make_tables;
#else
	return false;
#endif
}

static bool load_libdeflate(void)
{
	void *h = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
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

static bool may(enum ts_compressor c)
{
	return only == TS_COMPRESS_ANY || only == c;
}

static bool loaded(void)
{
	if (backend == UNTRIED)
		backend = may(TS_COMPRESS_IGZIP) && load_igzip()		 ? IGZIP
			  : may(TS_COMPRESS_LIBDEFLATE) && load_libdeflate() ? LIBDEFLATE
			  : may(TS_COMPRESS_ZLIB) && load_zlib()		 ? ZLIB
									 : MISSING;
	return backend != MISSING;
}

/* in compressed to out (at most avail bytes); its length, 0 on failure. */
static size_t with_igzip(const struct pb *in, uint8_t *out, size_t avail)
{
#ifdef TS_HAVE_ISAL
	if (!ig.st && !(ig.st = calloc(1, sizeof *ig.st)))
		return 0;
	struct igzip_state *st = ig.st;
	unsigned n = st->batches++;
	if (n < TUNE_EVERY ? (n & (n - 1)) == 0 : n % TUNE_EVERY == 0) {
		memset(&st->hist, 0, sizeof st->hist);
		/* The first MiB is sample enough of a larger batch. */
		ig.histogram(in->data, in->len > TUNE_SAMPLE ? TUNE_SAMPLE : (int)in->len, &st->hist);
		st->tuned = ig.make_tables(&st->tables, &st->hist) == 0;
	}
	struct isal_zstream *s = &st->zs;
	ig.init(s);
	s->level = 0;
	if (st->tuned)
		s->hufftables = &st->tables;
	s->gzip_flag = IGZIP_ZLIB;
	s->end_of_stream = 1;   /* the whole batch, in one call */
	s->flush = NO_FLUSH;
	s->next_in = in->data;
	s->avail_in = (uint32_t)in->len;
	s->next_out = out;
	s->avail_out = avail > UINT32_MAX ? UINT32_MAX : (uint32_t)avail;
	return ig.compress(s) == COMP_OK && s->avail_in == 0 ? s->total_out : 0;
#else
	(void)in, (void)out, (void)avail;
	return 0;
#endif
}

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
	if (backend == IGZIP)
		/* igzip has no bound function: at worst its output is the input
		 * in stored blocks (5 bytes each per 64 KiB) inside the zlib
		 * wrapper (6 bytes). zlib's own bound, plus the wrapper, is
		 * larger than that. */
		return n + (n >> 12) + (n >> 14) + (n >> 25) + 13 + 6;
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
	size_t zlen = backend == IGZIP	    ? with_igzip(in, out, bound)
		      : backend == LIBDEFLATE ? with_libdeflate(in, out, bound)
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
#ifdef TS_HAVE_ISAL
	ig.st = NULL;
#endif
	wrapped = (struct pb){0};
}

const char *ts_compress_library(void)
{
	return backend == IGZIP ? "igzip" : backend == LIBDEFLATE ? "libdeflate"
					  : backend == ZLIB	  ? "zlib"
								  : NULL;
}

bool ts_compress_use(enum ts_compressor which)
{
	only = which;
	backend = UNTRIED;
	return loaded();
}
