/* OTEL_* variables: list parsing, endpoints, timeouts, compression, sampler. */
#include "capture.h"
#include "check_main.h"
#include "fake_env.h"
#include "log.h"
#include "otel_env.h"

#include <string.h>


static void load(struct ts_otel_env *env, const char *const *vars)
{
	fake_env = vars;
	ts_otel_env_load(env, fake_getenv);
}

START_TEST(kv_lists)
{
	char text[] = " service.name = my%20app , deployment.environment=ci,empty=";
	struct ts_kv kv[8];
	ck_assert_int_eq(ts_parse_kv_list(text, kv, 8), 3);
	ck_assert_str_eq(kv[0].key, "service.name");
	ck_assert_str_eq(kv[0].value, "my app");
	ck_assert_str_eq(kv[1].value, "ci");
	ck_assert_str_eq(kv[2].value, "");
	char bad_escape[] = "a=ok,b=%zz";
	ck_assert_int_eq(ts_parse_kv_list(bad_escape, kv, 8), -1);
	char no_equals[] = "a=1,b";
	ck_assert_int_eq(ts_parse_kv_list(no_equals, kv, 8), -1);
	char header[] = "Authorization=Basic%20dXNlcjpwYXNz";
	ck_assert_int_eq(ts_parse_kv_list(header, kv, 8), 1);
	ck_assert_str_eq(kv[0].value, "Basic dXNlcjpwYXNz");
}
END_TEST

START_TEST(endpoints)
{
	struct ts_otel_env env;
	load(&env, (const char *const[]){NULL});
	ck_assert_str_eq(env.endpoint, "");   /* OTLP off unless asked for */
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", NULL});
	ck_assert_str_eq(env.endpoint, "http://127.0.0.1:4318/v1/traces");
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_ENDPOINT=http://h:1/base/", NULL});
	ck_assert_str_eq(env.endpoint, "http://h:1/base/v1/traces");
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_ENDPOINT=http://h:1",
					 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://t:2/custom", NULL});
	ck_assert_str_eq(env.endpoint, "http://t:2/custom");   /* used as is */
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=",
					 "OTEL_EXPORTER_OTLP_ENDPOINT=http://h:1", NULL});
	ck_assert_str_eq(env.endpoint, "http://h:1/v1/traces");   /* empty is unset */
}
END_TEST

START_TEST(timeout_compression_headers)
{
	struct ts_otel_env env;
	load(&env, (const char *const[]){NULL});
	ck_assert_int_eq(env.timeout_ms, 10000);
	ck_assert(!env.gzip);
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_TIMEOUT=500",
					 "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=250",
					 "OTEL_EXPORTER_OTLP_COMPRESSION=gzip",
					 "OTEL_EXPORTER_OTLP_HEADERS=a=1",
					 "OTEL_EXPORTER_OTLP_TRACES_HEADERS=b=2", NULL});
	ck_assert_int_eq(env.timeout_ms, 250);
	ck_assert(env.gzip);
	ck_assert_str_eq(env.headers, "b=2");
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_TIMEOUT=soon",
					 "OTEL_EXPORTER_OTLP_COMPRESSION=zstd", NULL});
	ck_assert_int_eq(env.timeout_ms, 10000);
	ck_assert(!env.gzip);
}
END_TEST

