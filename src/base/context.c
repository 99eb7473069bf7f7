/* The incoming trace context. */
#include "context.h"

#include "config.h"
#include "ids.h"
#include "log.h"
#include "rawfs.h"
#include "rawsys.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

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

/* tracestate keys (W3C trace context): a simple key is a lower-case letter
 * and up to 255 of [a-z0-9_*-/]; a multi-tenant key is tenant@system, the
 * tenant a letter or digit and up to 240 more, the system a letter and up
 * to 13 more. */
static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '*' || c == '/';
}

static bool key_part(const char *k, size_t n, size_t max, bool digit_first)
{
	if (n < 1 || n > max)
		return false;
	if (!((k[0] >= 'a' && k[0] <= 'z') || (digit_first && k[0] >= '0' && k[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!key_char(k[i]))
			return false;
	return true;
}

static bool valid_key(const char *k, size_t n)
{
	const char *at = memchr(k, '@', n);
	if (!at)
		return key_part(k, n, 256, false);
	size_t tenant = (size_t)(at - k);
	return key_part(k, tenant, 241, true) && key_part(at + 1, n - tenant - 1, 14, false);
}

/* Up to 256 printable ASCII characters but ',' and '=', not ending in a space. */
static bool valid_value(const char *v, size_t n)
{
	if (n < 1 || n > 256 || v[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e || v[i] == ',' || v[i] == '=')
			return false;
	return true;
}

bool ts_tracestate_valid(const char *s)
{
	if (strnlen(s, TS_TRACESTATE_MAX + 1) > TS_TRACESTATE_MAX)
		return false;
	struct { const char *k; size_t n; } keys[TS_TRACESTATE_MEMBERS];
	size_t members = 0;
	for (const char *p = s;; p++) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *e = end;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (p < e) {   /* an empty member is allowed and skipped */
			const char *eq = memchr(p, '=', (size_t)(e - p));
			if (!eq || members == TS_TRACESTATE_MEMBERS || !valid_key(p, (size_t)(eq - p)) ||
			    !valid_value(eq + 1, (size_t)(e - eq - 1)))
				return false;
			for (size_t i = 0; i < members; i++)
				if (keys[i].n == (size_t)(eq - p) && !memcmp(keys[i].k, p, keys[i].n))
					return false;
			keys[members].k = p;
			keys[members++].n = (size_t)(eq - p);
		}
		if (!*end)
			break;
		p = end;
	}
	return members > 0;
}

void ts_context_init(void)
{
	ts_ctx.parent_span = 0;
	ts_ctx.parent_traced = false;
	ts_ctx.parent_sampled = -1;
	ts_ctx.tracestate[0] = 0;
	ts_ctx.started_with[0] = 0;
	const char *tp = ts_env("TRACEPARENT");
	if (!tp)
		return;
	snprintf(ts_ctx.started_with, sizeof ts_ctx.started_with, "%s", tp);
	uint8_t trace_id[16];
	uint64_t span;
	uint8_t flags;
	if (!ts_traceparent_parse(tp, trace_id, &span, &flags)) {
		ts_warn_config("ignoring malformed TRACEPARENT '%.64s%s': this process starts a new trace",
			       tp, strlen(tp) > 64 ? "..." : "");
		return;
	}
	memcpy(ts_ids.trace_id, trace_id, 16);
	ts_ctx.parent_span = span;
	ts_ctx.parent_sampled = flags & 1;
	const char *ours = ts_env("TRACESHIM_PARENT_SPAN");
	ts_ctx.parent_traced = ours && strlen(ours) == 16 && !strncmp(ours, tp + 36, 16);
	/* The mark is this process's alone: a child started where the shim
	 * does not see it (glibc's own spawn in system(NULL), wordexp) would
	 * take it for its own and draw a second arrow from the same span. */
	if (ours)
		unsetenv("TRACESHIM_PARENT_SPAN");
	const char *st = ts_env("TRACESTATE");
	if (st && ts_tracestate_valid(st))
		strcpy(ts_ctx.tracestate, st);
	else if (st)
		ts_warn_config("ignoring malformed TRACESTATE '%.100s%s': not a W3C tracestate (at most %d "
			       "key=value members, %d characters)", st, strlen(st) > 100 ? "..." : "",
			       TS_TRACESTATE_MEMBERS, TS_TRACESTATE_MAX);
}

void ts_context_after_fork(uint64_t fork_span)
{
	ts_ctx.parent_span = fork_span;
	ts_ctx.parent_traced = fork_span != 0;
	ts_ctx.parent_sampled = 1;
}

/* path, or when it cannot be looked at its directory, is not euid's. */
static bool path_of_another_user(const char *path, unsigned euid)
{
	char dir[PATH_MAX];
	struct stat st;
	if (ts_sys_stat(path, &st) == 0)
		return st.st_uid != euid;
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return false;
	slash[slash == dir] = 0;   /* "/x" -> "/" */
	return ts_sys_stat(dir, &st) == 0 && st.st_uid != euid;
}

bool ts_tree_of_another_user(const char *path)
{
	unsigned euid = (unsigned)ts_syscall(SYS_geteuid);
	if (ts_ctx.parent_traced || euid != ts_cfg.start_euid)
		return true;
	return ts_ctx.parent_span && path_of_another_user(path, euid);
}
