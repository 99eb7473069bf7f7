/* Resource attributes (semantic conventions: service, process, host,
 * telemetry.sdk). Later sources win: process facts, then
 * OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME for service.name. */
#include "resource.h"

#include "log.h"
#include "otel_env.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ts_version.h"

static const char *keep(struct ts_resource *r, const char *s, size_t len)
{
	if (r->used + len + 1 > sizeof r->text)
		return NULL;
	char *dst = r->text + r->used;
	memcpy(dst, s, len);
	dst[len] = 0;
	r->used += len + 1;
	return dst;
}

const struct ts_attr *ts_resource_find(const struct ts_resource *r, const char *key)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->attrs[i].key, key))
			return &r->attrs[i];
	return NULL;
}

/* Sets key (replacing an earlier value); the key must outlive r or be kept. */
static void set(struct ts_resource *r, const char *key, struct ts_attr value)
{
	value.key = key;
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->attrs[i].key, key)) {
			r->attrs[i] = value;
			return;
		}
	if (r->n < TS_RESOURCE_MAX)
		r->attrs[r->n++] = value;
}

static void set_str(struct ts_resource *r, const char *key, const char *value)
{
	const char *v = value ? keep(r, value, strlen(value)) : NULL;
	if (v)
		set(r, key, (struct ts_attr){.type = TS_VAL_STR, .v.s = v});
}

static void set_int(struct ts_resource *r, const char *key, int64_t value)
{
	set(r, key, (struct ts_attr){.type = TS_VAL_INT, .v.i = value});
}

static void process_facts(struct ts_resource *r, const struct ts_process_info *p)
{
	set_int(r, "process.pid", p->pid);
	set_int(r, "process.parent_pid", p->ppid);
	set_str(r, "process.executable.name", p->exe_name);
	set_str(r, "process.executable.path", p->exe_path);
	if (p->start_unix_ns) {
		time_t secs = (time_t)(p->start_unix_ns / 1000000000u);
		struct tm tm;
		char iso[40];
		gmtime_r(&secs, &tm);
		size_t n = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(iso + n, sizeof iso - n, ".%09uZ", (unsigned)(p->start_unix_ns % 1000000000u));
		set_str(r, "process.creation.time", iso);
	}
	set_str(r, "host.name", p->host_name);
	set_str(r, "telemetry.sdk.name", "traceshim");
	set_str(r, "telemetry.sdk.version", TS_VERSION);
	if (p->command_args && p->command_args_len) {
		/* One string, arguments separated by spaces (opt-in only). */
		char args[1024];
		size_t n = p->command_args_len < sizeof args ? p->command_args_len : sizeof args - 1;
		memcpy(args, p->command_args, n);
		args[n] = 0;
		for (size_t i = 0; i + 1 < n; i++)
			if (!args[i])
				args[i] = ' ';
		set_str(r, "process.command_line", args);
	}
}

static void user_attributes(struct ts_resource *r, const char *(*get)(const char *))
{
	const char *text = get("OTEL_RESOURCE_ATTRIBUTES");
	if (!text || !*text)
		return;
	/* Too long or malformed: ignored, as reported at start (otel_env.c). */
	char copy[TS_OTEL_RESOURCE_ATTRIBUTES_MAX];
	if ((size_t)snprintf(copy, sizeof copy, "%s", text) >= sizeof copy)
		return;
	struct ts_kv kv[TS_RESOURCE_MAX];
	int n = ts_parse_kv_list(copy, kv, TS_RESOURCE_MAX);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *key = keep(r, kv[i].key, strlen(kv[i].key));
		if (key)
			set_str(r, key, kv[i].value);
	}
}

void ts_resource_build(struct ts_resource *r, const struct ts_process_info *p,
		       const char *(*get)(const char *))
{
	r->n = 0;
	r->used = 0;
	process_facts(r, p);
	user_attributes(r, get);
	const char *service = get("OTEL_SERVICE_NAME");
	if (service && *service)
		set_str(r, "service.name", service);
	else if (!ts_resource_find(r, "service.name"))
		set_str(r, "service.name", p->exe_name ? p->exe_name : "unknown_service");
}
