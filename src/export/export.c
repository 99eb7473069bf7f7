/* The exporter fan-out (see export.h). The OTLP module is opened on the
 * drainer thread, by path next to this library, only when an OTLP endpoint
 * is configured. */
#include "export.h"

#include "procinfo.h"

#include "clock.h"
#include "config.h"
#include "ids.h"
#include "large.h"
#include "log.h"
#include "module.h"
#include "rawfs.h"
#include "resolve.h"
#include "summary.h"
#include "registry.h"
#include "perfetto.h"
#include "rollup.h"
#include "sink.h"
#include "snapshot.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Batches bigger than this are written in the middle of a cycle. */
#define BATCH_FLUSH_BYTES (1u << 20)

static const struct ts_otlp_ops *otlp;
/* Each exporter's roll-ups; NULL: every span goes out. */
static struct ts_rollup *rollup_pf, *rollup_otlp;
/* What an exporter gets of a span that calls were rolled up into. */
static struct ts_rolled rolled;

static uint64_t process_start_ns(void)
{
	return ts_clock_to_ns(ts_process_start_ticks);
}

/* What the module may use of the core; the settings are filled at load. */
static struct ts_core_api core_api = {
	.abi = TS_OTLP_ABI,
	.otel = &ts_otel,
	.trace_id = ts_ids.trace_id,
	.getenv = ts_env,
	.program_name = ts_program_name,
	.unix_offset_ns = ts_clock_unix_offset_ns,
	.process_start_ns = process_start_ns,
	.pid = ts_proc_pid,
	.ppid = ts_proc_ppid,
	.exe = ts_proc_exe,
	.args = ts_proc_args,
	.thread_create = ts_real_pthread_create,
	.mute = ts_thread_mute,
	.relay_fd = -1,
};

static TS_LARGE char module_dir[PATH_MAX];

void ts_export_set_module_dir(const char *dir)
{
	snprintf(module_dir, sizeof module_dir, "%s", dir);
}

/* The module's path: this library's directory (or the one set) +
 * TS_OTLP_MODULE_NAME. */
static bool module_path(char *out, size_t cap)
{
	if (module_dir[0])
		return (size_t)snprintf(out, cap, "%s/%s", module_dir, TS_OTLP_MODULE_NAME) < cap;
	Dl_info info;
	if (!dladdr((const void *)module_path, &info) || !info.dli_fname)
		return false;
	const char *slash = strrchr(info.dli_fname, '/');
	int dir = slash ? (int)(slash - info.dli_fname) : 1;
	const char *base = slash ? info.dli_fname : ".";
	return (size_t)snprintf(out, cap, "%.*s/%s", dir, base, TS_OTLP_MODULE_NAME) < cap;
}

/* The module where it is looked for, opened and checked; NULL when it
 * cannot be had, said (once a run, in the same words wherever it is found:
 * a traced process, the agent, its workers). */
const struct ts_otlp_ops *ts_export_otlp_module(void)
{
	char path[PATH_MAX];
	if (!module_path(path, sizeof path)) {
		ts_warn_config("OTLP export is off: cannot locate %s", TS_OTLP_MODULE_NAME);
		return NULL;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		ts_warn_config("OTLP export is off: %s", dlerror());
		return NULL;
	}
	ts_otlp_entry_fn entry = (ts_otlp_entry_fn)dlsym(h, TS_OTLP_ENTRY);
	const struct ts_otlp_ops *ops = entry ? entry() : NULL;
	if (!ops || ops->abi != TS_OTLP_ABI) {
		ts_warn_config("OTLP export is off: %s does not match this library", path);
		return NULL;
	}
	return ops;
}

bool ts_export_otlp_there(void)
{
	int saved = errno;
	char path[PATH_MAX];
	if (!module_path(path, sizeof path)) {
		ts_warn_config("OTLP export is off: cannot locate %s", TS_OTLP_MODULE_NAME);
		return false;
	}
	int err = ts_sys_access(path, R_OK) == 0 ? 0 : errno;
	errno = saved;
	/* Not there: in dlopen()'s words (glibc's), so that a consumer that
	 * tries it all the same stays quiet. */
	if (err)
		ts_warn_config("OTLP export is off: %s: cannot open shared object file: %s", path,
			       strerror(err));
	return !err;
}

static const struct ts_otlp_ops *load_otlp(void)
{
	const struct ts_otlp_ops *ops = ts_export_otlp_module();
	if (!ops)
		return NULL;
	core_api.log_level = ts_log_level;
	core_api.cmdline = ts_cfg.cmdline;
	char why[320] = "";
	if (!ops->open(&core_api, why, sizeof why)) {
		ts_warn_config("OTLP export is off: %s", why[0] ? why : "the exporter could not start");
		return NULL;
	}
	return ops;
}

void ts_export_set_relay(int fd)
{
	core_api.relay_fd = fd;
}

