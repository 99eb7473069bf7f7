/* The settings table: every variable traceshim reads, parsed once at start-up.
 * A malformed value is reported once and the default is used. */
#include "config.h"

#include "family.h"
#include "log.h"
#include "rawsys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ts_config ts_cfg;
struct ts_otel_env ts_otel;

/* The initial stack, as the kernel laid it out: argc, argv[], NULL, envp[].
 * Wrappers can run before libc has set `environ` (from a program's
 * .preinit_array); the environment is read from here then. */
extern void *__libc_stack_end;

static char **initial_argv(void)
{
	long *sp = __libc_stack_end;
	return sp ? (char **)(sp + 1) : NULL;
}

const char *ts_env(const char *name)
{
	const char *v = NULL;
	if (environ) {
		v = getenv(name);
	} else if (initial_argv()) {
		long argc = *(long *)__libc_stack_end;
		size_t n = strlen(name);
		for (char **e = initial_argv() + argc + 1; *e; e++)
			if (!strncmp(*e, name, n) && (*e)[n] == '=') {
				v = *e + n + 1;
				break;
			}
	}
	return (v && *v) ? v : NULL;   /* empty counts as unset, as OTel says */
}

static const char *name_set;

void ts_program_name_set(const char *name)
{
	name_set = name;
}

/* The name copied at start: program_invocation_short_name points into
 * argv[0], which a program may write over (setproctitle), and a forked
 * child keeps the copy. */
static char name_kept[256];

static void keep_name(void)
{
	extern char *program_invocation_short_name;
	const char *name = program_invocation_short_name;
	char **argv = initial_argv();
	if ((!name || !*name) && argv && argv[0] && *argv[0]) {
		const char *slash = strrchr(argv[0], '/');
		name = slash ? slash + 1 : argv[0];
	}
	snprintf(name_kept, sizeof name_kept, "%s", name && *name ? name : "process");
}

const char *ts_program_name(void)
{
	if (name_set)
		return name_set;
	if (!name_kept[0])
		keep_name();
	return name_kept;
}

static unsigned get_uint(const char *name, unsigned long min, unsigned long max, unsigned def)
{
	const char *v = ts_env(name);
	unsigned long out;
	if (!v)
		return def;
	if (ts_parse_uint(v, min, max, &out))
		return (unsigned)out;
	ts_warn_config("%s='%s' is not a number in [%lu, %lu]; using %u", name, v, min, max, def);
	return def;
}

static bool get_bool(const char *name, bool def)
{
	const char *v = ts_env(name);
	bool out;
	if (!v)
		return def;
	if (ts_parse_bool(v, &out))
		return out;
	ts_warn_config("%s='%s' is not a boolean (true/false, 1/0); using %s", name, v,
		       def ? "true" : "false");
	return def;
}

/* The exporters a per-exporter setting names, in the order of its values. */
static const char *const exporter_names[] = {"perfetto", "otlp"};

/* A per-exporter setting: "v" for both exporters, or "otlp=v,perfetto=v"
 * (either or both). parse reads one value; out[i] takes exporter i's and
 * stays as it is for one not named. A malformed text changes neither and is
 * reported once, with the values used (shown). */
static void get_per_exporter(const char *name, bool (*parse)(const char *v, unsigned long *out),
			     unsigned long out[2], const char *what, const char *shown)
{
	const char *v = ts_env(name);
	if (!v)
		return;
	char vals[2][TS_PARSE_VALUE_MAX];
	unsigned long got[2] = {out[0], out[1]};
	bool ok = ts_parse_per_name(v, exporter_names, 2, vals);
	for (int i = 0; i < 2 && ok; i++)
		ok = !vals[i][0] || parse(vals[i], &got[i]);
	if (ok) {
		out[0] = got[0];
		out[1] = got[1];
		return;
	}
	ts_warn_config("%s='%s' is not %s, for both exporters or as otlp=...,perfetto=...; using %s",
		       name, v, what, shown);
}

static bool parse_switch(const char *v, unsigned long *out)
{
	bool b;
	if (!ts_parse_bool(v, &b))
		return false;
	*out = b;
	return true;
}

static bool parse_min_us(const char *v, unsigned long *out)
{
	return ts_parse_uint(v, 0, 60000000, out);
}

static bool parse_per_s(const char *v, unsigned long *out)
{
	return ts_parse_uint(v, 0, 100000000, out);
}

/* Roll-ups: on for OTLP, whose backends bill and index every span, off for
 * the Perfetto file, which shows every call. Over OTLP a process keeps at
 * most 1000 leaf spans a second; the file takes them all. */
