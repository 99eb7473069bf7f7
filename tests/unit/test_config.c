/* Settings: parsing, defaults, and malformed values falling back. */
#include "capture.h"
#include "check_main.h"
#include <stdio.h>
#include "config.h"
#include "family.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(parse_uint)
{
	unsigned long v = 7;
	ck_assert(ts_parse_uint("0", 0, 10, &v) && v == 0);
	ck_assert(ts_parse_uint("4096", 16, 1u << 20, &v) && v == 4096);
	ck_assert(!ts_parse_uint("", 0, 10, &v));
	ck_assert(!ts_parse_uint("-1", 0, 10, &v));
	ck_assert(!ts_parse_uint("12abc", 0, 100, &v));
	ck_assert(!ts_parse_uint("11", 0, 10, &v));
	ck_assert(!ts_parse_uint("3", 5, 10, &v));
	ck_assert(!ts_parse_uint("99999999999999999999999", 0, ~0ul, &v));
	ck_assert_uint_eq(v, 4096);
}
END_TEST

START_TEST(parse_bool)
{
	bool b = false;
	ck_assert(ts_parse_bool("TRUE", &b) && b);
	ck_assert(ts_parse_bool("0", &b) && !b);
	ck_assert(ts_parse_bool("on", &b) && b);
	ck_assert(!ts_parse_bool("maybe", &b));
	ck_assert(!ts_parse_bool(NULL, &b));
}
END_TEST

START_TEST(defaults_and_bad_values)
{
	unsetenv("TRACESHIM_OUTPUT");
	setenv("TRACESHIM_BUFFER_KB", "lots", 1);
	setenv("TRACESHIM_FLUSH_MS", "0", 1);
	setenv("TRACESHIM_COMPRESS", "false", 1);
	setenv("OTEL_SDK_DISABLED", "true", 1);
	ts_config_load();
	ck_assert(ts_cfg.disabled);
	ck_assert(!ts_cfg.compress);
	ck_assert_uint_eq(ts_cfg.pool_chunks, 1024);   /* default 4 MiB */
	ck_assert_uint_eq(ts_cfg.flush_ms, 200);
	ck_assert(ts_cfg.output[0] == '/');
	ck_assert(strstr(ts_cfg.output, ".pftrace") != NULL);
	char pid[32];
	snprintf(pid, sizeof pid, ".%d.", (int)getpid());
	ck_assert(strstr(ts_cfg.output, pid) != NULL);
	unsetenv("OTEL_SDK_DISABLED");
	setenv("OTEL_SDK_DISABLED", "", 1);   /* empty counts as unset */
	ts_config_load();
	ck_assert(!ts_cfg.disabled);
}
END_TEST

START_TEST(relative_output_made_absolute)
{
	setenv("TRACESHIM_OUTPUT", "out/run.pftrace", 1);
	setenv("TRACESHIM_BUFFER_KB", "100", 1);   /* rounded up to whole 4 KiB chunks */
	ts_config_load();
	char cwd[4096];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert(!strncmp(ts_cfg.output, cwd, strlen(cwd)));
	ck_assert(strstr(ts_cfg.output, "/out/run.pftrace") != NULL);
	ck_assert_uint_eq(ts_cfg.pool_chunks, 25);
}
END_TEST

/* OTEL_SDK_DISABLED is "true" or "false" (the specification's booleans);
 * anything else is reported with its value and means false. */
START_TEST(sdk_disabled_is_a_boolean)
{
	unsetenv("TRACESHIM_OUTPUT");
	setenv("OTEL_SDK_DISABLED", "TRUE", 1);
	ts_config_load();
	ck_assert(ts_cfg.disabled);
	setenv("OTEL_SDK_DISABLED", "false", 1);
	capture_start();
	ts_config_load();
	ck_assert_str_eq(capture_end(), "");
	ck_assert(!ts_cfg.disabled);
	setenv("OTEL_SDK_DISABLED", "yes please", 1);
	capture_start();
	ts_config_load();
	ck_assert_int_eq(count_lines(capture_end(), "OTEL_SDK_DISABLED='yes please'"), 1);
	ck_assert(!ts_cfg.disabled);
	unsetenv("OTEL_SDK_DISABLED");
}
END_TEST

