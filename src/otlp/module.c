/* The OTLP module (libtraceshim-otlp.so): the shim's drainer hands it spans
 * track by track; it completes begun spans when they end, fills batches of
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans and queues them for the exporter
 * thread when full, when OTEL_BSP_SCHEDULE_DELAY has passed, or at exit.
 * Everything here runs on the drainer thread except after_fork. It encodes
 * and hands over; what posts (libcurl) is the sender module (sender.h). */
#include "module.h"

#include "assemble.h"
#include "clock.h"
#include "log.h"
#include "batch.h"
#include "exporter.h"
#include "sender.h"

#include <stdio.h>
#include <stdlib.h>

#define TS_MODULE_ENTRY __attribute__((visibility("default")))

static const struct ts_core_api *core;
static struct ts_batch *filling;     /* spans not yet queued */
static uint64_t filling_since_ms;
static uint64_t lost;                /* spans that found no memory */

static bool module_open(const struct ts_core_api *c, char *why, size_t why_cap)
{
	core = c;
	ts_log_level = c->log_level;
	/* An agent's worker hands its requests to the agent's relay: it never
	 * loads the sender (nor libcurl). */
	const struct ts_otlp_send_ops *send = NULL;
	if (c->relay_fd < 0) {
		if (!(send = ts_sender_load(why, why_cap)))
			return false;
		if (!send->init(c->log_level)) {
			snprintf(why, why_cap, "libcurl could not be initialised");
			return false;
		}
	}
	ts_exporter_init(c, send);
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

static size_t module_finish(uint64_t deadline_ms)
{
	uint64_t failed = ts_exporter_failed();
	queue_filling(true);
	size_t left = ts_exporter_drain(deadline_ms);
	return left + (size_t)(ts_exporter_failed() - failed);
}

static void module_after_fork(void)
{
	filling = NULL;   /* the parent's spans: left behind */
	lost = 0;
	ts_exporter_after_fork();
}

/* The agent's relay process: the sender is loaded there, not in the agent
 * whose workers fork with this module. */
static int module_relay(int ctl_fd, int log_level)
{
	ts_log_level = log_level;
	char why[320];
	const struct ts_otlp_send_ops *send = ts_sender_load(why, sizeof why);
	if (!send) {
		ts_warn_config("the OTLP relay cannot start: %s", why);
		return TS_RELAY_NO_SENDER;
	}
	return send->relay(ctl_fd, log_level);
}

static const struct ts_otlp_ops ops = {
	.abi = TS_OTLP_ABI,
	.open = module_open,
	.span = module_span,
	.forget = module_forget,
	.cycle_end = module_cycle_end,
	.finish = module_finish,
	.after_fork = module_after_fork,
	.relay = module_relay,
};

TS_MODULE_ENTRY const struct ts_otlp_ops *ts_otlp_module(void)
{
	return &ops;
}
