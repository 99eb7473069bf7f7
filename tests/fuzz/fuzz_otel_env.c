/* libFuzzer target: the OTEL_* variables. The input holds the values of the
 * variables below, in this order, separated by NUL bytes (a missing one is
 * unset). ts_otel_env_load and ts_resource_build read them as at start-up;
 * the list, percent-decoding and number parsers are also compared with the
 * rules written out plainly here. */
#include "otel_env.h"
#include "parse.h"
#include "resource.h"
#include "url.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS",
	"OTEL_RESOURCE_ATTRIBUTES", "OTEL_SERVICE_NAME",
	"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT",
	"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION",
	"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
	"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
};
#define NVARS (sizeof names / sizeof *names)
enum { TRACES_ENDPOINT, ENDPOINT, TRACES_HEADERS, HEADERS, RESOURCE, SERVICE };

static const char *values[NVARS];

static const char *get(const char *name)
{
	for (size_t i = 0; i < NVARS; i++)
		if (!strcmp(name, names[i]))
			return values[i];
	return NULL;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_otel_env: %s\n", what);
	abort();
}

static int any_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* %XX (either case) is the byte XX; any other '%' is malformed. */
static bool reference_decode(const char *s, char *out)
{
	for (; *s; s++) {
		if (*s != '%') {
			*out++ = *s;
		} else if (any_hex(s[1]) >= 0 && any_hex(s[2]) >= 0) {
			*out++ = (char)(any_hex(s[1]) * 16 + any_hex(s[2]));
			s += 2;
		} else {
			return false;
		}
	}
	*out = 0;
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Entries split at ',', empty ones skipped, each "key=value" with blanks
 * around both trimmed, a non-empty key, both percent-decoded. Compares
 * what ts_parse_kv_list made of a copy of s with this, pair by pair. */
static void check_kv_list(const char *s)
{
	size_t cap = strlen(s) + 1;
	char *copy = strdup(s), *scratch = malloc(cap), *key = malloc(cap), *value = malloc(cap);
	struct ts_kv kv[8];
	if (!copy || !scratch || !key || !value)
		abort();
	int n = ts_parse_kv_list(copy, kv, 8), expect = 0;
	char *copy_end = copy + strlen(s);
	for (const char *item = s; ; item++) {
		size_t len = strcspn(item, ",");
		const char *b = item, *e = item + len;
		while (b < e && blank(*b))
			b++;
		while (e > b && blank(e[-1]))
			e--;
		if (b < e) {
			const char *eq = memchr(b, '=', (size_t)(e - b));
			if (!eq) {
				expect = -1;
				break;
			}
			const char *ke = eq, *vb = eq + 1;
			while (ke > b && blank(ke[-1]))
				ke--;
			while (vb < e && blank(*vb))
				vb++;
			memcpy(scratch, b, (size_t)(ke - b));
			scratch[ke - b] = 0;
			bool key_ok = reference_decode(scratch, key) && *key;
			memcpy(scratch, vb, (size_t)(e - vb));
			scratch[e - vb] = 0;
			if (!key_ok || !reference_decode(scratch, value)) {
				expect = -1;
				break;
			}
			if (expect < 8 && n >= 0 && expect < n) {
				if (kv[expect].key < copy || kv[expect].key >= copy_end ||
				    kv[expect].value < copy || kv[expect].value > copy_end)
					fail("a pair points outside the parsed text");
				if (strcmp(kv[expect].key, key) || strcmp(kv[expect].value, value))
					fail("a pair read wrong");
			}
			if (expect < 8)
				expect++;
		}
		item += len;
		if (!*item)
			break;
	}
	if (n != expect)
		fail(n < 0 ? "a valid list refused" : expect < 0 ? "a malformed list accepted" :
		     "a wrong number of pairs");
	strcpy(copy, s);
	bool ok = ts_percent_decode(copy);
	if (ok != reference_decode(s, scratch) || (ok && strcmp(copy, scratch)))
		fail("percent-decoding differs");
	free(copy);
	free(scratch);
	free(key);
	free(value);
}

/* Digits only, in [min, max]. */
static void check_uint(const char *s, unsigned long min, unsigned long max)
{
	unsigned long v = 12345, ref = 0;
	bool ok = ts_parse_uint(s, min, max, &v), valid = *s != 0, overflow = false;
	for (const char *p = s; *p && valid; p++) {
		if (*p < '0' || *p > '9')
			valid = false;
		else if (ref > (max - (unsigned long)(*p - '0')) / 10)
			overflow = true;
		else
			ref = ref * 10 + (unsigned long)(*p - '0');
	}
	valid = valid && !overflow && ref >= min && ref <= max;
	if (ok != valid || (ok && v != ref) || (!ok && v != 12345))
		fail("ts_parse_uint differs from the rule");
}

static void check_bool(const char *s)
{
	static const char *const words[] = {"1", "true", "yes", "on", "0", "false", "no", "off"};
	bool v = false, ok = ts_parse_bool(s, &v);
	int hit = -1;
	for (int i = 0; i < 8 && hit < 0; i++)
		if (strlen(s) == strlen(words[i]) && !strncasecmp(s, words[i], strlen(s)))
			hit = i;
	if (ok != (hit >= 0) || (ok && v != (hit < 4)))
		fail("ts_parse_bool differs from the rule");
}

static bool fits(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	size_t n = 0;
	for (char *p = text; n < NVARS && p <= text + size; p += strlen(p) + 1)
		values[n++] = p;
	for (size_t i = n; i < NVARS; i++)
		values[i] = NULL;

	struct ts_otel_env env;
	memset(&env, 0xa5, sizeof env);
	ts_otel_env_load(&env, get);
	if (!fits(env.endpoint, sizeof env.endpoint) || !fits(env.shown, sizeof env.shown) ||
	    !fits(env.headers, sizeof env.headers))
		fail("a setting is not terminated");
	const char *url = values[TRACES_ENDPOINT], *base = values[ENDPOINT];
	char expect[2048] = "";
	if (url && *url)
		snprintf(expect, sizeof expect, "%s", strlen(url) < sizeof env.endpoint ? url : "");
	else if (base && *base && !ts_otlp_traces_url(base, expect, sizeof env.endpoint))
		expect[0] = 0;
	if (ts_url_parse(expect, strlen(expect), NULL))
		expect[0] = 0;   /* a malformed URL turns OTLP off */
	if (strcmp(env.endpoint, expect))
		fail("the traces endpoint is not the one configured");
	if (env.sampler > TS_SAMPLER_PARENT_RATIO)
		fail("an unknown sampler");
	if (!(env.ratio >= 0.0 && env.ratio <= 1.0))
		fail("a sampler ratio outside [0, 1]");
	if (env.timeout_ms < 0 || env.timeout_ms > 3600000)
		fail("an OTLP timeout out of range");
	if (env.max_batch > env.max_queue || env.max_queue < 1 || env.max_queue > (1u << 24) ||
	    env.schedule_delay_ms > 3600000 || env.export_timeout_ms < 1 ||
	    env.export_timeout_ms > 3600000)
		fail("a batching setting out of range");
	uint8_t id[16] = {0};
	memcpy(id, data, size < 16 ? size : 16);
	for (int parent = -1; parent <= 1; parent++)
		(void)ts_sample(&env, id, parent);

	for (size_t i = 0; i < n; i++) {
		check_kv_list(values[i]);
		check_uint(values[i], 0, 3600000);
		check_uint(values[i], 1, ULONG_MAX);
		check_bool(values[i]);
	}
	check_kv_list(env.headers);
	/* Headers kept are sent as "name: value" lines: no control character
	 * (a CR or LF would end the line) may come out of the decoding. */
	struct ts_kv kv[64];
	int nh = ts_parse_kv_list(env.headers, kv, 64);
	if (nh < 0)
		fail("kept headers that do not parse");
	for (int i = 0; i < nh; i++)
		for (const char *v = kv[i].value; *v; v++)
			if (((unsigned char)*v < ' ' && *v != '\t') || *v == 0x7f)
				fail("a kept header value holds a control character");

	struct ts_resource *r = malloc(sizeof *r);
	if (!r)
		abort();
	struct ts_process_info p = {.pid = 42, .ppid = 1, .exe_name = "fuzz", .exe_path = "/fuzz"};
	ts_resource_build(r, &p, get);
	if (r->n > TS_RESOURCE_MAX || r->used > sizeof r->text)
		fail("the resource overflows its tables");
	for (unsigned i = 0; i < r->n; i++) {
		if (!r->attrs[i].key || !*r->attrs[i].key)
			fail("a resource attribute without a key");
		if (r->attrs[i].type == TS_VAL_STR && !r->attrs[i].v.s)
			fail("a resource string without a value");
	}
	if (!ts_resource_find(r, "service.name"))
		fail("the resource has no service.name");
	free(r);
	free(text);
	return 0;
}
