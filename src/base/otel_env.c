/* OTEL_* variables: list parsing with percent-decoding, the OTLP endpoint
 * rules (base URL + "v1/traces", or the per-signal URL as is), timeouts,
 * compression, headers and the sampler. Every value is checked here, at
 * start, so a mistake is reported before anything is sent. */
#include "otel_env.h"

#include "log.h"
#include "parse.h"
#include "url.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool ts_percent_decode(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (*s != '%') {
			*out++ = *s;
			continue;
		}
		int hi = hex((unsigned char)s[1]), lo = hi < 0 ? -1 : hex((unsigned char)s[2]);
		if (hi < 0 || lo < 0)
			return false;
		*out++ = (char)(hi * 16 + lo);
		s += 2;
	}
	*out = 0;
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	return s;
}

int ts_parse_kv_list(char *text, struct ts_kv *out, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item = trim(item);
		if (!*item)
			continue;
		char *eq = strchr(item, '=');
		if (!eq)
			return -1;
		*eq = 0;
		char *key = trim(item), *value = trim(eq + 1);
		if (!ts_percent_decode(key) || !*key || !ts_percent_decode(value))
			return -1;   /* a key of "%00..." decodes to nothing */
		if (n < max)
			out[n++] = (struct ts_kv){key, value};
	}
	return n;
}

bool ts_otlp_traces_url(const char *base, char *out, size_t cap)
{
	size_t n = strlen(base);
	const char *slash = n && base[n - 1] == '/' ? "" : "/";
	int w = snprintf(out, cap, "%s%sv1/traces", base, slash);
	return w > 0 && (size_t)w < cap;
}

/* The per-signal variable wins over the generic one; empty means unset.
 * *name is set to the variable used. */
static const char *pick(const char *(*get)(const char *), const char *signal, const char *generic,
			const char **name)
{
	const char *v = get(signal);
	*name = signal;
	if (v && *v)
		return v;
	v = get(generic);
	*name = generic;
	return v && *v ? v : NULL;
}

/* The URL spans are sent to, checked: a malformed one turns OTLP export off
 * at once rather than failing every request. */
static void load_endpoint(struct ts_otel_env *env, const char *(*get)(const char *))
{
	const char *name = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", *v = get(name);
	bool fits;
	if (v && *v) {
		fits = (size_t)snprintf(env->endpoint, sizeof env->endpoint, "%s", v) <
		       sizeof env->endpoint;
	} else {
		name = "OTEL_EXPORTER_OTLP_ENDPOINT";
		v = get(name);
		if (!v || !*v)
			return;
		fits = ts_otlp_traces_url(v, env->endpoint, sizeof env->endpoint);
	}
	const char *why = fits ? ts_url_parse(env->endpoint, strlen(env->endpoint), NULL) :
				 "it is too long";
	if (why) {
		char shown[200];
		ts_warn_config("%s='%s' is not a valid URL: %s; OTLP export is off", name,
			       ts_url_redact(v, shown, sizeof shown), why);
		env->endpoint[0] = 0;
		return;
	}
	ts_url_redact(env->endpoint, env->shown, sizeof env->shown);
}

/* A header name is an HTTP token; a value may not hold control characters
 * (a decoded CR or LF would add headers of its own). */
static bool header_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

#define TS_STR_(x) #x
#define TS_STR(x) TS_STR_(x)

static const char *check_headers(const char *text)
{
	char list[TS_OTEL_HEADERS_MAX];
	snprintf(list, sizeof list, "%s", text);
	struct ts_kv kv[TS_OTEL_HEADERS_COUNT + 1];
	int n = ts_parse_kv_list(list, kv, TS_OTEL_HEADERS_COUNT + 1);
	if (n < 0)
		return "expected name=value,... with percent-encoded values";
	if (n > TS_OTEL_HEADERS_COUNT)   /* the sender keeps no more */
		return "more than " TS_STR(TS_OTEL_HEADERS_COUNT) " headers";
	if (strstr(text, "%00"))   /* decoded, it would cut a value short */
		return "a header value holds a control character";
	for (int i = 0; i < n; i++) {
		for (const char *k = kv[i].key; *k; k++)
			if (!header_name_char((unsigned char)*k))
				return "a header name holds a character that is not allowed";
		for (const char *v = kv[i].value; *v; v++)
			if (((unsigned char)*v < ' ' && *v != '\t') || *v == 0x7f)
				return "a header value holds a control character";
	}
	return NULL;
}

/* Header values are credentials: no message shows them. */
static void load_headers(struct ts_otel_env *env, const char *(*get)(const char *))
{
	const char *name;
	const char *h = pick(get, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS",
			     &name);
	if (!h)
		return;
	if (strlen(h) >= sizeof env->headers) {
		ts_warn_config("%s is longer than %zu bytes; no headers are sent", name,
			       sizeof env->headers - 1);
		return;
	}
	const char *why = check_headers(h);
	if (why) {
		ts_warn_config("%s is malformed (%s); no headers are sent", name, why);
		return;
	}
	strcpy(env->headers, h);
}

/* Read by resource.c when the first request is built; checked here so a
 * mistake is reported at start. */
static void check_resource_attributes(const char *(*get)(const char *))
{
	const char *v = get("OTEL_RESOURCE_ATTRIBUTES");
	if (!v || !*v)
		return;
	char copy[TS_OTEL_RESOURCE_ATTRIBUTES_MAX];
	struct ts_kv kv[1];
	if (strlen(v) >= sizeof copy)
		ts_warn_config("OTEL_RESOURCE_ATTRIBUTES is longer than %zu bytes; ignored",
			       sizeof copy - 1);
	else if (ts_parse_kv_list(strcpy(copy, v), kv, 1) < 0)
		ts_warn_config("OTEL_RESOURCE_ATTRIBUTES='%.100s%s' is malformed (expected key=value,... "
			       "with percent-encoded values); ignored", v, strlen(v) > 100 ? "..." : "");
}

