/* Drives the OTLP sender for the exporter tests: encodes a small known
 * request, sends it with the OTEL_EXPORTER_OTLP_* settings of the
 * environment within a deadline, and prints what happened. */
#include "clock.h"
#include "otel_env.h"
#include "encode.h"
#include "send.h"

#include <stdio.h>
#include <stdlib.h>

static const char *env_get(const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	long deadline = argc > 1 ? atol(argv[1]) : 2000;
	struct ts_otel_env env;
	ts_otel_env_load(&env, env_get);
	static const uint8_t trace_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct ts_attr resource[] = {{.key = "service.name", .type = TS_VAL_STR, .v.s = "probe"}};
	struct ts_span spans[2] = {
		{.name = "outer", .start_ns = 1000, .end_ns = 5000, .span_id = 1, .kind = 1},
		{.name = "inner", .start_ns = 2000, .end_ns = 3000, .span_id = 2, .parent_id = 1, .kind = 3},
	};
	struct ts_otlp_batch b = {.trace_id = trace_id, .resource = resource, .nresource = 1,
				  .scope_name = "traceshim", .scope_version = "test", .spans = spans, .nspans = 2};
	uint8_t *body;
	size_t len = ts_otlp_encode(&b, &body);
	struct ts_otlp_sender *s = ts_otlp_sender_new(&env, NULL);
	if (!len || !s)
		return 2;
	uint64_t start = ts_clock_monotonic_ms();
	struct ts_send_stats st;
	enum ts_send_result r = ts_otlp_send(s, body, len, start + (uint64_t)deadline, &st);
	printf("result=%d attempts=%u status=%ld rejected=%ld elapsed_ms=%llu\n", (int)r, st.attempts,
	       st.last_status, st.rejected_spans, (unsigned long long)(ts_clock_monotonic_ms() - start));
	ts_otlp_sender_free(s);
	free(body);
	return 0;
}
