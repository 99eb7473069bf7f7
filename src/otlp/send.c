/* OTLP/HTTP sender (see send.h). */
#include "send.h"

#include "clock.h"
#include "log.h"
#include "otlp_trace_service.pb-c.h"
#include "retry.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define RESPONSE_MAX (4u << 20)   /* read at most this much of an answer */

struct ts_otlp_sender {
	CURL *curl;
	struct curl_slist *headers;
	const struct ts_otel_env *env;
	char retry_after[64];
	uint8_t *response;
	size_t response_len;
	uint64_t jitter;
	struct ts_send_hooks hooks;
};

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct ts_otlp_sender *s = arg;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		size_t v = len - 12 < sizeof s->retry_after - 1 ? len - 12 : sizeof s->retry_after - 1;
		memcpy(s->retry_after, line + 12, v);
		s->retry_after[v] = 0;
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct ts_otlp_sender *s = arg;
	size_t len = size * n;
	if (s->response_len + len > RESPONSE_MAX)
		return len;   /* the rest is ignored, not an error */
	uint8_t *grown = realloc(s->response, s->response_len + len);
	if (grown) {
		memcpy(grown + s->response_len, data, len);
		s->response = grown;
		s->response_len += len;
	}
	return len;
}

static uint64_t cutoff(const struct ts_otlp_sender *s)
{
	return s->hooks.cutoff_ms ? atomic_load(s->hooks.cutoff_ms) : 0;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	uint64_t c = cutoff(arg);
	return c && ts_clock_monotonic_ms() >= c;   /* non-zero aborts the transfer */
}

struct ts_otlp_sender *ts_otlp_sender_new(const struct ts_otel_env *env,
					  const struct ts_send_hooks *hooks)
{
	struct ts_otlp_sender *s = calloc(1, sizeof *s);
	if (!s || !(s->curl = curl_easy_init())) {
		free(s);
		return NULL;
	}
	s->env = env;
	if (hooks)
		s->hooks = *hooks;
	s->jitter = (uint64_t)ts_clock_monotonic_ms() * 0x9e3779b97f4a7c15ull;
	s->headers = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	if (env->gzip)
		s->headers = curl_slist_append(s->headers, "Content-Encoding: gzip");
	/* Checked at start (otel_env.c): a malformed list is empty here. */
	char list[sizeof env->headers];
	memcpy(list, env->headers, sizeof list);
	struct ts_kv kv[TS_OTEL_HEADERS_COUNT];
	int n = ts_parse_kv_list(list, kv, TS_OTEL_HEADERS_COUNT);
	for (int i = 0; i < n; i++) {
		char line[1024];
		snprintf(line, sizeof line, "%s: %s", kv[i].key, kv[i].value);
		s->headers = curl_slist_append(s->headers, line);
	}
	curl_easy_setopt(s->curl, CURLOPT_URL, env->endpoint);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
	return s;
}

void ts_otlp_sender_free(struct ts_otlp_sender *s)
{
	if (!s)
		return;
	curl_slist_free_all(s->headers);
	curl_easy_cleanup(s->curl);
	free(s->response);
	free(s);
}

/* gzip of body into a malloc'ed buffer, or NULL. */
static uint8_t *gzip(const uint8_t *body, size_t len, size_t *out_len)
{
	z_stream zs = {0};
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&zs, len) + 32;
	uint8_t *out = malloc(cap);
	zs.next_in = (Bytef *)body;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (!out || deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		free(out);
		out = NULL;
	}
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static void read_partial_success(struct ts_otlp_sender *s, struct ts_send_stats *st)
{
	Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *r =
		opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
			NULL, s->response_len, s->response);
	if (!r)
		return;
	if (r->partial_success && r->partial_success->rejected_spans > 0) {
		st->rejected_spans = r->partial_success->rejected_spans;
		TS_WARN("OTLP receiver rejected %lld spans: %s", (long long)st->rejected_spans,
			r->partial_success->error_message ? r->partial_success->error_message : "");
	}
	opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(r, NULL);
}

/* Sleeps ms, in short steps so a cutoff set meanwhile is seen soon. */
static void pause_ms(const struct ts_otlp_sender *s, uint64_t ms)
{
	uint64_t until = ts_clock_monotonic_ms() + ms;
	for (uint64_t now = ts_clock_monotonic_ms(); now < until; now = ts_clock_monotonic_ms()) {
		uint64_t c = cutoff(s);
		if (c && now >= c)
			return;
		uint64_t step = until - now < 50 ? until - now : 50;
		struct timespec ts = {0, (long)step * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* The earlier of the request's deadline and the exit cutoff. */
static uint64_t effective_deadline(const struct ts_otlp_sender *s, uint64_t deadline_ms)
{
	uint64_t c = cutoff(s);
	return c && c < deadline_ms ? c : deadline_ms;
}

enum ts_send_result ts_otlp_send(struct ts_otlp_sender *s, const uint8_t *body, size_t len,
				 uint64_t deadline_ms, struct ts_send_stats *st)
{
	memset(st, 0, sizeof *st);
	uint8_t *zipped = NULL;
	if (s->env->gzip) {
		size_t zlen;
		zipped = gzip(body, len, &zlen);
		if (zipped) {
			body = zipped;
			len = zlen;
		}
	}
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	enum ts_send_result result = TS_SEND_GAVE_UP;
	for (unsigned attempt = 0;; attempt++) {
		uint64_t now = ts_clock_monotonic_ms(), until = effective_deadline(s, deadline_ms);
		if (now >= until)
			break;
		uint64_t budget = until - now;
		long timeout = s->env->timeout_ms && (uint64_t)s->env->timeout_ms < budget ?
			s->env->timeout_ms : (long)budget;
		curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, timeout > 0 ? timeout : 1L);
		s->retry_after[0] = 0;
		s->response_len = 0;
		CURLcode rc = curl_easy_perform(s->curl);
		long status = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		st->attempts++;
		st->last_status = status;
		if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
			/* The URL itself: no retry can help. */
			TS_WARN("OTLP export failed for good: %s", curl_easy_strerror(rc));
			result = TS_SEND_REJECTED;
			break;
		}
		/* The process is ending: a collector that refuses connections
		 * is not waited for. In the in-process writer the program's
		 * other threads run on while its exit waits here. */
		if (rc == CURLE_COULDNT_CONNECT && cutoff(s)) {
			TS_DEBUG("OTLP export dropped at exit: %s", curl_easy_strerror(rc));
			break;
		}
		if (status >= 200 && status < 300) {
			read_partial_success(s, st);
			result = TS_SEND_OK;
			break;
		}
		if (!ts_otlp_retryable(status)) {
			TS_WARN("OTLP export refused with HTTP %ld; not retried", status);
			result = TS_SEND_REJECTED;
			break;
		}
		long wait = ts_retry_after_ms(s->retry_after[0] ? s->retry_after : NULL, time(NULL));
		s->jitter = s->jitter * 6364136223846793005ull + 1442695040888963407ull;
		if (wait < 0)
			wait = (long)ts_backoff_ms(attempt, 100, 5000, s->jitter >> 11);
		if (ts_clock_monotonic_ms() + (uint64_t)wait >= effective_deadline(s, deadline_ms))
			break;
		pause_ms(s, (uint64_t)wait);
	}
	free(zipped);
	return result;
}
