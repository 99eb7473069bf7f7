/* Packet batches wrapped in one TracePacket.compressed_packets (the zlib
 * format, written by libdeflate or zlib). The library is opened on the first
 * batch large enough to be worth compressing, so a short process never
 * loads it. */
#ifndef TS_COMPRESS_H
#define TS_COMPRESS_H

#include "pb.h"

#include <stdbool.h>

/* The compressed form of IN, or IN itself when it is small, no compressor is
 * installed or compression fails. The result stays valid until the next call. */
const struct pb *ts_compress_batch(const struct pb *in);
/* Child after fork: the parent's stream may have been mid-batch. */
void ts_compress_after_fork(void);
/* The library that compressed the last batch: "libdeflate", "zlib", or NULL
 * before the first or when none is installed. */
const char *ts_compress_library(void);
/* Unit tests: zlib alone (true), or libdeflate first again (false). */
void ts_compress_use_zlib(bool only);

#endif
