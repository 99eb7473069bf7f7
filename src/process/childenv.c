/* Building a child's environment. Runs in the calling thread of exec, spawn,
 * system and popen; allocates only the one block it returns. */
#include "childenv.h"

#include "config.h"
#include "context.h"
#include "ids.h"
#include "large.h"
#include "log.h"
#include "rawfs.h"
#include "summary.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SETTINGS 64

static bool follow = true;
/* The strings below, packed one after the other: the few of a usual run
 * fill part of one page, and the process allocates nothing as it starts. */
static TS_LARGE char store[64 * 1024];
static size_t store_used;
static const char *lib_path = "";
/* LD_PRELOAD for a child whose environment has none: this process's own
 * when it names the library (it may need runtimes loaded before it, as a
 * sanitizer build does), else the library alone. */
static const char *preload = "";
static const char *settings[MAX_SETTINGS + 1];   /* "NAME=value", in store */

/* A copy of s in store; NULL when there is no room left. */
static const char *keep(const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > sizeof store - store_used)
		return NULL;
	char *at = memcpy(store + store_used, s, n);
	store_used += n;
	return at;
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static bool is_setting(const char *e)
{
	return has_prefix(e, "TRACESHIM_") || has_prefix(e, "OTEL_");
}

void ts_childenv_setup(bool follow_on, const char *lib, char *const list[])
{
	follow = follow_on;
	store_used = 0;
	const char *kept = lib && strlen(lib) < PATH_MAX ? keep(lib) : NULL;
	lib_path = kept ? kept : "";
	preload = lib_path;
	int n = 0;
	for (int i = 0; list && list[i] && n < MAX_SETTINGS; i++) {
		if (!is_setting(list[i]))
			continue;
		if ((settings[n] = keep(list[i])))
			n++;
		else
			TS_INFO("a setting too long for children to inherit: %.40s...", list[i]);
	}
	settings[n] = NULL;
}

static bool lists_lib(const char *list);

void ts_childenv_init(void)
{
	Dl_info info;
	char lib[PATH_MAX] = "";
	/* The name the loader used: absolute when LD_PRELOAD gave a path, as
	 * traceshim run does; realpath() only for a relative one. */
	if (dladdr((void *)ts_childenv_init, &info) && info.dli_fname &&
	    (info.dli_fname[0] == '/' || !realpath(info.dli_fname, lib)))
		snprintf(lib, sizeof lib, "%s", info.dli_fname);
	/* The settings as they are now, with the trace file made absolute so
	 * every process of the tree appends to this one. */
	char *list[MAX_SETTINGS + 2];
	char output[PATH_MAX + 20];
	int n = 0;
	if (ts_cfg.perfetto) {
		snprintf(output, sizeof output, "TRACESHIM_OUTPUT=%s", ts_cfg.output);
		list[n++] = output;
	}
	for (int i = 0; i < 2 && ts_summary_child_env(i); i++)
		list[n++] = (char *)ts_summary_child_env(i);
	for (char **e = environ; e && *e && n < MAX_SETTINGS; e++)
		if (is_setting(*e) && !has_prefix(*e, "TRACESHIM_OUTPUT=") &&
		    !has_prefix(*e, "TRACESHIM_SUMMARY_") && !has_prefix(*e, "TRACESHIM_PARENT_SPAN=") &&
		    !has_prefix(*e, TS_REPORTED_VAR "="))
			list[n++] = *e;
	list[n] = NULL;
	ts_childenv_setup(ts_cfg.follow, lib, list);
	const char *own = ts_env("LD_PRELOAD");
	const char *kept;
	if (own && strlen(own) < 2 * PATH_MAX && lists_lib(own) && (kept = keep(own)))
		preload = kept;
}

/* The length of NAME in "NAME=value" (the whole string without '='). */
static size_t name_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (size_t)(eq - e) : strlen(e);
}

static bool same_name(const char *a, const char *b)
{
	size_t n = name_len(a);
	return n == name_len(b) && !strncmp(a, b, n);
}

