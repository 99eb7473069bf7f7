/* Packet batches wrapped in one TracePacket.compressed_packets (zlib). zlib
 * is opened on the first batch large enough to be worth compressing, so a
 * short process never loads it. */
#ifndef TS_COMPRESS_H
#define TS_COMPRESS_H

#include "pb.h"

/* The compressed form of IN, or IN itself when it is small, zlib is missing
 * or compression fails. The result stays valid until the next call. */
const struct pb *ts_compress_batch(const struct pb *in);
/* Child after fork: the parent's stream may have been mid-batch. */
void ts_compress_after_fork(void);

#endif
