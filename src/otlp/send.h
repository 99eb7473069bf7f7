/* OTLP/HTTP sending with libcurl: one keep-alive connection, the configured
 * headers and compression, and the retry policy of retry.h, all bounded by a
 * deadline. Used from one thread only: the exporter's, started by the
 * background thread, whose descriptor table it shares (the connection's
 * sockets are never in the program's table), or the sender thread of the
 * agent's relay (relay.c). */
#ifndef TS_OTLP_SEND_H
#define TS_OTLP_SEND_H

#include "otel_env.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_otlp_sender;

enum ts_send_result {
	TS_SEND_OK = 0,        /* 2xx */
	TS_SEND_REJECTED = 1,  /* a final error status: not retried */
	TS_SEND_GAVE_UP = -1,  /* retryable failures until the deadline */
};

struct ts_send_stats {
	unsigned attempts;
	long last_status;      /* 0: no response */
	long rejected_spans;   /* from partial_success */
};

/* What the shim adds around libcurl (all optional). */
struct ts_send_hooks {
	/* Give up once CLOCK_MONOTONIC passes this many ms (0: no cutoff); read
	 * during transfers and retry pauses, so exit can cut a send short. */
	const _Atomic uint64_t *cutoff_ms;
};

struct ts_otlp_sender *ts_otlp_sender_new(const struct ts_otel_env *env,
					  const struct ts_send_hooks *hooks);
void ts_otlp_sender_free(struct ts_otlp_sender *s);

/* Sends one ExportTraceServiceRequest body; deadline_ms is on
 * CLOCK_MONOTONIC (milliseconds). */
enum ts_send_result ts_otlp_send(struct ts_otlp_sender *s, const uint8_t *body, size_t len,
				 uint64_t deadline_ms, struct ts_send_stats *st);

#endif