static void load_sampler(struct ts_otel_env *env, const char *(*get)(const char *))
{
	static const struct { const char *name; enum ts_sampler s; } names[] = {
		{"always_on", TS_SAMPLER_ALWAYS_ON}, {"always_off", TS_SAMPLER_ALWAYS_OFF},
		{"traceidratio", TS_SAMPLER_RATIO}, {"parentbased_always_on", TS_SAMPLER_PARENT_ALWAYS_ON},
		{"parentbased_always_off", TS_SAMPLER_PARENT_ALWAYS_OFF},
		{"parentbased_traceidratio", TS_SAMPLER_PARENT_RATIO},
	};
	env->sampler = TS_SAMPLER_PARENT_ALWAYS_ON;
	env->ratio = 1.0;
	const char *v = get("OTEL_TRACES_SAMPLER");
	if (v && *v) {
		size_t i;
		for (i = 0; i < sizeof names / sizeof *names; i++)
			if (!strcasecmp(v, names[i].name))
				break;
		if (i < sizeof names / sizeof *names)
			env->sampler = names[i].s;
		else
			ts_warn_config("OTEL_TRACES_SAMPLER='%s' is not supported; using parentbased_always_on", v);
	}
	const char *arg = get("OTEL_TRACES_SAMPLER_ARG");
	if (arg && *arg && (env->sampler == TS_SAMPLER_RATIO || env->sampler == TS_SAMPLER_PARENT_RATIO)) {
		char *end;
		double r = strtod(arg, &end);
		if (*end || end == arg || !(r >= 0.0 && r <= 1.0))
			ts_warn_config("OTEL_TRACES_SAMPLER_ARG='%s' is not a ratio in [0, 1]; using 1.0", arg);
		else
			env->ratio = r;
	}
}

static unsigned bsp_uint(const char *(*get)(const char *), const char *name, unsigned long min,
			 unsigned long max, unsigned def)
{
	const char *v = get(name);
	unsigned long n;
	if (!v || !*v)
		return def;
	if (ts_parse_uint(v, min, max, &n))
		return (unsigned)n;
	ts_warn_config("%s='%s' is not a number in [%lu, %lu]; using %u", name, v, min, max, def);
	return def;
}

/* The batch span processor settings (OTEL_BSP_*). Every call being a span,
 * the queue and batch defaults are larger than an SDK's (2048 and 512): a
 * program makes thousands of spans in a burst. The delays are the SDK's. */
static void load_batching(struct ts_otel_env *env, const char *(*get)(const char *))
{
	env->max_queue = bsp_uint(get, "OTEL_BSP_MAX_QUEUE_SIZE", 1, 1u << 24, 32768);
	env->max_batch = bsp_uint(get, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1, 1u << 24, 2048);
	if (env->max_batch > env->max_queue)
		env->max_batch = env->max_queue;
	env->schedule_delay_ms = bsp_uint(get, "OTEL_BSP_SCHEDULE_DELAY", 0, 3600000, 5000);
	env->export_timeout_ms = bsp_uint(get, "OTEL_BSP_EXPORT_TIMEOUT", 1, 3600000, 30000);
}

void ts_otel_env_load(struct ts_otel_env *env, const char *(*get)(const char *))
{
	memset(env, 0, sizeof *env);
	load_endpoint(env, get);

	const char *name;
	env->timeout_ms = 10000;
	const char *t = pick(get, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT",
			     &name);
	unsigned long ms;
	if (t && ts_parse_uint(t, 0, 3600000, &ms))
		env->timeout_ms = (int)ms;
	else if (t)
		ts_warn_config("%s='%s' is not a number of milliseconds in [0, 3600000]; using 10000",
			       name, t);

	const char *c = pick(get, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
			     "OTEL_EXPORTER_OTLP_COMPRESSION", &name);
	if (c && !strcasecmp(c, "gzip"))
		env->gzip = true;
	else if (c && strcasecmp(c, "none"))
		ts_warn_config("%s='%s' is not gzip or none; using none", name, c);

	load_headers(env, get);
	check_resource_attributes(get);
	load_sampler(env, get);
	load_batching(env, get);
}

static bool ratio_keeps(double ratio, const unsigned char id[16])
{
	if (ratio >= 1.0)
		return true;
	if (ratio <= 0.0)
		return false;
	uint64_t low = 0;
	for (int i = 8; i < 16; i++)
		low = low << 8 | id[i];
	/* Only 63 bits, so the threshold is exact in a double's range. */
	uint64_t bound = (uint64_t)(ratio * 9223372036854775808.0);
	return (low >> 1) < bound;
}

bool ts_sample(const struct ts_otel_env *env, const unsigned char trace_id[16], int parent_sampled)
{
	switch (env->sampler) {
	case TS_SAMPLER_ALWAYS_ON:
		return true;
	case TS_SAMPLER_ALWAYS_OFF:
		return false;
	case TS_SAMPLER_RATIO:
		return ratio_keeps(env->ratio, trace_id);
	case TS_SAMPLER_PARENT_ALWAYS_ON:
		return parent_sampled < 0 ? true : parent_sampled;
	case TS_SAMPLER_PARENT_ALWAYS_OFF:
		return parent_sampled < 0 ? false : parent_sampled;
	case TS_SAMPLER_PARENT_RATIO:
		return parent_sampled < 0 ? ratio_keeps(env->ratio, trace_id) : parent_sampled;
	}
	return true;
}
