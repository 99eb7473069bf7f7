/* OTLP encoding: spans of the span model as an ExportTraceServiceRequest
 * (protobuf), one resource and one instrumentation scope per request. */
#ifndef TS_OTLP_ENCODE_H
#define TS_OTLP_ENCODE_H

#include "span.h"

#include <stddef.h>
#include <stdint.h>

struct ts_otlp_batch {
	const uint8_t *trace_id;          /* 16 bytes, shared by every span */
	const struct ts_attr *resource;   /* resource attributes */
	unsigned nresource;
	const char *scope_name, *scope_version;
	const struct ts_span *spans;
	size_t nspans;
};

/* Serialises the batch into a malloc'ed buffer (*out, freed by the caller);
 * returns its length, or 0 with *out NULL when memory ran out. */
size_t ts_otlp_encode(const struct ts_otlp_batch *batch, uint8_t **out);

#endif
