/* An incremental HTTP/1.0 and 1.1 sniffer for the bytes of one connection, as
 * the program sends and receives them, to turn its exchanges into CLIENT or
 * SERVER spans. It runs in the program's threads, inside the socket wrappers:
 * no allocation, no lock, no system call, no stdio, one fixed struct per
 * connection, bounded work per byte. Any input is safe: the worst it does is
 * stop tracking the connection.
 *
 * The caller keeps one struct ts_http1_conn per connection, feeds it the bytes
 * that really went over it (what a call did, not what it asked), in the order
 * they went, and gets events: where a message began and ended, and the
 * fields of its head. The events do not depend on how the bytes were split
 * into calls, except for the offsets (`at`, `head_end`) and
 * TS_HTTP1_F_WHOLE_HEAD, which say where in this call's buffer things are.
 *
 * A connection is HTTP/1 when the first bytes of one direction start a
 * request line ("TOKEN SP target SP HTTP/1.x CRLF"): the program is the
 * client when it sent them, the server when it received them. Anything else
 * (TLS, Redis, SSH, binary) makes it off as soon as a byte shows it, with no
 * event. The caller's fast path for such sockets is ts_http1_is_off().
 *
 * A conn is used by one call at a time (the caller serializes the calls on
 * one connection); different conns are independent. */
#ifndef TS_HTTP1_H
#define TS_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of what a request head's fields keep (bytes, not counting the NUL);
 * a longer value is cut and flagged (TS_HTTP1_F_*_CUT). */
#define TS_HTTP1_METHOD_MAX 20        /* a longer method is not HTTP: the connection is off */
#define TS_HTTP1_PATH_MAX 512
#define TS_HTTP1_QUERY_MAX 256
#define TS_HTTP1_HOST_MAX 128
#define TS_HTTP1_USER_AGENT_MAX 128
#define TS_HTTP1_TRACEPARENT_MAX 64   /* version 00 is 55 */
#define TS_HTTP1_TRACESTATE_MAX 256   /* cut at a list-member boundary (W3C) */
/* A message head (start line and header lines), a chunk-size line, or a
 * chunked body's trailers longer than this stop the tracking. */
#define TS_HTTP1_HEAD_MAX 16384
/* Requests that may wait for their response (pipelining); one more stops. */
#define TS_HTTP1_PIPELINE 8
/* The room a call needs for events (max_ev): no byte makes more. */
#define TS_HTTP1_MIN_EV 3
/* An offset that is not in this call's buffer (it was in an earlier call). */
#define TS_HTTP1_NOT_HERE SIZE_MAX

/* ts_http1_init flags: keep query values (by default each is "REDACTED"). */
#define TS_HTTP1_QUERY_RAW 1u

enum ts_http1_dir {
	TS_HTTP1_OUT = 0,   /* bytes the program sent */
	TS_HTTP1_IN = 1,    /* bytes the program received */
};

/* ts_http1_conn.state: the first byte of the struct. */
enum ts_http1_state {
	TS_HTTP1_DETECT = 0,   /* no decision yet */
	TS_HTTP1_CLIENT,       /* the program sends the requests */
	TS_HTTP1_SERVER,       /* the program receives them */
	TS_HTTP1_OFF,          /* not HTTP/1, or tracking stopped: feed ignores bytes */
};

enum ts_http1_kind {
	TS_HTTP1_BEGIN = 1,      /* a message's first byte: `at` is its offset */
	TS_HTTP1_REQUEST_HEAD,   /* a request's head is complete: `req` has its fields */
	TS_HTTP1_RESPONSE_HEAD,  /* a response's head is complete: `status` */
	TS_HTTP1_END,            /* the message is complete (body included) */
	TS_HTTP1_ABANDONED,      /* ts_http1_close: the message was cut short */
	TS_HTTP1_STOPPED,        /* tracking stops (`stop` says why); the connection is off */
};

/* http.request.method: the RFC 9110 methods, or OTHER (the text is in
 * ts_http1_request.method, http.request.method_original). */
enum ts_http1_method {
	TS_HTTP1_METHOD_OTHER = 0,
	TS_HTTP1_GET, TS_HTTP1_HEAD, TS_HTTP1_POST, TS_HTTP1_PUT, TS_HTTP1_DELETE,
	TS_HTTP1_CONNECT, TS_HTTP1_OPTIONS, TS_HTTP1_TRACE, TS_HTTP1_PATCH,
};

