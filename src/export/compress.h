/* Packet batches wrapped in one TracePacket.compressed_packets (the zlib
 * format, written by ISA-L's igzip, libdeflate or zlib, the first found).
 * The library is opened on the first batch large enough to be worth
 * compressing, so a short process never loads it. */
#ifndef TS_COMPRESS_H
#define TS_COMPRESS_H

#include "pb.h"

#include <stdbool.h>

/* The compressed form of IN, or IN itself when it is small, no compressor is
 * installed or compression fails. The result stays valid until the next call. */
const struct pb *ts_compress_batch(const struct pb *in);
/* Child after fork: the parent's stream may have been mid-batch. */
void ts_compress_after_fork(void);
/* The library in use: "igzip", "libdeflate", "zlib", or NULL before the
 * first batch worth compressing (or ts_compress_use()) or when none is
 * there. */
const char *ts_compress_library(void);

enum ts_compressor { TS_COMPRESS_ANY, TS_COMPRESS_IGZIP, TS_COMPRESS_LIBDEFLATE, TS_COMPRESS_ZLIB };
/* Unit tests and the benchmark: that library alone, or the first found again
 * (TS_COMPRESS_ANY). False when it is not there (igzip: not built in or not
 * installed); batches are then written uncompressed. */
bool ts_compress_use(enum ts_compressor which);

#endif
