/* bench_otlp_encode: OTLP encoding throughput of the span model, in spans
 * per second on one core, for batches of typical I/O spans.
 * Usage: bench_otlp_encode [SPANS [BATCH]] */
#include "encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 2000000;
	long batch = argc > 2 ? atol(argv[2]) : 4096;
	if (total <= 0 || batch <= 0)
		return 2;
	struct ts_span *spans = calloc((size_t)batch, sizeof *spans);
	if (!spans)
		return 2;
	for (long i = 0; i < batch; i++) {
		struct ts_span *s = &spans[i];
		*s = (struct ts_span){.name = "write", .start_ns = 1000 + (uint64_t)i * 100,
				      .end_ns = 1050 + (uint64_t)i * 100, .span_id = (uint64_t)i + 2,
				      .parent_id = 1, .kind = 1};
		ts_span_int(s, "traceshim.fd", 3);
		ts_span_str(s, "traceshim.fd.type", "file");
		ts_span_str(s, "file.path", "/var/log/app.log");
		ts_span_int(s, "traceshim.io.requested", 4096);
		ts_span_int(s, "traceshim.io.bytes", 4096);
	}
	static const uint8_t trace_id[16] = {1};
	struct ts_attr resource[] = {{.key = "service.name", .type = TS_VAL_STR, .v.s = "bench"}};
	struct ts_otlp_batch b = {.trace_id = trace_id, .resource = resource, .nresource = 1,
				  .scope_name = "traceshim", .scope_version = "bench", .spans = spans,
				  .nspans = (size_t)batch};
	size_t bytes = 0;
	long done = 0;
	double t0 = now_s();
	while (done < total) {
		uint8_t *out;
		bytes += ts_otlp_encode(&b, &out);
		free(out);
		done += batch;
	}
	double t = now_s() - t0;
	printf("%.0f spans/s, %.1f bytes per span\n", (double)done / t, (double)bytes / (double)done);
	free(spans);
	return 0;
}
