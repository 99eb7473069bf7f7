/* The OTLP module's sender (libtraceshim-otlp-send.so): libcurl, and with it
 * TLS and some thirty libraries, kept out of libtraceshim-otlp.so. The agent
 * loads the OTLP module before it forks its workers, and a worker only
 * encodes its requests and hands them to the agent's relay (relay.h): were
 * libcurl in the OTLP module, every worker would map it, and each fork and
 * exit would pay for it. The sender is opened, next to the OTLP module, only
 * by a process that posts: the relay, and a process that exports without
 * one (no agent, or a worker whose agent could start no relay).
 *
 * Both modules are built from the same sources; the table below is checked
 * at load. Bump TS_OTLP_SEND_ABI whenever it, struct ts_otel_env or the
 * relay's messages (relay.h) change: the relay in the sender reads what
 * workers of the OTLP module write. */
#ifndef TS_OTLP_SENDER_H
#define TS_OTLP_SENDER_H

#include "otel_env.h"
#include "send.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_OTLP_SEND_ABI 1
#define TS_OTLP_SEND_MODULE_NAME "libtraceshim-otlp-send.so"
#define TS_OTLP_SEND_ENTRY "ts_otlp_send_module"

struct ts_otlp_send_ops {
	unsigned abi;
	size_t env_size;   /* sizeof(struct ts_otel_env) as the sender was built */
	/* libcurl's global set-up, once, before any sender is made; false when
	 * it failed. The sender's diagnostics go out at log_level. */
	bool (*init)(int log_level);
	/* send.h, on the exporter thread. */
	struct ts_otlp_sender *(*sender_new)(const struct ts_otel_env *env,
					     const struct ts_send_hooks *hooks);
	enum ts_send_result (*send)(struct ts_otlp_sender *s, const uint8_t *body, size_t len,
				    uint64_t deadline_ms, struct ts_send_stats *st);
	/* The agent's relay process (relay.h); its exit code. */
	int (*relay)(int ctl_fd, int log_level);
};

typedef const struct ts_otlp_send_ops *(*ts_otlp_send_entry_fn)(void);

/* OTLP module side (sender_load.c): the sender next to this module, opened
 * once; NULL when it cannot be, why saying why. */
const struct ts_otlp_send_ops *ts_sender_load(char *why, size_t why_cap);

#endif