static void load_rollups(void)
{
	unsigned long on[2] = {0, 1}, min_us[2] = {1000, 1000}, per_s[2] = {0, 1000};
	get_per_exporter("TRACESHIM_ROLLUP", parse_switch, on, "on or off", "otlp=on,perfetto=off");
	get_per_exporter("TRACESHIM_ROLLUP_MIN_US", parse_min_us, min_us,
			 "a number of microseconds in [0, 60000000]", "1000");
	get_per_exporter("TRACESHIM_MAX_SPANS_PER_S", parse_per_s, per_s,
			 "a number in [0, 100000000] (0: no bound)", "otlp=1000,perfetto=0");
	ts_cfg.rollup_perfetto = (struct ts_rollup_cfg){on[0] != 0, (unsigned)min_us[0],
							(unsigned)per_s[0]};
	ts_cfg.rollup_otlp = (struct ts_rollup_cfg){on[1] != 0, (unsigned)min_us[1], (unsigned)per_s[1]};
}

static void load_log_level(void)
{
	static const char *const names[] = {"off", "warn", "info", "debug"};
	const char *v = ts_env("TRACESHIM_LOG");
	if (!v)
		return;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(v, names[i]) || (v[0] == '0' + i && !v[1])) {
			ts_log_level = i;
			return;
		}
	/* Said before the level is raised: once per run, as any other
	 * misconfiguration, not by every process the level then makes talk. */
	ts_warn_config("TRACESHIM_LOG='%s' is not one of off, warn, info, debug (or 0-3); using warn", v);
	ts_log_level = TS_LOG_WARN;
}

/* Default file name: <program>.<pid>.pftrace in the working directory at start,
 * made absolute now so a later chdir() of the program does not move it. */
static void default_output(char *dst, size_t cap)
{
	char prog[64];
	size_t n = 0;
	for (const char *p = ts_program_name(); *p && n < sizeof prog - 1; p++)
		prog[n++] = (*p == '/' || *p == ' ') ? '_' : *p;
	prog[n] = 0;
	if (!n)
		strcpy(prog, "process");
	char cwd[PATH_MAX - 100];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, ".");
	snprintf(dst, cap, "%s/%s.%ld.pftrace", strcmp(cwd, "/") ? cwd : "", prog,
		 (long)ts_syscall(SYS_getpid));
}

static bool nonempty(const char *v)
{
	return v && *v;
}

/* OTLP is on when an endpoint is set (and OTEL_TRACES_EXPORTER does not say
 * none) and valid; the Perfetto file is written when TRACESHIM_OUTPUT asks
 * for it, or when no endpoint is set: a malformed one turns OTLP off
 * without writing a file nobody asked for. */
static void load_exporters(bool output_set)
{
	const char *exporter = ts_env("OTEL_TRACES_EXPORTER");
	bool none = exporter && !strcasecmp(exporter, "none");
	if (nonempty(exporter) && !none && strcasecmp(exporter, "otlp"))
		ts_warn_config("OTEL_TRACES_EXPORTER='%s' is not supported (otlp or none); using otlp",
			       exporter);
	memset(&ts_otel, 0, sizeof ts_otel);
	bool asked = !none && (nonempty(ts_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) ||
			       nonempty(ts_env("OTEL_EXPORTER_OTLP_ENDPOINT")));
	if (asked)
		ts_otel_env_load(&ts_otel, ts_env);
	ts_cfg.otlp = ts_otel.endpoint[0] != 0;
	ts_cfg.perfetto = output_set || !asked;
}

/* TRACESHIM_TRACE: the families of calls traced (family.h). */
static void load_families(void)
{
	const char *v = ts_env("TRACESHIM_TRACE");
	unsigned set = TS_FAM_ALL;
	const char *bad;
	size_t bad_len;
	if (v && !ts_families_parse(v, &set, &bad, &bad_len)) {
		ts_warn_config("TRACESHIM_TRACE='%s': '%.*s' is not a family (io, net, file, fs, stdio, "
			       "proc, thread, sqlite, http, api, all, or -family); tracing all", v,
			       (int)bad_len, bad);
		set = TS_FAM_ALL;
	}
	ts_families_off = TS_FAM_ALL & ~set;
}

/* OTEL_SDK_DISABLED is true only when it says "true" (any case), as the
 * OpenTelemetry specification has it; anything but "false" is reported. */
static bool sdk_disabled(void)
{
	const char *v = ts_env("OTEL_SDK_DISABLED");
	if (v && !strcasecmp(v, "true"))
		return true;
	if (v && strcasecmp(v, "false"))
		ts_warn_config("OTEL_SDK_DISABLED='%s' is not true or false; using false", v);
	return false;
}

