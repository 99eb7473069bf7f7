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

static bool lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One part of a key: a first character (a lower-case letter, or with
 * digit_first a digit too), then up to max - 1 of [a-z0-9_*-/]. */
static bool key_ok(const char *k, size_t n, size_t max, bool digit_first)
{
	if (n == 0 || n > max || !(lower(k[0]) || (digit_first && digit(k[0]))))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!lower(k[i]) && !digit(k[i]) && !strchr("_-*/", k[i]))
			return false;
	return true;
}

/* W3C trace context, tracestate: at most 512 characters; list-members
 * separated by ',' with optional spaces or tabs around them, empty ones
 * skipped, 1 to 32 of them, keys unique. A member is key=value: a key is
 * simple (up to 256) or tenant@system (up to 241 and 14, the tenant may
 * start with a digit); a value is 1 to 256 printable ASCII characters but
 * ',' and '=', not ending in a space. */
static bool reference_tracestate(const char *s)
{
	if (strlen(s) > TS_TRACESTATE_MAX)
		return false;
	char keys[32][257];
	size_t nkeys = 0;
	for (const char *m = s;;) {
		size_t len = strcspn(m, ",");
		const char *b = m, *e = m + len;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (b < e) {
			const char *eq = memchr(b, '=', (size_t)(e - b));
			if (!eq || nkeys == 32)
				return false;
			size_t klen = (size_t)(eq - b), vlen = (size_t)(e - eq - 1);
			const char *at = memchr(b, '@', klen);
			bool key = at ? key_ok(b, (size_t)(at - b), 241, true) &&
					key_ok(at + 1, (size_t)(eq - at - 1), 14, false) :
				  key_ok(b, klen, 256, false);
			if (!key || vlen < 1 || vlen > 256 || eq[vlen] == ' ')
				return false;
			for (size_t i = 1; i <= vlen; i++)
				if (eq[i] < 0x20 || eq[i] > 0x7e || eq[i] == ',' || eq[i] == '=')
					return false;
			for (size_t i = 0; i < nkeys; i++)
				if (strlen(keys[i]) == klen && !memcmp(keys[i], b, klen))
					return false;
			memcpy(keys[nkeys], b, klen);
			keys[nkeys++][klen] = 0;
		}
		if (!m[len])
			return nkeys > 0;
		m += len + 1;
	}
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
