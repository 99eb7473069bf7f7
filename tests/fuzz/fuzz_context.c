/* libFuzzer target: the W3C trace context a process starts with. The input
 * is a TRACEPARENT value, then (after a NUL) a TRACESTATE value. Both
 * parsers are compared with the specification's rules written out plainly
 * here, and ts_context_init reads them from the environment as at start-up. */
#include "context.h"
#include "ids.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_context: %s\n", what);
	abort();
}

static int lower_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* n lower-case hex digits at s into out[n / 2]; false if they are not. */
static bool hex_field(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i += 2) {
		if (lower_hex(s[i]) < 0 || lower_hex(s[i + 1]) < 0)
			return false;
		out[i / 2] = (uint8_t)(lower_hex(s[i]) << 4 | lower_hex(s[i + 1]));
	}
	return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* version-traceid-parentid-flags, each lower-case hex; version ff is
 * invalid; version 00 has exactly these four fields; a later version may
 * append "-..." (the parser reads at most 256 characters). */
static bool reference_parse(const char *s, uint8_t trace[16], uint64_t *span, uint8_t *flags)
{
	size_t len = strnlen(s, 256);
	uint8_t version, sid[8];
	if (len < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return false;
	if (!hex_field(s, 2, &version) || version == 0xff)
		return false;
	if ((version == 0 && len != 55) || (len > 55 && s[55] != '-'))
		return false;
	if (!hex_field(s + 3, 32, trace) || !hex_field(s + 36, 16, sid) || !hex_field(s + 53, 2, flags))
		return false;
	if (all_zero(trace, 16) || all_zero(sid, 8))
		return false;
	*span = 0;
	for (int i = 0; i < 8; i++)
		*span = *span << 8 | sid[i];
	return true;
}

static bool reference_tracestate(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TS_TRACESTATE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 2);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = text[size + 1] = 0;
	const char *tp = text, *ts = text + strlen(text) + 1;
	if (ts > text + size)
		ts = text + size;

	uint8_t trace[16] = {0}, ref_trace[16];
	uint64_t span = 0, ref_span;
	uint8_t flags = 0, ref_flags;
	bool ok = ts_traceparent_parse(tp, trace, &span, &flags);
	bool ref = reference_parse(tp, ref_trace, &ref_span, &ref_flags);
	if (ok != ref)
		fail(ok ? "accepted a malformed traceparent" : "refused a valid traceparent");
	if (ok && (memcmp(trace, ref_trace, 16) || span != ref_span || flags != ref_flags))
		fail("a traceparent read wrong");
	if (ts_tracestate_valid(ts) != reference_tracestate(ts))
		fail("tracestate judged wrong");

	/* As at start-up: the environment carrier (an environment of its own:
	 * setenv would keep every value ever set). */
	char *tp_var = malloc(strlen(tp) + sizeof "TRACEPARENT=");
	char *ts_var = malloc(strlen(ts) + sizeof "TRACESTATE=");
	if (!tp_var || !ts_var)
		abort();
	sprintf(tp_var, "TRACEPARENT=%s", tp);
	sprintf(ts_var, "TRACESTATE=%s", ts);
	char *env[] = {tp_var, ts_var, NULL};
	char **saved = environ;
	environ = env;
	ts_context_init();
	environ = saved;
	free(tp_var);
	free(ts_var);
	if (strnlen(ts_ctx.tracestate, sizeof ts_ctx.tracestate) >= sizeof ts_ctx.tracestate)
		fail("the kept tracestate is not terminated");
	if (ok != (ts_ctx.parent_span != 0) || (ok && ts_ctx.parent_span != span))
		fail("the parent span does not match TRACEPARENT");
	if (ok && memcmp(ts_ids.trace_id, trace, 16))
		fail("the trace id does not match TRACEPARENT");
	if (ts_ctx.parent_sampled != (ok ? (flags & 1) : -1))
		fail("the sampled flag does not match TRACEPARENT");
	bool kept = ts_ctx.tracestate[0] != 0;
	if (kept != (ok && reference_tracestate(ts)) || (kept && strcmp(ts_ctx.tracestate, ts)))
		fail("TRACESTATE kept wrong");
	free(text);
	return 0;
}
