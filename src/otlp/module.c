/* The OTLP module (libtraceshim-otlp.so): the shim's drainer hands it spans
 * track by track; it completes begun spans when they end, fills batches of
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans and queues them for the exporter
 * thread when full, when OTEL_BSP_SCHEDULE_DELAY has passed, or at exit.
 * Everything here runs on the drainer thread except after_fork. */
#include "module.h"

#include "assemble.h"
#include "clock.h"
#include "log.h"
#include "batch.h"
#include "exporter.h"
#include "relay.h"
#include "send.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>

#define TS_MODULE_ENTRY __attribute__((visibility("default")))

static const struct ts_core_api *core;
static struct ts_batch *filling;     /* spans not yet queued */
static uint64_t filling_since_ms;
static uint64_t lost;                /* spans that found no memory */

/* OpenSSL cleans itself up in an atexit handler, which runs before the
 * shim's exit flush: ask it not to, when libcurl uses it. */
static void keep_tls_until_exit(void)
{
	void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
	if (!crypto)
		return;
	int (*init)(uint64_t, const void *) = (int (*)(uint64_t, const void *))dlsym(
		crypto, "OPENSSL_init_crypto");
	if (init)
		init(0x00080000L /* OPENSSL_INIT_NO_ATEXIT */, NULL);
	dlclose(crypto);
}

static bool module_open(const struct ts_core_api *c)
{
	core = c;
	ts_log_level = c->log_level;
	/* An agent's worker hands its requests to the agent's relay: it never
	 * calls libcurl. */
	if (c->relay_fd < 0) {
		keep_tls_until_exit();
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return false;
	}
	ts_exporter_init(c);
	return true;
}

static void queue_filling(bool at_exit)
{
	if (filling && filling->n)
		ts_exporter_push(filling, at_exit);
	else
		ts_batch_free(filling);
	filling = NULL;
}

static void add(const struct ts_span *s)
{
	if (!filling) {
		filling = ts_batch_new(core->otel->max_batch);
		filling_since_ms = ts_clock_monotonic_ms();
	}
	if (!filling || !ts_batch_add(filling, s, core->unix_offset_ns())) {
		lost++;
		return;
	}
	if (filling->n == filling->cap)
		queue_filling(false);
}

/* The process span, at its end, says what the OTLP side lost. */
static void add_process_span(struct ts_span *s)
{
	uint64_t dropped = ts_exporter_dropped() + lost;
	if (dropped)
		ts_span_int(s, "traceshim.otlp.dropped_spans", (int64_t)dropped);
	uint64_t failed = ts_exporter_failed();
	if (failed)
		ts_span_int(s, "traceshim.otlp.failed_spans", (int64_t)failed);
	add(s);
}

static void module_span(void **state, const struct ts_track *track, enum ts_span_event ev,
			const struct ts_span *s)
{
	if (ev == TS_SPAN_COMPLETE) {
		add(s);
		return;
	}
	struct ts_assembler *a = *state;
	if (!a && !(a = *state = calloc(1, sizeof *a))) {
		if (ev == TS_SPAN_BEGIN)
			lost++;   /* its end will find nothing open */
		return;
	}
	struct ts_span whole;
	if (ev == TS_SPAN_BEGIN) {
		if (!ts_assemble_begin(a, s))
			lost++;
	} else if (ts_assemble_end(a, s, &whole)) {
		if (track->tid == 0 && ts_assemble_open(a) == 0)
			add_process_span(&whole);
		else
			add(&whole);
	}
}

static void module_forget(void **state)
{
	struct ts_assembler *a = *state;
	if (a) {
		ts_assemble_free(a);
		free(a);
	}
	*state = NULL;
}

static void module_cycle_end(bool final)
{
	if (filling &&
	    (final || ts_clock_monotonic_ms() - filling_since_ms >= core->otel->schedule_delay_ms))
		queue_filling(final);
}

static void module_finish(uint64_t deadline_ms)
{
	queue_filling(true);
	ts_exporter_drain(deadline_ms);
}

static void module_after_fork(void)
{
	filling = NULL;   /* the parent's spans: left behind */
	lost = 0;
	ts_exporter_after_fork();
}

static const struct ts_otlp_ops ops = {
	.abi = TS_OTLP_ABI,
	.open = module_open,
	.span = module_span,
	.forget = module_forget,
	.cycle_end = module_cycle_end,
	.finish = module_finish,
	.after_fork = module_after_fork,
	.relay = ts_relay_main,
};

TS_MODULE_ENTRY const struct ts_otlp_ops *ts_otlp_module(void)
{
	return &ops;
}
