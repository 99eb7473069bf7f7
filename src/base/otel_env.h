/* OpenTelemetry SDK environment variables (OTEL_*), parsed per the SDK
 * specification: resource attributes, OTLP exporter settings and sampler. */
#ifndef TS_OTEL_ENV_H
#define TS_OTEL_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* One "key=value" pair of a list variable, pointing into a parsed copy. */
struct ts_kv {
	char *key, *value;
};

/* Parses "k=v,k2=v2" (W3C-baggage-like, as OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS are written): entries trimmed, values
 * percent-decoded. text is modified in place. Returns the number of pairs
 * (at most max), or -1 when an entry is malformed or a value does not
 * decode: the specification says to discard the whole variable then. */
int ts_parse_kv_list(char *text, struct ts_kv *out, int max);

/* Decodes %XX escapes in place; false on a malformed escape. */
bool ts_percent_decode(char *s);

enum ts_sampler {
	TS_SAMPLER_ALWAYS_ON, TS_SAMPLER_ALWAYS_OFF, TS_SAMPLER_RATIO,
	TS_SAMPLER_PARENT_ALWAYS_ON, TS_SAMPLER_PARENT_ALWAYS_OFF, TS_SAMPLER_PARENT_RATIO,
};

/* Limits of OTEL_EXPORTER_OTLP_[TRACES_]HEADERS (bytes, pairs) and of
 * OTEL_RESOURCE_ATTRIBUTES (bytes). */
#define TS_OTEL_HEADERS_MAX 2048
#define TS_OTEL_HEADERS_COUNT 32
#define TS_OTEL_RESOURCE_ATTRIBUTES_MAX 4096

struct ts_otel_env {
	char endpoint[1024];        /* full URL of /v1/traces, "" when OTLP is off (or it is malformed) */
	char shown[1024];           /* the endpoint as messages show it (ts_url_redact) */
	int timeout_ms;             /* OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT, default 10000 */
	bool gzip;                  /* OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION=gzip */
	char headers[TS_OTEL_HEADERS_MAX]; /* raw header list, per-signal variable winning;
				       * "" when malformed. Never printed: it may hold keys. */
	enum ts_sampler sampler;    /* OTEL_TRACES_SAMPLER, default parentbased_always_on */
	double ratio;               /* OTEL_TRACES_SAMPLER_ARG for the ratio samplers */
	unsigned max_queue;         /* OTEL_BSP_MAX_QUEUE_SIZE: spans waiting, beyond it dropped */
	unsigned max_batch;         /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE: spans per request */
	unsigned schedule_delay_ms; /* OTEL_BSP_SCHEDULE_DELAY: longest wait before a request */
	unsigned export_timeout_ms; /* OTEL_BSP_EXPORT_TIMEOUT: one request, retries included */
};

/* Reads the OTEL_* exporter and sampler variables through getenv_fn
 * (getenv, or a test's table). Bad values are reported (ts_warn_config) and
 * replaced by their defaults; a malformed endpoint URL leaves endpoint
 * empty, a malformed header list leaves headers empty. */
void ts_otel_env_load(struct ts_otel_env *env, const char *(*getenv_fn)(const char *));

/* The sampling decision for a new trace (parent_sampled < 0: no parent) with
 * this trace id, per the OTEL_TRACES_SAMPLER rules; traceidratio compares the
 * id's last 8 bytes with ratio * 2^64, as the SDKs do. */
bool ts_sample(const struct ts_otel_env *env, const unsigned char trace_id[16], int parent_sampled);

/* The traces URL from the generic base endpoint: "v1/traces" appended after
 * making sure the base ends in '/'. false if it does not fit. */
bool ts_otlp_traces_url(const char *base, char *out, size_t cap);

#endif