static bool in_env(char *const envp[], const char *entry)
{
	for (int i = 0; envp && envp[i]; i++)
		if (same_name(envp[i], entry))
			return true;
	return false;
}

/* Walks an LD_PRELOAD list (entries separated by colons or spaces): the
 * next non-empty entry at *p, its length in *n; false at the end. */
static bool next_entry(const char **p, const char **entry, size_t *n)
{
	while (**p == ':' || **p == ' ')
		(*p)++;
	if (!**p)
		return false;
	*entry = *p;
	*n = strcspn(*p, ": ");
	*p += *n;
	return true;
}

/* This library, by its path or, loaded from elsewhere, by its file name. */
static bool is_lib(const char *entry, size_t n)
{
	const char *base = strrchr(lib_path, '/');
	base = base ? base + 1 : lib_path;
	const char *slash = memrchr(entry, '/', n);
	const char *b = slash ? slash + 1 : entry;
	size_t bn = n - (size_t)(b - entry);
	return (n == strlen(lib_path) && !strncmp(entry, lib_path, n)) ||
	       (bn == strlen(base) && !strncmp(b, base, bn));
}

static bool lists_lib(const char *list)
{
	const char *entry;
	size_t n;
	while (next_entry(&list, &entry, &n))
		if (is_lib(entry, n))
			return true;
	return false;
}

/* LD_PRELOAD without this library (following off). */
static size_t strip_lib(const char *list, char *out)
{
	const char *entry;
	size_t n, len = 0;
	while (next_entry(&list, &entry, &n)) {
		if (is_lib(entry, n))
			continue;
		if (len)
			out[len++] = ':';
		memcpy(out + len, entry, n);
		len += n;
	}
	out[len] = 0;
	return len;
}

/* LD_PRELOAD with this library named by its absolute path where the list
 * names it by a relative one (LD_PRELOAD=./libtraceshim.so), which a child
 * that runs in another directory could not load; 0 when none is relative. */
static size_t absolute_lib(const char *list, char *out)
{
	const char *entry;
	size_t n, len = 0;
	bool changed = false;
	while (next_entry(&list, &entry, &n)) {
		if (len)
			out[len++] = ':';
		if (entry[0] != '/' && lib_path[0] == '/' && is_lib(entry, n)) {
			entry = lib_path;
			n = strlen(lib_path);
			changed = true;
		}
		memcpy(out + len, entry, n);
		len += n;
	}
	out[len] = 0;
	return changed ? len : 0;
}

bool ts_childenv_ready(void)
{
	return lib_path[0] != 0;
}

/* Entries a child's environment may gain: TRACEPARENT, its span,
 * TRACESTATE, what was reported, LD_PRELOAD and the settings. */
#define EXTRA_ENTRIES (5 + MAX_SETTINGS)

/* One block holds the array and every new string. */
size_t ts_childenv_size(char *const envp[])
{
	size_t n = 0, bytes = 0;
	for (; envp && envp[n]; n++)
		bytes += strlen(envp[n]) + 1;
	bytes += sizeof "TRACEPARENT=" + 56 + sizeof "TRACESTATE=" + TS_TRACESTATE_MAX +
		 sizeof "TRACESHIM_PARENT_SPAN=" + 16 + sizeof TS_REPORTED_VAR "=" + TS_REPORTED_MAX +
		 sizeof "LD_PRELOAD=" + strlen(preload) + strlen(lib_path) + 1;
	return (n + EXTRA_ENTRIES + 1) * sizeof(char *) + bytes;
}

char **ts_childenv(char *const envp[], uint64_t span_id)
{
	void *block = malloc(ts_childenv_size(envp));
	return block ? ts_childenv_in(envp, span_id, block) : NULL;
}

/* The program put a TRACEPARENT of its own in the child's environment (not
 * the one this process was started with, passed on): its own propagation,
 * kept with its TRACESTATE, as a request's own traceparent is (the child
 * then continues the program's trace, with no arrow from the shim's span). */
