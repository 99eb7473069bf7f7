/* The incoming trace context. */
#include "context.h"

#include "config.h"
#include "ids.h"
#include "log.h"

#include <string.h>

struct ts_incoming_ctx ts_ctx = {.parent_sampled = -1};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;   /* upper case is not allowed either */
}

static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
	uint8_t any = 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
		any |= out[i];
	}
	return any != 0;   /* all zeros is invalid for ids; flags use their own check */
}

bool ts_traceparent_parse(const char *s, uint8_t trace_id[16], uint64_t *span_id, uint8_t *flags)
{
	/* version "-" trace-id(32) "-" parent-id(16) "-" flags(2): 55 characters.
	 * A later version may append fields after another '-'. */
	if (!s)
		return false;
	size_t len = strnlen(s, 256);
	if (len < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return false;
	int v_hi = hexval(s[0]), v_lo = hexval(s[1]);
	if (v_hi < 0 || v_lo < 0)
		return false;
	int version = v_hi << 4 | v_lo;
	if (version == 0xff || (version == 0 && len != 55) || (len > 55 && s[55] != '-'))
		return false;
	uint8_t tid[16], sid[8];
	if (!hex_bytes(s + 3, tid, 16) || !hex_bytes(s + 36, sid, 8))
		return false;
	int f_hi = hexval(s[53]), f_lo = hexval(s[54]);
	if (f_hi < 0 || f_lo < 0)
		return false;
	memcpy(trace_id, tid, 16);
	uint64_t id = 0;
	for (int i = 0; i < 8; i++)
		id = id << 8 | sid[i];
	*span_id = id;
	*flags = (uint8_t)(f_hi << 4 | f_lo);
	return true;
}

bool ts_tracestate_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= TS_TRACESTATE_MAX || (unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return false;
	return n > 0;
}

void ts_context_init(void)
{
	ts_ctx.parent_span = 0;
	ts_ctx.parent_traced = false;
	ts_ctx.parent_sampled = -1;
	ts_ctx.tracestate[0] = 0;
	const char *tp = ts_env("TRACEPARENT");
	if (!tp)
		return;
	uint8_t trace_id[16];
	uint64_t span;
	uint8_t flags;
	if (!ts_traceparent_parse(tp, trace_id, &span, &flags)) {
		ts_warn_config("ignoring malformed TRACEPARENT '%.64s': this process starts a new trace",
			       tp);
		return;
	}
	memcpy(ts_ids.trace_id, trace_id, 16);
	ts_ctx.parent_span = span;
	ts_ctx.parent_sampled = flags & 1;
	const char *ours = ts_env("TRACESHIM_PARENT_SPAN");
	ts_ctx.parent_traced = ours && strlen(ours) == 16 && !strncmp(ours, tp + 36, 16);
	const char *st = ts_env("TRACESTATE");
	if (st && ts_tracestate_valid(st))
		strcpy(ts_ctx.tracestate, st);
	else if (st)
		TS_WARN("ignoring TRACESTATE: over %d characters or not printable", TS_TRACESTATE_MAX);
}

void ts_context_after_fork(uint64_t fork_span)
{
	ts_ctx.parent_span = fork_span;
	ts_ctx.parent_traced = fork_span != 0;
	ts_ctx.parent_sampled = 1;
}