START_TEST(samplers)
{
	struct ts_otel_env env;
	load(&env, (const char *const[]){NULL});
	ck_assert_int_eq(env.sampler, TS_SAMPLER_PARENT_ALWAYS_ON);
	load(&env, (const char *const[]){"OTEL_TRACES_SAMPLER=traceidratio",
					 "OTEL_TRACES_SAMPLER_ARG=0.25", NULL});
	ck_assert_int_eq(env.sampler, TS_SAMPLER_RATIO);
	ck_assert(env.ratio == 0.25);
	load(&env, (const char *const[]){"OTEL_TRACES_SAMPLER=parentbased_traceidratio",
					 "OTEL_TRACES_SAMPLER_ARG=1.5", NULL});
	ck_assert_int_eq(env.sampler, TS_SAMPLER_PARENT_RATIO);
	ck_assert(env.ratio == 1.0);
	load(&env, (const char *const[]){"OTEL_TRACES_SAMPLER=sometimes", NULL});
	ck_assert_int_eq(env.sampler, TS_SAMPLER_PARENT_ALWAYS_ON);
	load(&env, (const char *const[]){"OTEL_TRACES_SAMPLER=always_off", NULL});
	ck_assert_int_eq(env.sampler, TS_SAMPLER_ALWAYS_OFF);
}
END_TEST

START_TEST(sampling_decisions)
{
	struct ts_otel_env env = {.sampler = TS_SAMPLER_PARENT_ALWAYS_ON, .ratio = 1.0};
	unsigned char id[16] = {0};
	ck_assert(ts_sample(&env, id, -1));
	ck_assert(!ts_sample(&env, id, 0));   /* follows an unsampled parent */
	env.sampler = TS_SAMPLER_ALWAYS_OFF;
	ck_assert(!ts_sample(&env, id, 1));
	env.sampler = TS_SAMPLER_RATIO;
	env.ratio = 0.5;
	int kept = 0;
	for (int i = 0; i < 4096; i++) {
		for (int b = 8; b < 16; b++)
			id[b] = (unsigned char)((i * 2654435761u) >> ((b - 8) % 4 * 8));
		kept += ts_sample(&env, id, -1);
	}
	ck_assert_int_gt(kept, 4096 * 4 / 10);
	ck_assert_int_lt(kept, 4096 * 6 / 10);
	env.ratio = 0.0;
	ck_assert(!ts_sample(&env, id, -1));
	env.sampler = TS_SAMPLER_PARENT_RATIO;
	ck_assert(ts_sample(&env, id, 1));    /* a sampled parent wins over the ratio */
}
END_TEST

START_TEST(batch_processor)
{
	struct ts_otel_env env;
	load(&env, (const char *const[]){NULL});
	ck_assert_uint_eq(env.max_queue, 32768);
	ck_assert_uint_eq(env.max_batch, 2048);
	ck_assert_uint_eq(env.schedule_delay_ms, 5000);
	ck_assert_uint_eq(env.export_timeout_ms, 30000);
	load(&env, (const char *const[]){"OTEL_BSP_MAX_QUEUE_SIZE=100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=500",
					 "OTEL_BSP_SCHEDULE_DELAY=0", "OTEL_BSP_EXPORT_TIMEOUT=250", NULL});
	ck_assert_uint_eq(env.max_queue, 100);
	ck_assert_uint_eq(env.max_batch, 100);   /* never more than the queue holds */
	ck_assert_uint_eq(env.schedule_delay_ms, 0);
	ck_assert_uint_eq(env.export_timeout_ms, 250);
	load(&env, (const char *const[]){"OTEL_BSP_MAX_QUEUE_SIZE=0", "OTEL_BSP_EXPORT_TIMEOUT=-3",
					 "OTEL_BSP_SCHEDULE_DELAY=5s", NULL});
	ck_assert_uint_eq(env.max_queue, 32768);
	ck_assert_uint_eq(env.export_timeout_ms, 30000);
	ck_assert_uint_eq(env.schedule_delay_ms, 5000);
}
END_TEST

/* A malformed URL turns OTLP off at once, reported with the variable's
 * name; credentials are kept for the request but never shown. */
