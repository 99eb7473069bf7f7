/* What the parts of the HTTP/1 sniffer share: http1.c reads the bytes (start
 * and header lines, chunk framing, bodies skipped), with http1_fast.c for
 * lines whole in the buffer; http1_msg.c makes messages of them (pairing,
 * framing, events); http1_target.c and http1_fields.c read the target and the
 * header values it keeps. Each uses only those after it. Not part of the
 * interface (http1.h). */
#ifndef TS_HTTP1_INT_H
#define TS_HTTP1_INT_H

#include "http1.h"

#include <string.h>

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

/* RFC 9110 token characters (methods, header names), a bit per ASCII byte:
 * !#$%&'*+-.0-9 in the low word, A-Z^_`a-z|~ in the high one. */
#define TS_H1_TCHAR(b) \
	((b) < 128 && ((b) < 64 ? 0x03ff6cfa00000000ull : 0x57ffffffc7fffffeull) >> ((b) & 63) & 1)
/* http1_fast.c: each token character in lower case, any other byte 0 (one
 * load per byte, as names are read a byte at a time). */
extern const unsigned char ts_h1_name_bytes[256];
static inline bool ts_h1_tchar(unsigned char b)
{
	return ts_h1_name_bytes[b] != 0;
}
/* http1_fast.c: the header named by the token bytes name[0, len), in any
 * case, in a request or not (H_NONE: not kept). */
unsigned ts_h1_header_of(const unsigned char *name, size_t len, bool req);

/* http1_fast.c: whole lines from p[i] (between messages, a request or status
 * line after its first byte, or the start of a header line), up to the
 * first event or a line left to the byte-wise path: the index of the first
 * byte not taken (i: none). */
size_t ts_h1_lines(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len);
/* Whether ts_h1_lines may take anything in this state: a test without a
 * call. A connection's first request line is tried from its second byte,
 * after the byte-wise path took the first (ts_http1_feed sees at once when
 * that byte shows the connection is not HTTP). */
static inline bool ts_h1_lines_may(const struct ts_h1_call *k)
{
	const struct ts_http1_side *s = k->s;
	if (s->st == ST_LINE_START)
		return !s->cr;
	if (s->st == ST_METHOD)
		return k->c->req.method_len == 1;
	return s->st == ST_IDLE || (s->st == ST_STATUS_VERSION && s->sub == 1);
}

/* Eight bytes at a time, for runs of plain bytes: the 8 bytes at p as a
 * word (in the machine's order: the tests below treat all bytes alike). */
static inline uint64_t ts_h1_word(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
	return w;
}

/* Nonzero when some byte of w is below n (n <= 128): the high bit of such a
 * byte is set, and maybe of bytes above it in the word. */
static inline uint64_t ts_h1_below(uint64_t w, unsigned n)
{
	return (w - 0x0101010101010101ull * n) & ~w & 0x8080808080808080ull;
}

/* Nonzero when some byte of w is b. */
static inline uint64_t ts_h1_has(uint64_t w, unsigned char b)
{
	return ts_h1_below(w ^ (0x0101010101010101ull * b), 1);
}

/* The end of the run of plain bytes (no space, control or DEL) other than
 * x and y from p[i], at most end: by words, then by bytes in the last. */
static inline size_t ts_h1_plain_run(const unsigned char *p, size_t i, size_t end, unsigned char x,
				     unsigned char y)
{
	for (; end - i >= 8; i += 8) {
		uint64_t w = ts_h1_word(p + i);
		if (ts_h1_below(w, 0x21) | ts_h1_has(w, 0x7f) | ts_h1_has(w, x) | ts_h1_has(w, y))
			break;
	}
	while (i < end && p[i] > ' ' && p[i] != 0x7f && p[i] != x && p[i] != y)
		i++;
	return i;
}

/* No byte of p[i, end) is below n (n <= 128) or DEL: by words, the last
 * one ending at end (its bytes before it are in the range too). */
static inline bool ts_h1_none_below(const unsigned char *p, size_t i, size_t end, unsigned n)
{
	if (end - i < 8) {
		for (; i < end; i++)
			if (p[i] < n || p[i] == 0x7f)
				return false;
		return true;
	}
	uint64_t w = ts_h1_word(p + end - 8), m = ts_h1_below(w, n) | ts_h1_has(w, 0x7f);
	for (; end - i >= 8; i += 8) {
		w = ts_h1_word(p + i);
		m |= ts_h1_below(w, n) | ts_h1_has(w, 0x7f);
	}
	return !m;
}

/* Appends b to a field of cap bytes; once a byte did not fit (the `cut` flag
 * is set) nothing more is added, so a field is always a prefix. */
static inline void ts_h1_put(char *f, uint16_t *len, unsigned cap, uint32_t *flags, uint32_t cut, char b)
{
	if (*flags & cut)
		return;
	if (*len >= cap) {
		*flags |= cut;
		return;
	}
	f[(*len)++] = b;
	f[*len] = 0;
}

/* http1_target.c: the method's enum value (ts_http1_method) from its text. */
unsigned ts_h1_method_of(const char *m, unsigned len);
/* A byte of a request target (no space or control byte). */
void ts_h1_target_byte(struct ts_h1_call *k, unsigned char b);
/* Runs of bytes that only add to the target (from p[i] to at most
 * p[end - 1]): the index of the first byte not taken, which
 * ts_h1_target_byte must see. */
size_t ts_h1_target_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end);
/* A whole target, p[i, end), all plain: as the two above read it. */
void ts_h1_target_whole(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end);

/* http1_fields.c: a run of a kept value's bytes up to the line's end (a CR
 * or LF), or to p[end - 1]: the index of the first byte not taken, which
 * ts_h1_value_byte must see (or that ends the line). */
size_t ts_h1_value_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end);
/* A kept header's value: its start (false: skip the value), each byte (no
 * CR or LF; a folded line reads as a space), and its end. A value that
 * cannot be (an invalid length) returns why the tracking stops, else 0. */
bool ts_h1_value_start(struct ts_h1_call *k);
unsigned ts_h1_value_byte(struct ts_h1_call *k, unsigned char b);
unsigned ts_h1_value_end(struct ts_h1_call *k);
/* A value whole in its line, p[i, lf) with p[lf] its LF: every byte as
 * above, CRs dropped. Returns 0, or why the tracking stops, with *at just
 * after the byte that stops it. */
unsigned ts_h1_value_line(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t lf, size_t *at);

#endif