bool ts_export_open(void)
{
	if (ts_cfg.otlp && !otlp)
		otlp = load_otlp();
	if (ts_cfg.perfetto && !rollup_pf)
		rollup_pf = ts_rollup_new(&ts_cfg.rollup_perfetto);
	if (otlp && !rollup_otlp)
		rollup_otlp = ts_rollup_new(&ts_cfg.rollup_otlp);
	return ts_cfg.perfetto || otlp;
}

void ts_export_process(const struct ts_track *proc, uint64_t ts_ns, const char *cmdline,
		       size_t cmdline_len)
{
	if (ts_cfg.perfetto) {
		ts_pf_process_track(proc, ts_ns, cmdline, cmdline_len);
		ts_snapshot_owe(proc->sequence);   /* written with a batch, see snapshot.c */
	}
}

void ts_export_thread(const struct ts_track *proc, const struct ts_track *thread, uint64_t ts_ns)
{
	if (ts_cfg.perfetto)
		ts_pf_thread(proc, thread, ts_ns);
}

void ts_export_span(const struct ts_track *track, enum ts_span_event ev, const struct ts_span *s)
{
	const struct ts_span *out;
	if (ts_cfg.perfetto &&
	    (out = ts_rollup_span(rollup_pf, &track->sink_state[TS_STATE_ROLLUP_PERFETTO], track, ev,
				  s, &rolled))) {
		ts_pf_span(track, ev, out);
		if (ev != TS_SPAN_END)
			ts_sink_span_added();
	}
	if (otlp &&
	    (out = ts_rollup_span(rollup_otlp, &track->sink_state[TS_STATE_ROLLUP_OTLP], track, ev, s,
				  &rolled)))
		otlp->span(&track->sink_state[TS_STATE_OTLP], track, ev, out);
	if (ev == TS_SPAN_COMPLETE)
		ts_summary_span(s);   /* every call, rolled up or not */
}

void ts_export_announce(const struct ts_track *track, const struct ts_span *s)
{
	ts_rollup_announce(rollup_pf, &track->sink_state[TS_STATE_ROLLUP_PERFETTO], track, s);
	ts_rollup_announce(rollup_otlp, &track->sink_state[TS_STATE_ROLLUP_OTLP], track, s);
}

void ts_export_instant(const struct ts_track *track, uint64_t ts_ns, const char *name,
		       bool dyn_name, const struct ts_span *attrs, uint64_t flow_out)
{
	if (ts_cfg.perfetto)
		ts_pf_instant(track, ts_ns, name, dyn_name, attrs, flow_out);
}

void ts_export_counter_track(const struct ts_track *proc, const struct ts_track *thread,
			     uint64_t uuid, const char *name, uint64_t ts_ns)
{
	if (ts_cfg.perfetto)
		ts_pf_counter_track(proc, thread, uuid, name, ts_ns);
}

void ts_export_counter(const struct ts_track *thread, uint64_t uuid, uint64_t ts_ns, double value)
{
	if (ts_cfg.perfetto)
		ts_pf_counter(thread, uuid, ts_ns, value);
}

void ts_export_lane(const struct ts_track *proc, const struct ts_track *lane, uint64_t ts_ns)
{
	if (ts_cfg.perfetto)
		ts_pf_named_track(proc, lane, ts_ns);
}

void ts_export_forget(void **states)
{
	/* First: what the track held of roll-ups goes to the process span. */
	ts_rollup_forget(rollup_pf, &states[TS_STATE_ROLLUP_PERFETTO]);
	ts_rollup_forget(rollup_otlp, &states[TS_STATE_ROLLUP_OTLP]);
	ts_pf_forget(&states[TS_STATE_PERFETTO]);
	if (otlp)
		otlp->forget(&states[TS_STATE_OTLP]);
}

void ts_export_maybe_flush(void)
{
	if (ts_cfg.perfetto && ts_pf_batch()->len > BATCH_FLUSH_BYTES)
		ts_sink_write(ts_pf_batch());
}

void ts_export_flush(bool final)
{
	if (ts_cfg.perfetto) {
		if (final)
			ts_pf_flows_close();   /* arrows whose start was never written */
		ts_sink_write(ts_pf_batch());
	}
	if (otlp)
		otlp->cycle_end(final);
}

size_t ts_export_finish(uint64_t deadline_ms)
{
	return otlp ? otlp->finish(deadline_ms) : 0;
}

void ts_export_after_fork(void)
{
	ts_pf_after_fork();
	ts_sink_after_fork();
	ts_rollup_after_fork(rollup_pf);
	ts_rollup_after_fork(rollup_otlp);
	if (otlp)
		otlp->after_fork();
}

bool ts_export_otlp_loaded(void)
{
	return otlp != NULL;
}

void ts_export_reset(void)
{
	pb_clear(ts_pf_batch());
	ts_sink_reset();
	/* The next process has settings of its own. */
	ts_rollup_free(rollup_pf);
	ts_rollup_free(rollup_otlp);
	rollup_pf = rollup_otlp = NULL;
	core_api.relay_fd = -1;
}