static bool own_traceparent(char *const envp[], size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (has_prefix(envp[i], "TRACEPARENT="))
			return strncmp(envp[i] + strlen("TRACEPARENT="), ts_ctx.started_with,
				       sizeof ts_ctx.started_with) != 0;
	return false;
}

/* The library as the child will look for it: after a chroot (chroot(1),
 * a service's jail) it is most often not there, and the dynamic loader
 * would say so on the program's stderr at every exec. */
static bool lib_reachable(void)
{
	int saved = errno;
	bool there = ts_sys_access(lib_path, R_OK) == 0;
	errno = saved;
	return there;
}

char **ts_childenv_in(char *const envp[], uint64_t span_id, void *block)
{
	char parent[56];
	uint8_t flags = ts_ctx.parent_sampled == 0 && !ts_cfg.otlp ? 0 : 1;
	ts_traceparent_format(ts_ids.trace_id, span_id, flags, parent);
	/* What this run reported already, so the child does not say it again. */
	char reported[TS_REPORTED_MAX + 1];
	bool mark = follow && ts_log_reported(reported, sizeof reported) > 0;

	size_t count = 0;
	while (envp && envp[count])
		count++;
	char **out = block;
	char *str = (char *)(out + count + EXTRA_ENTRIES + 1);   /* as ts_childenv_size() counts */
	size_t n = 0;
	bool have_preload = false, keep = span_id && own_traceparent(envp, count);
	bool reach = follow && lib_path[0] && lib_reachable();
	for (size_t i = 0; i < count; i++) {
		const char *e = envp[i];
		if (span_id && (has_prefix(e, "TRACESHIM_PARENT_SPAN=") ||
				(!keep && (has_prefix(e, "TRACEPARENT=") || has_prefix(e, "TRACESTATE=")))))
			continue;
		if (mark && has_prefix(e, TS_REPORTED_VAR "="))
			continue;
		if (lib_path[0] && has_prefix(e, "LD_PRELOAD=")) {
			have_preload = true;
			const char *list = e + strlen("LD_PRELOAD=");
			if (reach && !lists_lib(list)) {
				out[n++] = str;
				/* After what the program preloads (a sanitizer runtime
				 * must stay first). */
				str += sprintf(str, "LD_PRELOAD=%s%s%s", list, *list ? ":" : "", lib_path) + 1;
				continue;
			}
			if (reach && lists_lib(list)) {
				/* Written in place: taken when a relative name was made absolute. */
				char *at = str;
				str += strlen(strcpy(str, "LD_PRELOAD="));
				size_t len = absolute_lib(list, str);
				if (len) {
					out[n++] = at;
					str += len + 1;
					continue;
				}
				str = at;
			}
			if (!reach && lists_lib(list)) {
				out[n++] = str;
				str += strlen(strcpy(str, "LD_PRELOAD="));
				str += strip_lib(list, str) + 1;
				continue;
			}
		}
		out[n++] = (char *)e;
	}
	if (span_id && !keep) {
		out[n++] = str;
		str += sprintf(str, "TRACEPARENT=%s", parent) + 1;
	}
	/* The same span id again, for traceshim only: the child may draw the
	 * arrow from it, as it is in this trace (TRACEPARENT alone may come
	 * from any other tracer). */
	if (span_id && !keep) {
		out[n++] = str;
		str += sprintf(str, "TRACESHIM_PARENT_SPAN=%.16s", parent + 36) + 1;
	}
	if (span_id && !keep && ts_ctx.tracestate[0]) {
		out[n++] = str;
		str += sprintf(str, "TRACESTATE=%s", ts_ctx.tracestate) + 1;
	}
	if (mark) {
		out[n++] = str;
		str += sprintf(str, TS_REPORTED_VAR "=%s", reported) + 1;
	}
	if (reach && !have_preload) {
		out[n++] = str;
		str += sprintf(str, "LD_PRELOAD=%s", preload) + 1;
	}
	for (int i = 0; follow && settings[i]; i++)
		if (!in_env(envp, settings[i]))
			out[n++] = (char *)settings[i];
	out[n] = NULL;
	return out;
}