START_TEST(malformed_endpoints)
{
	static const char *const bad[] = {
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://[::1", "OTEL_EXPORTER_OTLP_ENDPOINT=ftp://x",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://h:99999", "OTEL_EXPORTER_OTLP_ENDPOINT=http://h:0",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://:4318", "OTEL_EXPORTER_OTLP_ENDPOINT=http://h:4a",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://h /x", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://h:65536/",
	};
	struct ts_otel_env env;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		capture_start();
		load(&env, (const char *const[]){bad[i], NULL});
		const char *out = capture_end();
		ck_assert_str_eq(env.endpoint, "");
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
		ck_assert_msg(count_lines(out, name) == 1 && count_lines(out, "OTLP export is off") == 1,
			      "%s: %s", bad[i], out);
	}
	capture_start();
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_ENDPOINT=http://user:secret@[::1", NULL});
	ck_assert_ptr_null(strstr(capture_end(), "secret"));

	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_ENDPOINT=http://user:secret@h:1", NULL});
	ck_assert_str_eq(env.endpoint, "http://user:secret@h:1/v1/traces");
	ck_assert_str_eq(env.shown, "http://***@h:1/v1/traces");
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=https://[::1]:4318/t?key=secret",
					 NULL});
	ck_assert_str_eq(env.endpoint, "https://[::1]:4318/t?key=secret");
	ck_assert_str_eq(env.shown, "https://[::1]:4318/t?***");
}
END_TEST

/* Header values are never printed; a list that would inject a header of
 * its own (a decoded CR LF) or has a bad name is refused whole. */
START_TEST(malformed_headers)
{
	static const char *const bad[] = {
		"OTEL_EXPORTER_OTLP_HEADERS=api-key:secret", "OTEL_EXPORTER_OTLP_HEADERS=api-key=%zzsecret",
		"OTEL_EXPORTER_OTLP_HEADERS=a=secret%0D%0AX-Evil: 1", "OTEL_EXPORTER_OTLP_HEADERS=a b=secret",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS=a=secret%00",
		/* More headers than are sent: the one past the limit would be
		 * dropped unchecked. */
		"OTEL_EXPORTER_OTLP_HEADERS=a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,"
		"a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,a=1,b=secret%06",
	};
	struct ts_otel_env env;
	ts_log_level = TS_LOG_WARN;   /* the same message again, each time */
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		capture_start();
		load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_ENDPOINT=http://h:1", bad[i], NULL});
		const char *out = capture_end();
		ck_assert_str_eq(env.headers, "");
		ck_assert_msg(count_lines(out, "HEADERS is malformed") == 1, "%s: %s", bad[i], out);
		ck_assert_ptr_null(strstr(out, "secret"));
	}
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_HEADERS=x-api-key=a%20b%09c,Auth=k", NULL});
	ck_assert_str_eq(env.headers, "x-api-key=a%20b%09c,Auth=k");
}
END_TEST

START_TEST(malformed_values_are_named)
{
	struct ts_otel_env env;
	capture_start();
	load(&env, (const char *const[]){"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=soon",
					 "OTEL_EXPORTER_OTLP_COMPRESSION=zstd",
					 "OTEL_RESOURCE_ATTRIBUTES=team",
					 "OTEL_TRACES_SAMPLER=traceidratio", "OTEL_TRACES_SAMPLER_ARG=-0.5", NULL});
	const char *out = capture_end();
	ck_assert_int_eq(count_lines(out, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT='soon'"), 1);
	ck_assert_int_eq(count_lines(out, "OTEL_EXPORTER_OTLP_COMPRESSION='zstd'"), 1);
	ck_assert_int_eq(count_lines(out, "OTEL_RESOURCE_ATTRIBUTES='team'"), 1);
	ck_assert_int_eq(count_lines(out, "OTEL_TRACES_SAMPLER_ARG='-0.5'"), 1);
	ck_assert(env.ratio == 1.0);
}
END_TEST

TS_CHECK_SUITE("otel_env",
	       kv_lists,
	       endpoints,
	       timeout_compression_headers,
	       samplers,
	       sampling_decisions,
	       batch_processor,
	       malformed_endpoints,
	       malformed_headers,
	       malformed_values_are_named)