/* A malformed endpoint: no OTLP, and no Perfetto file nobody asked for. */
START_TEST(exporters_chosen)
{
	unsetenv("TRACESHIM_OUTPUT");
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	ts_config_load();
	ck_assert(ts_cfg.perfetto && !ts_cfg.otlp);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", 1);
	ts_config_load();
	ck_assert(!ts_cfg.perfetto && ts_cfg.otlp);
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999", 1);
	capture_start();
	ts_config_load();
	ck_assert_int_eq(count_lines(capture_end(), "OTEL_EXPORTER_OTLP_ENDPOINT="), 1);
	ck_assert(!ts_cfg.perfetto && !ts_cfg.otlp);
	setenv("TRACESHIM_OUTPUT", "/tmp/x.pftrace", 1);
	ts_config_load();
	ck_assert(ts_cfg.perfetto && !ts_cfg.otlp);
	unsetenv("TRACESHIM_OUTPUT");
	setenv("OTEL_TRACES_EXPORTER", "none", 1);
	ts_config_load();
	ck_assert(ts_cfg.perfetto && !ts_cfg.otlp);
	unsetenv("OTEL_TRACES_EXPORTER");
	unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
}
END_TEST

/* Messages a parent reported (TRACESHIM_REPORTED) are not repeated. */
START_TEST(inherited_reports_stay_quiet)
{
	setenv("TRACESHIM_FLUSH_MS", "often", 1);
	capture_start();
	ts_config_load();
	ck_assert_int_eq(count_lines(capture_end(), "TRACESHIM_FLUSH_MS='often'"), 1);
	char list[TS_REPORTED_MAX + 1];
	ck_assert_uint_gt(ts_log_reported(list, sizeof list), 0);
	pid_t pid = fork();
	if (pid == 0) {   /* a child with the same environment and the mark */
		setenv(TS_REPORTED_VAR, list, 1);
		capture_start();
		ts_config_load();
		_exit(strstr(capture_end(), "TRACESHIM_FLUSH_MS") ? 1 : 0);
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unsetenv("TRACESHIM_FLUSH_MS");
}
END_TEST

/* TRACESHIM_TRACE's words. */
static unsigned parsed(const char *v)
{
	unsigned set = 12345;
	const char *bad = NULL;
	size_t len = 0;
	ck_assert_msg(ts_families_parse(v, &set, &bad, &len), "'%s' refused", v);
	return set;
}

static void refused(const char *v, const char *word)
{
	unsigned set = 12345;
	const char *bad = NULL;
	size_t len = 0;
	ck_assert_msg(!ts_families_parse(v, &set, &bad, &len), "'%s' taken", v);
	ck_assert_uint_eq(set, 12345);
	ck_assert_uint_eq(len, strlen(word));
	ck_assert_msg(!strncmp(bad, word, len), "'%s': '%.*s', not '%s'", v, (int)len, bad, word);
}

START_TEST(families)
{
	const unsigned kept = TS_FAM_KEPT, b = TS_FAM_BIT(TS_FAM_NET);
	ck_assert_uint_eq(parsed("net"), kept | b);
	ck_assert_uint_eq(parsed(" net , io "), kept | b | TS_FAM_BIT(TS_FAM_IO));
	ck_assert_uint_eq(parsed("all"), TS_FAM_ALL);
	ck_assert_uint_eq(parsed("-net"), TS_FAM_ALL & ~b);
	ck_assert_uint_eq(parsed("all,-net,-http"), TS_FAM_ALL & ~b & ~TS_FAM_BIT(TS_FAM_HTTP));
	ck_assert_uint_eq(parsed("-all"), kept);
	ck_assert_uint_eq(parsed("-all,sqlite"), kept | TS_FAM_BIT(TS_FAM_SQLITE));
	/* Process, thread and API spans hold the tree: never taken out. */
	ck_assert_uint_eq(parsed("-proc,-thread,-api"), TS_FAM_ALL);
	ck_assert_uint_eq(parsed("net,-net"), kept);
	for (unsigned f = 0; f < TS_FAM_COUNT; f++)
		ck_assert_uint_eq(parsed(ts_family_name(f)) & TS_FAM_BIT(f), TS_FAM_BIT(f));
	ck_assert_ptr_null(ts_family_name(TS_FAM_COUNT));
	refused("disk", "disk");
	refused("net,disk", "disk");
	refused("net,,io", "");
	refused("net,", "");
	refused("-", "-");
	refused("Net", "Net");
	refused("net io", "net io");
	refused("", "");
}
END_TEST

START_TEST(families_from_the_environment)
{
	setenv("TRACESHIM_TRACE", "net,sqlite", 1);
	ts_config_load();
	ck_assert(!ts_family_off(TS_FAM_NET) && !ts_family_off(TS_FAM_SQLITE));
	ck_assert(ts_family_off(TS_FAM_IO) && ts_family_off(TS_FAM_FILE) && ts_family_off(TS_FAM_HTTP));
	ck_assert(!ts_family_off(TS_FAM_PROC) && !ts_family_off(TS_FAM_API));
	setenv("TRACESHIM_TRACE", "net,disk", 1);
	capture_start();
	ts_config_load();
	ck_assert_int_eq(count_lines(capture_end(), "'disk' is not a family"), 1);
	ck_assert_uint_eq(ts_families_off, 0);
	unsetenv("TRACESHIM_TRACE");
	ts_config_load();
	ck_assert_uint_eq(ts_families_off, 0);
}
END_TEST

START_TEST(parse_per_name)
{
	static const char *const names[] = {"perfetto", "otlp"};
	char v[2][TS_PARSE_VALUE_MAX];
	ck_assert(ts_parse_per_name("on", names, 2, v));
	ck_assert_str_eq(v[0], "on");
	ck_assert_str_eq(v[1], "on");
	ck_assert(ts_parse_per_name("otlp=50", names, 2, v));
	ck_assert_str_eq(v[0], "");
	ck_assert_str_eq(v[1], "50");
	ck_assert(ts_parse_per_name("OTLP=off,perfetto=on", names, 2, v));
	ck_assert_str_eq(v[0], "on");
	ck_assert_str_eq(v[1], "off");
	strcpy(v[0], "kept");
	ck_assert(!ts_parse_per_name("otlp=on,otlp=off", names, 2, v));   /* twice */
	ck_assert(!ts_parse_per_name("jaeger=on", names, 2, v));
	ck_assert(!ts_parse_per_name("otlp=", names, 2, v));
	ck_assert(!ts_parse_per_name("otlp=on,", names, 2, v));
	ck_assert(!ts_parse_per_name("otlp=on,perfetto", names, 2, v));
	ck_assert(!ts_parse_per_name("otlp=012345678901234567890123456789", names, 2, v));
	ck_assert(!ts_parse_per_name(NULL, names, 2, v));
	ck_assert_str_eq(v[0], "kept");
}
END_TEST

/* Roll-ups: on for OTLP, off for the file, one value for both or per
 * exporter; a malformed value is reported once and changes nothing. */
START_TEST(rollup_settings)
{
	unsetenv("TRACESHIM_ROLLUP");
	unsetenv("TRACESHIM_ROLLUP_MIN_US");
	unsetenv("TRACESHIM_MAX_SPANS_PER_S");
	ts_config_load();
	ck_assert(ts_cfg.rollup_otlp.on && !ts_cfg.rollup_perfetto.on);
	ck_assert_uint_eq(ts_cfg.rollup_otlp.min_us, 1000);
	ck_assert_uint_eq(ts_cfg.rollup_perfetto.min_us, 1000);
	ck_assert_uint_eq(ts_cfg.rollup_otlp.max_per_s, 1000);
	ck_assert_uint_eq(ts_cfg.rollup_perfetto.max_per_s, 0);

	setenv("TRACESHIM_ROLLUP", "off", 1);
	setenv("TRACESHIM_ROLLUP_MIN_US", "250", 1);
	setenv("TRACESHIM_MAX_SPANS_PER_S", "perfetto=20", 1);
	capture_start();
	ts_config_load();
	ck_assert_str_eq(capture_end(), "");
	ck_assert(!ts_cfg.rollup_otlp.on && !ts_cfg.rollup_perfetto.on);
	ck_assert_uint_eq(ts_cfg.rollup_otlp.min_us, 250);
	ck_assert_uint_eq(ts_cfg.rollup_perfetto.min_us, 250);
	ck_assert_uint_eq(ts_cfg.rollup_otlp.max_per_s, 1000);
	ck_assert_uint_eq(ts_cfg.rollup_perfetto.max_per_s, 20);

	setenv("TRACESHIM_ROLLUP", "perfetto=on", 1);
	setenv("TRACESHIM_ROLLUP_MIN_US", "otlp=50,perfetto=7", 1);
	setenv("TRACESHIM_MAX_SPANS_PER_S", "0", 1);
	ts_config_load();
	ck_assert(ts_cfg.rollup_otlp.on && ts_cfg.rollup_perfetto.on);
	ck_assert_uint_eq(ts_cfg.rollup_otlp.min_us, 50);
	ck_assert_uint_eq(ts_cfg.rollup_perfetto.min_us, 7);
	ck_assert_uint_eq(ts_cfg.rollup_otlp.max_per_s, 0);

	static const char *const bad[][2] = {
		{"TRACESHIM_ROLLUP", "maybe"},
		{"TRACESHIM_ROLLUP", "otlp=on,perfetto=sometimes"},
		{"TRACESHIM_ROLLUP", "zipkin=on"},
		{"TRACESHIM_ROLLUP_MIN_US", "otlp=1ms"},
		{"TRACESHIM_ROLLUP_MIN_US", "-1"},
		{"TRACESHIM_MAX_SPANS_PER_S", "otlp=10,otlp=20"},
		{"TRACESHIM_MAX_SPANS_PER_S", "lots"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		unsetenv("TRACESHIM_ROLLUP");
		unsetenv("TRACESHIM_ROLLUP_MIN_US");
		unsetenv("TRACESHIM_MAX_SPANS_PER_S");
		setenv(bad[i][0], bad[i][1], 1);
		char said[96];
		snprintf(said, sizeof said, "%s='%s'", bad[i][0], bad[i][1]);
		capture_start();
		ts_config_load();
		ck_assert_msg(count_lines(capture_end(), said) == 1, "%s not reported once", said);
		ck_assert(ts_cfg.rollup_otlp.on && !ts_cfg.rollup_perfetto.on);
		ck_assert_uint_eq(ts_cfg.rollup_otlp.min_us, 1000);
		ck_assert_uint_eq(ts_cfg.rollup_perfetto.min_us, 1000);
		ck_assert_uint_eq(ts_cfg.rollup_otlp.max_per_s, 1000);
		ck_assert_uint_eq(ts_cfg.rollup_perfetto.max_per_s, 0);
	}
	unsetenv("TRACESHIM_ROLLUP");
	unsetenv("TRACESHIM_ROLLUP_MIN_US");
	unsetenv("TRACESHIM_MAX_SPANS_PER_S");
}
END_TEST

TS_CHECK_SUITE("config",
	       parse_per_name,
	       rollup_settings,
	       parse_uint,
	       parse_bool,
	       defaults_and_bad_values,
	       relative_output_made_absolute,
	       sdk_disabled_is_a_boolean,
	       exporters_chosen,
	       inherited_reports_stay_quiet,
	       families,
	       families_from_the_environment)
