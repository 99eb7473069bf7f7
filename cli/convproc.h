/* The processes of an OTLP -> Perfetto conversion (convert.c): one per
 * resource (service name and pid), each with its process track described
 * once in the output. */
#ifndef TS_CONVPROC_H
#define TS_CONVPROC_H

#include "otlp_trace_service.pb-c.h"
#include "span.h"

#include <stddef.h>
#include <stdint.h>

struct ts_conv_process {
	uint64_t uuid;
	struct ts_track track;
	char name[128];
	void *state;                  /* the Perfetto writer's state of the track */
};

struct ts_conv_procs {
	struct ts_conv_process *v;
	size_t n;
};

/* The process of a resource: found, or described now (its track written,
 * with a clock snapshot at *clock_floor, raised to first_ns when later).
 * NULL when out of memory. Pointers into the table change as it grows. */
struct ts_conv_process *ts_conv_process_of(struct ts_conv_procs *ps,
					   const Opentelemetry__Proto__Resource__V1__Resource *res,
					   uint64_t first_ns, uint64_t *clock_floor);
/* Forgets every process (the writer's states included): each is described
 * again before its next spans. The table's memory stays. */
void ts_conv_procs_forget(struct ts_conv_procs *ps);
/* The Perfetto sequence id of a track of the conversion. */
uint32_t ts_conv_sequence(uint64_t uuid);

#endif
