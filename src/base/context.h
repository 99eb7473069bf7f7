/* Where this process sits in a trace: the W3C trace context it was started
 * with (TRACEPARENT/TRACESTATE in the environment, set by a traced parent or
 * by anything else that speaks the OpenTelemetry environment carrier). */
#ifndef TS_CONTEXT_H
#define TS_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#define TS_TRACESTATE_MAX 512
#define TS_TRACESTATE_MEMBERS 32

struct ts_incoming_ctx {
	uint64_t parent_span;        /* the span that started this process; 0: a root */
	bool parent_traced;          /* ...and it is in this trace (draw the arrow) */
	int parent_sampled;          /* -1 no parent, else its sampled flag */
	char tracestate[TS_TRACESTATE_MAX + 1];
	/* TRACEPARENT as this process was started with it ("": none): a
	 * child's that differs was set by the program itself (childenv.c). */
	char started_with[64];
};

extern struct ts_incoming_ctx ts_ctx;

/* This process belongs to a traced tree whose files (path: the trace file,
 * or the run directory) are another user's: a traced program started it
 * with other credentials (it dropped privileges, or this one is set-uid),
 * or it dropped them itself since the settings were read (a fork after
 * setuid), or path (or, missing or out of reach, its directory) is not its
 * user's while a parent span says it is of a tree. Not reaching them is no
 * mistake of the user's to put on the program's stderr. */
bool ts_tree_of_another_user(const char *path);

/* Parses a W3C traceparent header value. False when it is malformed:
 * wrong length or separators, upper-case or non-hex digits, version ff, or
 * an all-zero trace or span id. */
bool ts_traceparent_parse(const char *s, uint8_t trace_id[16], uint64_t *span_id, uint8_t *flags);

/* True when s is a tracestate value worth passing on: valid by the W3C
 * trace-context rules (comma-separated key=value list-members with their
 * key and value grammar, at most 32 of them, keys unique, empty members and
 * spaces or tabs around members allowed), at most 512 characters, and at
 * least one member. */
bool ts_tracestate_valid(const char *s);

/* Reads TRACEPARENT and TRACESTATE: a valid one makes its trace id this
 * process's (ts_ids must be initialised) and its span the process span's
 * parent; a malformed one is reported once and ignored. */
void ts_context_init(void);

/* Child after fork: the forking span is the new process's parent. */
void ts_context_after_fork(uint64_t fork_span);

#endif