void ts_config_load(void)
{
	keep_name();
	ts_cfg.start_euid = (unsigned)ts_syscall(SYS_geteuid);
	ts_log_inherit(ts_env(TS_REPORTED_VAR));
	load_log_level();
	bool off = sdk_disabled();
	ts_cfg.disabled = off || get_bool("TRACESHIM_DISABLE", false);
	ts_cfg.compress = get_bool("TRACESHIM_COMPRESS", true);
	ts_cfg.cmdline = get_bool("TRACESHIM_CMDLINE", false);
	ts_cfg.sql_raw = get_bool("TRACESHIM_SQL_RAW", false);
	ts_cfg.follow = get_bool("TRACESHIM_FOLLOW", true);
	ts_cfg.summary = get_bool("TRACESHIM_SUMMARY", false);
	ts_cfg.pool_chunks = (get_uint("TRACESHIM_BUFFER_KB", 16, 1u << 22, 4096) + 3) / 4;
	ts_cfg.flush_ms = get_uint("TRACESHIM_FLUSH_MS", 1, 60000, 200);
	ts_cfg.exit_timeout_ms = get_uint("TRACESHIM_EXIT_TIMEOUT_MS", 0, 600000, 2000);
	ts_cfg.wait_min_us = get_uint("TRACESHIM_WAIT_MIN_US", 0, 60000000, 10);
	ts_cfg.cpu_sample_ms = get_uint("TRACESHIM_CPU_SAMPLE_MS", 0, 60000, 10);
	ts_cfg.cpu_span_min_us = get_uint("TRACESHIM_CPU_SPAN_MIN_US", 0, 3600000000u, 1000);

	ts_cfg.agent = true;
	const char *agent = ts_env("TRACESHIM_AGENT");
	if (agent && !strcasecmp(agent, "off"))
		ts_cfg.agent = false;
	else if (agent && strcasecmp(agent, "auto"))
		ts_warn_config("TRACESHIM_AGENT='%s' is not auto or off; using auto", agent);
	ts_cfg.on_full_block = true;
	const char *full = ts_env("TRACESHIM_ON_FULL");
	if (full && !strcasecmp(full, "drop"))
		ts_cfg.on_full_block = false;
	else if (full && strcasecmp(full, "block"))
		ts_warn_config("TRACESHIM_ON_FULL='%s' is not block or drop; using block", full);
	ts_cfg.defer = TS_DEFER_OFF;
	const char *defer = ts_env("TRACESHIM_DEFER");
	if (defer && !strcasecmp(defer, "auto"))
		ts_cfg.defer = TS_DEFER_AUTO;
	else if (defer && !strcasecmp(defer, "always"))
		ts_cfg.defer = TS_DEFER_ALWAYS;
	else if (defer && strcasecmp(defer, "off"))
		ts_warn_config("TRACESHIM_DEFER='%s' is not off, auto or always; using off", defer);
	ts_cfg.defer_mb = get_uint("TRACESHIM_DEFER_MB", 1, 1u << 20, 64);

	load_families();
	load_rollups();

	ts_cfg.http_inject = get_bool("TRACESHIM_HTTP_INJECT", true);
	const char *query = ts_env("TRACESHIM_HTTP_QUERY");
	ts_cfg.http_query_raw = query && !strcasecmp(query, "raw");
	if (query && !ts_cfg.http_query_raw && strcasecmp(query, "redact"))
		ts_warn_config("TRACESHIM_HTTP_QUERY='%s' is not redact or raw; using redact", query);

	const char *clk = ts_env("TRACESHIM_CLOCK");
	ts_cfg.force_clock_gettime = ts_cfg.clock_tsc = false;
	if (clk && !strcasecmp(clk, "boottime"))
		ts_cfg.force_clock_gettime = true;
	else if (clk && !strcasecmp(clk, "tsc"))
		ts_cfg.clock_tsc = true;
	else if (clk && strcasecmp(clk, "tsc") && strcasecmp(clk, "auto"))
		ts_warn_config("TRACESHIM_CLOCK='%s' is not auto, tsc or boottime; using auto", clk);

	const char *out = ts_env("TRACESHIM_OUTPUT");
	if (out && strlen(out) >= sizeof ts_cfg.output - 1) {
		ts_warn_config("TRACESHIM_OUTPUT is longer than PATH_MAX; using the default name");
		out = NULL;
	}
	if (out && out[0] != '/') {
		char cwd[PATH_MAX];
		size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
		if (n && n + strlen(out) + 2 < sizeof ts_cfg.output) {
			memcpy(ts_cfg.output, cwd, n);
			ts_cfg.output[n] = '/';
			strcpy(ts_cfg.output + n + 1, out);
		} else {
			snprintf(ts_cfg.output, sizeof ts_cfg.output, "%s", out);
		}
	} else if (out) {
		snprintf(ts_cfg.output, sizeof ts_cfg.output, "%s", out);
	} else {
		default_output(ts_cfg.output, sizeof ts_cfg.output);
	}
	load_exporters(out != NULL);
}
