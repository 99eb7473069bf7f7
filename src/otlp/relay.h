/* The agent's OTLP relay: one process of the agent that posts the requests
 * of all its workers, one keep-alive connection per endpoint for the whole
 * run, instead of one connection (and one bound at exit) per worker.
 *
 * A worker talks to it over a stream socket of its own (the agent made the
 * pair and passed the relay's end on): a HELLO with the worker's OTLP
 * settings, then DATA messages, each an encoded ExportTraceServiceRequest,
 * and at the end a FIN. The relay answers each DATA, in order, with a reply.
 * The worker's socket is its own, so messages of two workers never mix.
 * Both ends are forks of the same agent: the worker with the OTLP module,
 * the relay with it and its sender (sender.h), built together and checked
 * alike at load, so the settings travel as the struct itself. */
#ifndef TS_OTLP_RELAY_H
#define TS_OTLP_RELAY_H

#include "otel_env.h"
#include "send.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_relay_type {
	TS_RELAY_HELLO = 1,   /* body: struct ts_relay_hello */
	TS_RELAY_DATA = 2,    /* body: one request of nspans spans */
	TS_RELAY_FIN = 3,     /* no body: what is still queued is given up at deadline_ms */
};

struct ts_relay_msg {
	uint32_t type, nspans;
	uint64_t deadline_ms;   /* CLOCK_MONOTONIC: given up then */
	uint64_t len;           /* of the body that follows */
};

struct ts_relay_hello {
	int32_t log_level;      /* the worker's TRACESHIM_LOG: the relay logs at the highest */
	uint32_t reserved;
	struct ts_otel_env env;
};

/* The answer to the seq-th DATA of a connection (from 1). */
struct ts_relay_reply {
	uint32_t seq;
	uint32_t failed;        /* spans not delivered (0: all were) */
	int32_t last_status;    /* HTTP status of the last attempt, 0: no response */
	uint32_t attempts;
};

/* A body is at most this long (what traceshim collect takes, too). */
#define TS_RELAY_BODY_MAX (64u << 20)

/* Worker side. */
bool ts_relay_hello(int fd, const struct ts_otel_env *env, int log_level);
enum ts_relay_outcome {
	TS_RELAY_SENT,       /* delivered (waited for) */
	TS_RELAY_HANDED,     /* handed over, not waited for: the relay sends it */
	TS_RELAY_FAILED,     /* not delivered, or the relay is gone */
};
/* Hands the request over and, unless *stop_waiting is non-zero (the worker
 * is ending), waits for its outcome until deadline_ms + a grace. */
enum ts_relay_outcome ts_relay_post(int fd, const uint8_t *body, size_t len, uint32_t nspans,
				    uint64_t deadline_ms, const _Atomic uint64_t *stop_waiting,
				    struct ts_send_stats *st);
void ts_relay_fin(int fd, uint64_t deadline_ms);

/* The relay process's loop (relay.c). */
int ts_relay_main(int ctl_fd, int log_level);

#endif