/* Why a STOPPED event stopped the tracking. */
enum ts_http1_stop {
	TS_HTTP1_STOP_UPGRADE = 1,        /* 101 Switching Protocols: no longer HTTP/1 */
	TS_HTTP1_STOP_TUNNEL,             /* a 2xx response to CONNECT: a tunnel */
	TS_HTTP1_STOP_MALFORMED,          /* a start line, or a request's Transfer-Encoding */
	TS_HTTP1_STOP_HEAD_TOO_LARGE,     /* over TS_HTTP1_HEAD_MAX */
	TS_HTTP1_STOP_BAD_LENGTH,         /* Content-Length: not digits, too large, conflicting */
	TS_HTTP1_STOP_BAD_CHUNK,          /* a chunked body's framing */
	TS_HTTP1_STOP_PIPELINE_FULL,      /* more than TS_HTTP1_PIPELINE requests unanswered */
	TS_HTTP1_STOP_NO_REQUEST,         /* a response with no request to answer */
	TS_HTTP1_STOP_AFTER_UPGRADE,      /* bytes sent after CONNECT or Upgrade, before the answer */
	TS_HTTP1_STOP_UNSEEN,             /* bytes not shown (ts_http1_skip) where they had to be read */
};

/* Event flags: what the message's head said, and where its fields were cut. */
#define TS_HTTP1_F_LENGTH 0x1u           /* Content-Length (in `length`) frames the body */
#define TS_HTTP1_F_CHUNKED 0x2u          /* Transfer-Encoding: chunked (wins over a length) */
#define TS_HTTP1_F_CLOSE 0x4u            /* Connection: close */
#define TS_HTTP1_F_KEEP_ALIVE 0x8u       /* Connection: keep-alive */
#define TS_HTTP1_F_UPGRADE 0x10u         /* a request with an Upgrade header */
#define TS_HTTP1_F_INTERIM 0x20u         /* a 1xx response other than 101: the exchange goes on */
#define TS_HTTP1_F_BY_CLOSE 0x40u        /* END: the body ended with the connection */
#define TS_HTTP1_F_WHOLE_HEAD 0x80u      /* a head event: the head's first byte was in this call */
#define TS_HTTP1_F_QUERY 0x100u          /* the target has a '?' (an empty query too) */
#define TS_HTTP1_F_HOST 0x200u           /* these headers were present */
#define TS_HTTP1_F_USER_AGENT 0x400u
#define TS_HTTP1_F_TRACEPARENT 0x800u
#define TS_HTTP1_F_TRACESTATE 0x1000u
/* REQUEST_HEAD: the head went past TS_HTTP1_HEAD_MAX, and a STOPPED follows;
 * the fields are what was read (no version yet, maybe), `at` where it stopped. */
#define TS_HTTP1_F_HEAD_CUT 0x2000u
#define TS_HTTP1_F_PATH_CUT 0x10000u     /* a field was longer than its limit */
#define TS_HTTP1_F_QUERY_CUT 0x20000u
#define TS_HTTP1_F_HOST_CUT 0x40000u
#define TS_HTTP1_F_USER_AGENT_CUT 0x80000u
#define TS_HTTP1_F_TRACEPARENT_CUT 0x100000u
#define TS_HTTP1_F_TRACESTATE_CUT 0x200000u

/* The fields of the last request head, NUL-terminated, with their lengths.
 * Values are trimmed of blanks; control bytes in them read as '?'. Host,
 * User-Agent and traceparent keep their first header, tracestate joins its
 * headers with ','. path is the target up to '?' (an absolute-form target
 * keeps "http://host", with any user:password@ as "REDACTED:REDACTED@");
 * query is what follows '?', each parameter's value "REDACTED" unless
 * TS_HTTP1_QUERY_RAW. No other header value and no body byte is kept. */
struct ts_http1_request {
	uint16_t path_len, query_len, host_len, user_agent_len, traceparent_len, tracestate_len;
	uint8_t method_len;
	char method[TS_HTTP1_METHOD_MAX + 1];   /* as sent, known or not */
	char path[TS_HTTP1_PATH_MAX + 1];
	char query[TS_HTTP1_QUERY_MAX + 1];
	char host[TS_HTTP1_HOST_MAX + 1];
	char user_agent[TS_HTTP1_USER_AGENT_MAX + 1];
	char traceparent[TS_HTTP1_TRACEPARENT_MAX + 1];
	char tracestate[TS_HTTP1_TRACESTATE_MAX + 1];
};

struct ts_http1_event {
	uint8_t kind;      /* enum ts_http1_kind */
	uint8_t dir;       /* enum ts_http1_dir: the message's direction */
	uint8_t method;    /* enum ts_http1_method of the request (responses: the one answered) */
	uint8_t version;   /* heads and ends: 10 or 11 */
	uint16_t status;   /* responses: the status code */
	uint8_t stop;      /* STOPPED: enum ts_http1_stop */
	uint32_t flags;    /* TS_HTTP1_F_*: heads, ends, ABANDONED */
	/* The request's number on the connection, from 0; a response has its
	 * request's (several, with 1xx). */
	uint32_t seq;
	/* Offset in this call's buffer just after the byte that completed the
	 * event; for BEGIN, the offset of the message's first byte, or
	 * TS_HTTP1_NOT_HERE when that was in an earlier call (only for the first
	 * request of a connection, whose first bytes came in several calls: it
	 * began with the first call in its direction). 0 for ts_http1_close. */
	size_t at;
	/* Head events: offset of the head's last (empty) line, where a header
	 * line can be inserted, or TS_HTTP1_NOT_HERE when it began in an earlier
	 * call. */
	size_t head_end;
	uint64_t length;   /* TS_HTTP1_F_LENGTH: the Content-Length */
	/* REQUEST_HEAD: the fields, in the conn, valid until the next feed or
	 * close on it; NULL otherwise. */
	const struct ts_http1_request *req;
};

