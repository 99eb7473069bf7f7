/* The interface between the shim and its OTLP module (libtraceshim-otlp.so),
 * which the drainer opens only when OTLP export is configured: the Perfetto
 * default never loads libcurl, TLS or protobuf-c. The shim hands the module
 * what it needs of the core as a table of values and functions, and the
 * module answers with its own table. The module encodes; what posts
 * (libcurl, TLS) is its sender module, which it opens only in a process that
 * posts (src/otlp/sender.h), so an agent's workers never map libcurl. */
#ifndef TS_OTLP_MODULE_H
#define TS_OTLP_MODULE_H

#include "otel_env.h"
#include "span.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_OTLP_ABI 7
#define TS_OTLP_MODULE_NAME "libtraceshim-otlp.so"
#define TS_OTLP_ENTRY "ts_otlp_module"

struct ts_core_api {
	unsigned abi;
	int log_level;
	const struct ts_otel_env *otel;   /* endpoint, headers, timeouts, batching */
	const uint8_t *trace_id;          /* 16 bytes; rewritten in place in a forked child */
	bool cmdline;                     /* the command line may be exported (opt-in) */
	const char *(*getenv)(const char *name);
	const char *(*program_name)(void);
	/* CLOCK_REALTIME minus CLOCK_BOOTTIME now, in ns: span times are BOOTTIME. */
	int64_t (*unix_offset_ns)(void);
	uint64_t (*process_start_ns)(void);   /* BOOTTIME */
	/* The traced process (procinfo.h). */
	pid_t (*pid)(void);
	pid_t (*ppid)(void);
	const char *(*exe)(void);
	const char *(*args)(size_t *len);
	/* Threads of the module: made without the pthread_create wrapper, they
	 * call mute() first so nothing they do is traced. */
	int (*thread_create)(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
	void (*mute)(void);
	/* An agent's worker: its connection to the agent's OTLP relay, which
	 * posts the requests (relay.h); -1 when the module posts them itself. */
	int relay_fd;
};

struct ts_otlp_ops {
	unsigned abi;
	/* False when the module cannot export; then why says why (or is
	 * empty). */
	bool (*open)(const struct ts_core_api *core, char *why, size_t why_cap);
	/* Spans of a track as the Perfetto encoder sees them; *state is the
	 * module's per-track slot (NULL at first). */
	void (*span)(void **state, const struct ts_track *track, enum ts_span_event ev,
		     const struct ts_span *s);
	void (*forget)(void **state);
	/* End of a drain cycle: spans waiting long enough are queued for export. */
	void (*cycle_end)(bool final);
	/* Exit: waits until the queue is sent or deadline_ms (CLOCK_MONOTONIC)
	 * passes; returns how many spans were not sent meanwhile (failed, or
	 * still waiting then). */
	size_t (*finish)(uint64_t deadline_ms);
	/* In the child after fork: forgets the parent's queue and connection. */
	void (*after_fork)(void);
	/* The agent's OTLP relay process (relay.h): serves the connections the
	 * agent passes on ctl_fd until the agent is done and they are; returns
	 * the process's exit code: 0, TS_RELAY_NO_SENDER when it cannot post,
	 * TS_RELAY_UNDELIVERED when spans were lost. */
	int (*relay)(int ctl_fd, int log_level);
};

/* The agent's control socket to its relay (SOCK_SEQPACKET). Agent to relay:
 * TS_RELAY_CONN with one descriptor attached (SCM_RIGHTS), a worker's
 * connection; or TS_RELAY_END and a uint64_t: the agent is ending, what is
 * queued now is given up at that CLOCK_MONOTONIC ms. Relay to agent: a
 * uint32_t, how many connections it has received, each time it has none left
 * open and nothing left to send. */
#define TS_RELAY_CONN 'c'
#define TS_RELAY_END 'e'
/* The relay's exit code when it cannot load the sender: the agent starts no
 * other, and its later workers post themselves (and say why they cannot). */
#define TS_RELAY_NO_SENDER 3
/* Its exit code when some spans it was given were not delivered (refused,
 * no answer in time, given up at the end). */
#define TS_RELAY_UNDELIVERED 4

typedef const struct ts_otlp_ops *(*ts_otlp_entry_fn)(void);

#endif
