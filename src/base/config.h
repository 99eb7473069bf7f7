/* Settings read once from the environment (TRACESHIM_* and OTEL_*). */
#ifndef TS_CONFIG_H
#define TS_CONFIG_H

#include "otel_env.h"
#include "parse.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Roll-ups as one exporter has them (src/export/rollup.h): a leaf call
 * that succeeded in less than min_us is counted on its parent span instead
 * of being a span of its own; beyond max_per_s leaf spans a second, every
 * further leaf is (0: no bound). */
struct ts_rollup_cfg {
	bool on;                    /* TRACESHIM_ROLLUP */
	unsigned min_us;            /* TRACESHIM_ROLLUP_MIN_US */
	unsigned max_per_s;         /* TRACESHIM_MAX_SPANS_PER_S */
};

/* TRACESHIM_DEFER: when an agent's worker may let records wait before
 * converting them (agent/defer.h). */
enum { TS_DEFER_OFF, TS_DEFER_AUTO, TS_DEFER_ALWAYS };

struct ts_config {
	bool disabled;              /* OTEL_SDK_DISABLED=true or TRACESHIM_DISABLE=1 */
	bool compress;              /* zlib-compressed packet batches */
	bool cmdline;               /* record the command line (may hold secrets) */
	bool sql_raw;               /* SQL text as written, literals included (may hold secrets) */
	bool force_clock_gettime;   /* TRACESHIM_CLOCK=boottime */
	bool clock_tsc;             /* TRACESHIM_CLOCK=tsc: the TSC, unchecked */
	bool follow;                /* trace child processes (TRACESHIM_FOLLOW) */
	bool summary;               /* TRACESHIM_SUMMARY: the run's summary on stderr */
	unsigned pool_chunks;       /* the process's record memory, in 4 KiB chunks */
	unsigned flush_ms;          /* longest pause between two drains */
	unsigned exit_timeout_ms;   /* bound on the flush at exit */
	unsigned wait_min_us;       /* TRACESHIM_WAIT_MIN_US: shorter blocking waits make no span */
	unsigned cpu_sample_ms;     /* TRACESHIM_CPU_SAMPLE_MS: threads' CPU read this often (0: never) */
	unsigned cpu_span_min_us;   /* TRACESHIM_CPU_SPAN_MIN_US: shorter spans get no CPU time */
	bool agent;                 /* TRACESHIM_AGENT: an agent consumes the rings (auto) */
	bool http_query_raw;        /* TRACESHIM_HTTP_QUERY=raw: query values kept in url.* */
	bool http_inject;           /* TRACESHIM_HTTP_INJECT: traceparent added to requests */
	bool on_full_block;         /* TRACESHIM_ON_FULL=block: wait for room in a full ring */
	uint8_t defer;              /* TRACESHIM_DEFER: TS_DEFER_* */
	unsigned defer_mb;          /* TRACESHIM_DEFER_MB: records that may wait, in MiB */
	bool perfetto;              /* write the Perfetto file */
	bool otlp;                  /* export over OTLP/HTTP (an endpoint is set, trace sampled) */
	struct ts_rollup_cfg rollup_perfetto, rollup_otlp;
	char output[PATH_MAX];      /* absolute path of the .pftrace file */
	unsigned start_euid;        /* the effective uid when the settings were read */
};

extern struct ts_config ts_cfg;
/* The OTEL_* exporter and sampler settings, read when an endpoint is set. */
extern struct ts_otel_env ts_otel;

/* Reads the environment; called once, before any span is recorded. */
void ts_config_load(void);

/* The program's short name (argv[0] without directories). */
const char *ts_program_name(void);
/* ...as a worker knows it for the process whose records it reads. */
void ts_program_name_set(const char *name);

/* getenv() that also works before libc has set environ. */
const char *ts_env(const char *name);

#endif
