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

/* Clock snapshots written from now on carry a BOOTTIME no earlier than
 * floor_ns: the latest one of a file being appended to. */
void ts_convert_clock_floor(struct ts_convert *cv, uint64_t floor_ns);
/* The packets converted since the last ones written were lost: describe
 * every process again before its next spans. */
void ts_convert_lost_output(struct ts_convert *cv);

struct ts_convert_stats {
	uint64_t spans_skipped;      /* start time 0, or past what Perfetto imports (2^63) */
	uint64_t ends_clamped;       /* end before start or past 2^63: ends where it starts */
	uint64_t orphans_forgotten;  /* children forgotten waiting for a parent */
};
void ts_convert_stats(const struct ts_convert *cv, struct ts_convert_stats *st);

#endif