/* Private: one direction's parser (http1.c). */
struct ts_http1_side {
	uint8_t st, sub, hdr, toklen, method, version, te, cr;
	char tok[18];        /* a header name (lower case), or a token of its value */
	uint16_t status;
	uint16_t mark;       /* target: where the authority began; string value: its trimmed end */
	uint32_t flags;
	uint32_t seq;
	uint32_t count;      /* bytes of the head, chunk line or trailers so far */
	uint64_t num;        /* the number being read (Content-Length, chunk size) */
	uint64_t length;     /* Content-Length */
	uint64_t remain;     /* body bytes to skip */
	size_t begin_at;     /* where the message began, if in the current buffer */
	size_t cr_at;        /* where a CR began the current header line, if in it */
};

struct ts_http1_conn {
	uint8_t state;        /* enum ts_http1_state: keep it first (ts_http1_is_off) */
	uint8_t opts;         /* ts_http1_init flags */
	uint8_t detect_dir;   /* private below: the direction being detected, or 0xff */
	uint8_t lead;         /* CR and LF bytes skipped before the first request line */
	uint32_t req_seq;     /* requests begun */
	uint32_t resp_seq;    /* requests whose final response ended */
	uint8_t fifo[TS_HTTP1_PIPELINE];   /* method of each unanswered request (and 0x80: upgrade) */
	struct ts_http1_side side[2];      /* by enum ts_http1_dir */
	struct ts_http1_request req;
};

/* A new connection (flags: TS_HTTP1_QUERY_RAW or 0). */
void ts_http1_init(struct ts_http1_conn *c, unsigned flags);

/* Parses buf[*pos, len), the next bytes in direction dir, writes at most
 * max_ev events (max_ev >= TS_HTTP1_MIN_EV; a smaller one turns the
 * connection off), moves *pos past what it parsed and returns the number of
 * events. It stops before len only right after a REQUEST_HEAD (whose fields
 * the next request would overwrite) or when fewer than TS_HTTP1_MIN_EV slots
 * are left: call it again until *pos == len, e.g.
 *     for (size_t pos = 0; pos < len;)
 *             handle(ev, ts_http1_feed(c, dir, buf, len, &pos, ev, N));
 * No event is lost, and offsets in events are in buf. A call with *pos > 0
 * continues the previous one in this direction, on the same buffer; a new
 * buffer starts at *pos == 0. Once the connection is off it returns 0 and
 * sets *pos = len. */
unsigned ts_http1_feed(struct ts_http1_conn *c, enum ts_http1_dir dir, const void *buf, size_t len,
		       size_t *pos, struct ts_http1_event *ev, unsigned max_ev);

/* The connection ends: a response read until the close ends (END with
 * TS_HTTP1_F_BY_CLOSE), a message in progress is ABANDONED (at most one
 * event per direction; max_ev >= TS_HTTP1_MIN_EV). Requests with no END of
 * their final response never got it. The connection is then off. */
unsigned ts_http1_close(struct ts_http1_conn *c, struct ts_http1_event *ev, unsigned max_ev);

/* A server between requests: the client may have stopped sending (shut its
 * side down) and still wait for the answers to those it sent. */
bool ts_http1_server_between_requests(const struct ts_http1_conn *c);

/* The status code of the response whose head direction dir is in, its
 * status line read and its head not yet whole; 0 when none. */
unsigned ts_http1_head_status(const struct ts_http1_conn *c, enum ts_http1_dir dir);

/* n bytes went in direction dir without being shown (sendfile, splice):
 * fine within a body whose length is known (its end may be an event), else
 * the tracking stops (STOPPED, TS_HTTP1_STOP_UNSEEN). max_ev >=
 * TS_HTTP1_MIN_EV; events have `at` 0. */
unsigned ts_http1_skip(struct ts_http1_conn *c, enum ts_http1_dir dir, uint64_t n,
		       struct ts_http1_event *ev, unsigned max_ev);

/* "GET", ..., or "_OTHER" (OpenTelemetry's http.request.method). */
const char *ts_http1_method_name(unsigned method);

/* The connection is not HTTP/1, or no longer tracked: the caller ends any span
 * still open on it (a STOPPED event said why, unless it never was HTTP). */
static inline bool ts_http1_is_off(const struct ts_http1_conn *c)
{
	return c->state == TS_HTTP1_OFF;
}

/* Direction dir of the connection is between messages: the next byte it
 * carries begins one (the first state of a side is "idle", 0). For the shim
 * that adds a header line to a request it is about to send. */
static inline bool ts_http1_between(const struct ts_http1_conn *c, enum ts_http1_dir dir)
{
	return c->side[dir].st == 0 && (c->state != TS_HTTP1_DETECT || c->detect_dir == 0xff);
}

#endif
