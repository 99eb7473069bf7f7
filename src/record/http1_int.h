/* What the parts of the HTTP/1 sniffer share: http1.c reads the bytes (start
 * and header lines, chunk framing, bodies skipped), http1_msg.c makes
 * messages of them (pairing, framing, events), http1_fields.c reads the
 * target and the header values it keeps; each uses only those after it. Not
 * part of the interface (http1.h). */
#ifndef TS_HTTP1_INT_H
#define TS_HTTP1_INT_H

#include "http1.h"

/* ts_http1_side.st. The states from ST_METHOD to ST_TRAILER_LINE read lines:
 * their bytes count against TS_HTTP1_HEAD_MAX. */
enum {
	ST_IDLE,            /* between messages */
	ST_METHOD,          /* request line */
	ST_TARGET,
	ST_VERSION,         /* "HTTP/1.x", then the line's end (sub 8) */
	ST_STATUS_VERSION,  /* status line */
	ST_CODE,
	ST_REASON,
	ST_LINE_CR,         /* a start line's CR: LF must follow */
	ST_LINE_START,      /* header lines */
	ST_NAME,
	ST_VALUE,
	ST_SKIP_LINE,       /* a header not kept: to the end of its line */
	ST_CHUNK_SIZE,      /* chunked body */
	ST_CHUNK_EXT,
	ST_CHUNK_END,       /* the CRLF after a chunk's data */
	ST_TRAILER_START,
	ST_TRAILER_LINE,
	ST_BODY,            /* bodies: skipped by counting */
	ST_CHUNK_DATA,
	ST_UNTIL_CLOSE,
	ST_SUSPENDED,       /* after a CONNECT or Upgrade request, until its answer */
};

/* ts_http1_side.hdr: the header whose value is being read. */
enum {
	H_NONE, H_HOST, H_USER_AGENT, H_TRACEPARENT, H_TRACESTATE, H_LENGTH, H_TE, H_CONNECTION,
	H_UPGRADE,
};

/* ts_http1_conn.detect_dir before any byte */
#define TS_H1_NO_DIR 0xff

/* ts_http1_side.te */
#define TE_SEEN 1u
#define TE_CHUNKED 2u   /* the last coding so far is chunked */

/* One call of ts_http1_feed or ts_http1_close. */
struct ts_h1_call {
	struct ts_http1_conn *c;
	struct ts_http1_side *s;   /* the direction being parsed */
	struct ts_http1_event *ev;
	unsigned n, max;
	uint8_t dir;
	bool req;                  /* this direction carries the requests */
	bool stop;                 /* a REQUEST_HEAD was written: the call ends */
	size_t at;                 /* just after the byte being parsed */
};

/* http1_msg.c: a message's first byte (false: tracking stopped), its start
 * line's end, its head's end (head_end: where the empty line began), its end;
 * and a stop: the tracking stops (STOPPED event), or, while the connection
 * is still being detected, it is simply not HTTP. */
bool ts_h1_begin(struct ts_h1_call *k);
void ts_h1_start_line_done(struct ts_h1_call *k);
void ts_h1_head_done(struct ts_h1_call *k, size_t head_end);
void ts_h1_message_end(struct ts_h1_call *k);
void ts_h1_bad(struct ts_h1_call *k, unsigned why);

/* RFC 9110 token characters (methods, header names). */
static inline bool ts_h1_tchar(unsigned char b)
{
	switch (b) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
	case '.': case '^': case '_': case '`': case '|': case '~':
		return true;
	default:
		return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
	}
}

/* http1_fields.c: the method's enum value (ts_http1_method) from its text. */
unsigned ts_h1_method_of(const char *m, unsigned len);
/* A byte of a request target (no space or control byte). */
void ts_h1_target_byte(struct ts_h1_call *k, unsigned char b);
/* The header named in k->s->tok (H_NONE: not kept). */
unsigned ts_h1_header_of(const struct ts_h1_call *k);
/* Runs of bytes that only add to the target or to a kept text value (from
 * p[i] to at most p[end - 1]): the index of the first byte not taken, which
 * ts_h1_target_byte or ts_h1_value_byte must see. */
size_t ts_h1_target_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end);
size_t ts_h1_value_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end);
/* A kept header's value: its start (false: skip the value), each byte (no CR
 * or LF; a folded line reads as a space), and its end. A value that cannot
 * be (an invalid length) returns why the tracking stops, else 0. */
bool ts_h1_value_start(struct ts_h1_call *k);
unsigned ts_h1_value_byte(struct ts_h1_call *k, unsigned char b);
unsigned ts_h1_value_end(struct ts_h1_call *k);

#endif
