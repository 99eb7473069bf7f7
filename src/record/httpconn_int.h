/* What the parts of the HTTP/1 spans share: a connection's slot (its sniffer
 * and the spans it has open), the making of spans from the sniffer's events
 * (httpspan.c), and the traceparent the shim adds to requests
 * (httpinject.c). Not part of the interface (httpconn.h). */
#ifndef TS_HTTPCONN_INT_H
#define TS_HTTPCONN_INT_H

#include "http1.h"
#include "httpconn.h"

/* The longest traceparent and tracestate lines the shim adds. */
#define TS_HTTP_INJECT_MAX (sizeof "traceparent: 00-" + 32 + 1 + 16 + 1 + 2 + 2 + \
			    sizeof "tracestate: " + 256 + 2)
/* A TLS session's request head, the line added, is sent in one plaintext call
 * from the slot's own buffer (its address must not change when the program
 * calls again after a failure): heads longer than this go unchanged. */
#define TS_HTTP_JOIN_MAX 4096
/* The duplicates of a connection's descriptor a slot keeps (dup, or an
 * inetd-style server's stdin, stdout and stderr): closing the original hands
 * the connection to one of them. A duplicate beyond these is followed on its
 * own. */
#define TS_HTTP_DUPS 4

struct slot {
	struct ts_http1_conn conn;
	bool tls;                            /* the plaintext of a TLS session: https */
	uint8_t role;                        /* TS_HTTP1_CLIENT or _SERVER once known: the
					      * sniffer's state is OFF after a close */
	int fd;                              /* the descriptor and its state, for the */
	uint64_t state;                      /* peer's address (the agent's fd info) */
	uint32_t unread;                     /* bytes received that the program gave
					      * back (ungetc): read again, not new */
	uint8_t tail[8], tail_len;           /* the last bytes received, to tell */
	int32_t dup_fd[TS_HTTP_DUPS];        /* its duplicates, -1: none */
	uint32_t dup_gen[TS_HTTP_DUPS];      /* and their generations */
	uint64_t begin[2];                   /* ticks of the message begun in each direction */
	uint64_t handle[TS_HTTP1_PIPELINE];  /* open span of request seq % PIPELINE, 0: none */
	uint16_t status[TS_HTTP1_PIPELINE];  /* its final status, once known */
	/* The client span the next request will be (its traceparent went out
	 * with it, httpinject.c), or 0; and how the request was propagated. */
	uint64_t next_handle;
	uint8_t propagated;                  /* enum ts_http_propagated */
	/* A child the process forked while an exchange was open (0: none): it
	 * has the connection too, and may answer (the CGI pattern). */
	int32_t child;
	/* A traceparent line being added across calls (a partial write):
	 * pend says what the next bytes sent on the connection owe it. */
	uint8_t pend;                        /* enum ts_http_pend */
	uint16_t hdr_len, hdr_sent;
	uint32_t pend_at;                    /* PEND_AT: offset in the next bytes */
	char hdr[TS_HTTP_INJECT_MAX];
	char join[TS_HTTP_JOIN_MAX];         /* TLS: the head with the line */
};

enum ts_http_propagated { TS_PROP_NONE, TS_PROP_INJECTED, TS_PROP_PROGRAM, TS_PROP_NOT_INJECTED };
enum ts_http_pend {
	TS_PEND_NONE,
	TS_PEND_AT,     /* the line goes at pend_at in the next bytes sent */
	TS_PEND_REST,   /* hdr[hdr_sent..] goes before the next bytes sent */
};

/* The peer address kept for fd's generation gen by ts_http_peer: its
 * length, 0 when none (the address is copied to out, TS_HTTP_PEER_MAX bytes). */
#define TS_HTTP_PEER_MAX 28   /* a sockaddr_in6 */
unsigned ts_http_peer_of(int fd, uint32_t gen, uint8_t out[TS_HTTP_PEER_MAX]);

/* The slot of fd's layer for this generation (made on its first call), or
 * NULL: not HTTP, or no slot free. */
struct slot *ts_http_slot(int fd, uint64_t state, enum ts_http_layer layer);
/* Feeds done bytes of buf to the slot's sniffer and handles its events; the
 * slot is let go when the connection turns out not to be HTTP. */
void ts_http_feed(struct ts_thread *t, struct slot *s, int dir, const void *buf, size_t done,
		  uint64_t t0, uint64_t t1);
/* httpspan.c: one event of the slot's sniffer, in a call between t0 and t1. */
void ts_http_event(struct ts_thread *t, struct slot *s, const struct ts_http1_event *ev,
		   uint64_t t0, uint64_t t1);
/* httpspan.c: every span still open on the connection ends at `at`, failed
 * with error.type why. */
void ts_http_end_all(struct ts_thread *t, struct slot *s, uint64_t at, const char *why);
/* httpspan.c: the same, for a connection whose exchange a child the process
 * started took over (s->child): not as failed, with the child's pid. */
void ts_http_end_handed(struct ts_thread *t, struct slot *s, uint64_t at);

/* httpscope.c: which request the thread's work is for. The span a server
 * span is the child of (what the thread's work is under outside the
 * requests it serves); the server span `handle` begun (live: the slot's
 * handle of its request, zeroed when it ends), with its caller's
 * traceparent; its response sent on this thread. */
uint32_t ts_http_outside_requests(const struct ts_thread *t);
/* A forked child serves none of its parent's requests. */
void ts_http_scope_after_fork(void);
void ts_http_enter(struct ts_thread *t, uint64_t handle, const uint64_t *live, const char *traceparent);
void ts_http_leave(struct ts_thread *t, uint64_t handle);
/* The trace of the request current on thread t, as its caller said it: for
 * the traceparent of the calls it makes (httpinject.c). False when none. */
bool ts_http_current_trace(const struct ts_thread *t, uint8_t trace_id[16], uint8_t *flags);

#endif
