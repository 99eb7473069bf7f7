/* OTLP -> Perfetto: spans received as ExportTraceServiceRequest bodies become
 * slices. Each service (resource) is a process; its spans are packed onto
 * lanes (tracks under the process) so overlapping spans never mis-nest. */
#ifndef TS_CONVERT_H
#define TS_CONVERT_H

#include <stddef.h>
#include <stdint.h>

struct ts_convert;

struct ts_convert *ts_convert_new(void);
void ts_convert_free(struct ts_convert *cv);

/* Appends the Perfetto packets for one request body (protobuf, already
 * inflated) to the encoder's batch (ts_pf_batch()). Returns the number of
 * spans converted, or -1 when the body is not a valid request. */
long ts_convert_request(struct ts_convert *cv, const uint8_t *body, size_t len);

#endif
