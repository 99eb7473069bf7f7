/* Opens the sender module (see sender.h) from the directory this module was
 * loaded from, as the shim finds this module next to itself. Called by the
 * thread that opens the OTLP module (the drainer, or the relay process's
 * main thread), once per process; a failure is told to the caller, whose
 * diagnostics reach the program (this module's own stderr may not). */
#include "sender.h"

#include "module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static bool tried;
static const struct ts_otlp_send_ops *loaded;
static char failure[320];

/* This module's directory + TS_OTLP_SEND_MODULE_NAME. */
static bool sender_path(char *out, size_t cap)
{
	Dl_info info;
	if (!dladdr((const void *)sender_path, &info) || !info.dli_fname)
		return false;
	const char *slash = strrchr(info.dli_fname, '/');
	int dir = slash ? (int)(slash - info.dli_fname) : 1;
	const char *base = slash ? info.dli_fname : ".";
	return (size_t)snprintf(out, cap, "%.*s/%s", dir, base, TS_OTLP_SEND_MODULE_NAME) < cap;
}

static const struct ts_otlp_send_ops *load(void)
{
	char path[PATH_MAX];
	if (!sender_path(path, sizeof path)) {
		snprintf(failure, sizeof failure, "cannot locate %s", TS_OTLP_SEND_MODULE_NAME);
		return NULL;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failure, sizeof failure, "%s", dlerror());
		return NULL;
	}
	ts_otlp_send_entry_fn entry = (ts_otlp_send_entry_fn)dlsym(h, TS_OTLP_SEND_ENTRY);
	const struct ts_otlp_send_ops *ops = entry ? entry() : NULL;
	if (!ops || ops->abi != TS_OTLP_SEND_ABI || ops->env_size != sizeof(struct ts_otel_env)) {
		snprintf(failure, sizeof failure, "%.200s does not match %s", path,
			 TS_OTLP_MODULE_NAME);
		dlclose(h);
		return NULL;
	}
	return ops;
}

const struct ts_otlp_send_ops *ts_sender_load(char *why, size_t why_cap)
{
	if (!tried) {
		tried = true;
		loaded = load();
	}
	if (!loaded && why_cap)
		snprintf(why, why_cap, "%s", failure);
	return loaded;
}
