/* The HTTP/1 sniffer's fast path (http1.c): a start line or a header line
 * that is whole in the buffer is read in one go, rather than a step per byte
 * where the state may change. A line is taken only when it has the usual
 * shape and fits in TS_HTTP1_HEAD_MAX, so that no byte of it could stop the
 * tracking by the limit; anything else (a line cut by the end of the call,
 * obs-fold, a CR alone, a start line that is not plainly valid) is left,
 * untouched, to the byte-wise path. Either way a line leaves the side in the
 * very state the byte-wise path leaves it in, with the same events at the
 * same offsets, so a message may go from one path to the other at any line
 * or call (tests/unit/test_http1_fast.c, tests/fuzz/fuzz_http1.c check it).
 * The target and kept values are read by http1_target.c and http1_fields.c;
 * header names are matched here, for both paths. */
#include "http1_int.h"

#include <string.h>

/* The LF ending the line at p[i], if the line is in p[i, len) and counting
 * its bytes keeps the head within TS_HTTP1_HEAD_MAX; else NULL. */
static const unsigned char *line_end(const struct ts_http1_side *s, const unsigned char *p, size_t i,
				     size_t len)
{
	size_t room = TS_HTTP1_HEAD_MAX - s->count;
	return memchr(p + i, '\n', len - i < room ? len - i : room);
}

/* 256 constant expressions of TS_H1_TCHAR. */
#define LOWER(b) ((b) >= 'A' && (b) <= 'Z' ? (b) | 0x20 : (b))
#define NAME1(b) (unsigned char)(TS_H1_TCHAR(b) ? LOWER(b) : 0)
#define NAME4(b) NAME1(b), NAME1(b + 1), NAME1(b + 2), NAME1(b + 3)
#define NAME16(b) NAME4(b), NAME4(b + 4), NAME4(b + 8), NAME4(b + 12)
#define NAME64(b) NAME16(b), NAME16(b + 16), NAME16(b + 32), NAME16(b + 48)
const unsigned char ts_h1_name_bytes[256] = {NAME64(0u), NAME64(64u), NAME64(128u), NAME64(192u)};

static inline uint32_t load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* Token bytes a[0, n) are the lower-case name b, 4 <= n <= 24: a word at
 * each end (and in the middle past 16), each byte of a with 0x20 set. That
 * is exact for token bytes against letters and '-', the only bytes of the
 * names: no other token byte becomes one of them with 0x20. */
static inline bool same_name(const unsigned char *a, const char *b, size_t n)
{
	const uint64_t low = 0x2020202020202020ull;
	if (n < 8)
		return !(((load32(a) | (uint32_t)low) ^ load32(b)) |
			 ((load32(a + n - 4) | (uint32_t)low) ^ load32(b + n - 4)));
	uint64_t diff = ((load64(a) | low) ^ load64(b)) | ((load64(a + n - 8) | low) ^ load64(b + n - 8));
	if (n > 16)
		diff |= (load64(a + 8) | low) ^ load64(b + 8);
	return !diff;
}

/* A slot of the names: by length and first letter, with no two alike (a
 * compiler warning if two ever were). */
#define SLOT(n, first) ((2 * (n) + ((first) | 0x20)) & 15)

unsigned ts_h1_header_of(const unsigned char *name, size_t len, bool req)
{
	/* Every line of every head comes here: one look in a table, and one
	 * compare when a name of that length and first letter is kept. */
#define NAME(s, first, hdr) [SLOT(sizeof s - 1, first)] = {s, sizeof s - 1, hdr}
	static const struct {
		char name[24];
		uint8_t len, hdr;
	} names[16] = {
		NAME("content-length", 'c', H_LENGTH), NAME("transfer-encoding", 't', H_TE),
		NAME("connection", 'c', H_CONNECTION), NAME("host", 'h', H_HOST),
		NAME("user-agent", 'u', H_USER_AGENT), NAME("traceparent", 't', H_TRACEPARENT),
		NAME("tracestate", 't', H_TRACESTATE), NAME("upgrade", 'u', H_UPGRADE),
	};
#undef NAME
	unsigned slot = SLOT(len, name[0]), hdr = names[slot].hdr;
	if (hdr == H_NONE || names[slot].len != len || !same_name(name, names[slot].name, len))
		return H_NONE;   /* including names longer than tok */
	/* Framing and Connection both ways; the rest only describe a request. */
	return req || hdr == H_LENGTH || hdr == H_TE || hdr == H_CONNECTION ? hdr : H_NONE;
}

static inline bool is_version(const unsigned char *v)   /* "HTTP/1.0" or "HTTP/1.1" */
{
	return !memcmp(v, "HTTP/1.", 7) && (v[7] == '0' || v[7] == '1');
}

/* "METHOD SP target SP HTTP/1.x CRLF", from its second byte (the byte-wise
 * path took the first, with the message's BEGIN). */
static size_t request_line(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	if (r->method_len != 1)
		return i;   /* a line too long for the buffer is not looked for again */
	const unsigned char *e = line_end(s, p, i, len);
	if (!e)
		return i;
	size_t lf = (size_t)(e - p), m = i;
	while (ts_h1_tchar(p[m]))   /* stops at the LF at the latest */
		m++;
	size_t mlen = 1 + (m - i);
	if (p[m] != ' ' || mlen > TS_HTTP1_METHOD_MAX)
		return i;
	/* A target of at least a byte, plain, then " HTTP/1.x" and the end. */
	size_t t = lf - 9 - (p[lf - 1] == '\r');
	if (lf - m < 11 + (p[lf - 1] == '\r') || p[t] != ' ' || !is_version(p + t + 1) ||
	    !ts_h1_none_below(p, m + 1, t, 0x21))
		return i;
	memcpy(r->method + 1, p + i, m - i);
	r->method_len = (uint8_t)mlen;
	r->method[mlen] = 0;
	s->method = (uint8_t)ts_h1_method_of(r->method, (unsigned)mlen);
	s->sub = 0;
	ts_h1_target_whole(k, p, m + 1, t);
	s->version = p[t + 8] == '0' ? 10 : 11;
	s->sub = 8;   /* the version's bytes */
	s->count += (uint32_t)(lf + 1 - i);
	k->at = lf + 1;
	ts_h1_start_line_done(k);   /* the connection's first: BEGIN */
	return lf + 1;
}

/* "HTTP/1.x SP 3DIGIT [SP reason] CRLF", from its second byte. */
static size_t status_line(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len)
{
	struct ts_http1_side *s = k->s;
	if (s->sub != 1)
		return i;   /* 1: its 'H' was taken */
	const unsigned char *e = line_end(s, p, i, len);
	if (!e)
		return i;
	size_t lf = (size_t)(e - p), q = i + 8;   /* q: the code's first digit */
	if (lf < q + 3 || memcmp(p + i, "TTP/1.", 6) || (p[q - 2] != '0' && p[q - 2] != '1') || p[q - 1] != ' ')
		return i;
	unsigned code = 0;
	for (size_t j = q; j < q + 3; j++) {
		if (p[j] < '0' || p[j] > '9')
			return i;
		code = code * 10 + (unsigned)(p[j] - '0');
	}
	/* Then a reason, or the line's end (CRLF or LF), for a code >= 100. */
	if (code < 100 || !(p[q + 3] == ' ' || lf == q + 3 || (lf == q + 4 && p[q + 3] == '\r')))
		return i;
	s->version = p[q - 2] == '0' ? 10 : 11;
	s->status = (uint16_t)code;
	s->sub = 3;   /* the code's digits */
	s->count += (uint32_t)(lf + 1 - i);
	k->at = lf + 1;
	ts_h1_start_line_done(k);
	return lf + 1;
}

/* Token bytes (all below 0x80) in lower case, a word at a time: no carry
 * crosses a byte, so each byte's high bit says whether it is in 'A'..'Z'. */
static inline uint64_t lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t upper = (x + ones * (0x80 - 'A')) & ~(x + ones * (0x80 - 'Z' - 1)) & (ones * 0x80);
	return x | (upper >> 2);
}

/* The n token bytes of a name into tok, in lower case, as the byte-wise
 * path writes them: the bytes of tok past n are left as they are. Words
 * that overlap at the end rather than a byte at a time. */
static inline void lower_name(char *tok, const unsigned char *name, size_t n)
{
	if (n >= 8) {
		for (size_t k = 0; k + 8 < n; k += 8) {
			uint64_t w = lower8(load64(name + k));
			memcpy(tok + k, &w, 8);
		}
		uint64_t last = lower8(load64(name + n - 8));
		memcpy(tok + n - 8, &last, 8);
	} else if (n >= 4) {
		uint32_t a = (uint32_t)lower8(load32(name)), b = (uint32_t)lower8(load32(name + n - 4));
		memcpy(tok, &a, 4);
		memcpy(tok + n - 4, &b, 4);
	} else {
		for (size_t k = 0; k < n; k++)
			tok[k] = (char)ts_h1_name_bytes[name[k]];
	}
}

/* A header line p[i, lf] that is not empty, does not begin with a CR and
 * is no fold: its name is read, its value if kept; the rest is skipped. */
static size_t header_line(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t lf)
{
	struct ts_http1_side *s = k->s;
	uint32_t count = s->count + (uint32_t)(lf + 1 - i);
	size_t j = i;
	/* Two bytes a step: the LF ends it at the latest, and a byte is
	 * read only when the one before it is no LF. */
	while (ts_h1_name_bytes[p[j]] && ts_h1_name_bytes[p[j + 1]])
		j += 2;
	j += ts_h1_name_bytes[p[j]] != 0;
	if (j > i) {   /* else the line is not a header: tok is left alone */
		lower_name(s->tok, p + i, j - i < sizeof s->tok ? j - i : sizeof s->tok);
		s->toklen = (uint8_t)(j - i < UINT8_MAX ? j - i : UINT8_MAX);
	}
	if (j == i || p[j] != ':' || (s->hdr = (uint8_t)ts_h1_header_of(p + i, j - i, k->req)) == H_NONE ||
	    !ts_h1_value_start(k)) {
		s->hdr = H_NONE;   /* a line not kept (or with no colon): skipped */
		s->count = count;
		return lf + 1;
	}
	s->st = ST_VALUE;
	size_t at;
	unsigned why = ts_h1_value_line(k, p, j + 1, lf, &at);
	if (why) {
		s->count += (uint32_t)(at - i);
		k->at = at;
		ts_h1_bad(k, why);
		return at;
	}
	s->st = ST_LINE_START;   /* the value ends unless the next line folds */
	s->count = count;
	return lf + 1;
}

/* Header lines from the start of one, up to the head's end (its events)
 * or a line left to the byte-wise path. */
static size_t header_lines(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len)
{
	struct ts_http1_side *s = k->s;
	/* Each line but the last leaves the side at the start of the next
	 * (ST_LINE_START, cr 0): no need to read the state again, which,
	 * just written byte by byte, would be slow to read as a whole. */
	while (i < len) {
		const unsigned char *e = line_end(s, p, i, len);
		if (!e)
			break;
		size_t lf = (size_t)(e - p);
		unsigned char b = p[i];
		bool empty = b == '\n' || (b == '\r' && lf == i + 1);
		if (!empty && (b == '\r' || ((b == ' ' || b == '\t') && s->hdr != H_NONE)))
			break;   /* a CR alone, or a value folded onto this line */
		if (empty && b == '\r') {
			s->cr = 1;
			s->cr_at = i;
		}
		if (s->hdr != H_NONE) {
			/* The previous line's value ends with this line's first
			 * byte (or the LF of an empty line). */
			size_t at = empty ? lf + 1 : i + 1;
			unsigned why = ts_h1_value_end(k);
			s->hdr = H_NONE;
			if (why) {
				s->count += (uint32_t)(at - i);
				k->at = at;
				ts_h1_bad(k, why);
				return at;
			}
		}
		if (empty) {
			s->count += (uint32_t)(lf + 1 - i);
			k->at = lf + 1;
			ts_h1_head_done(k, i);
			return lf + 1;
		}
		i = header_line(k, p, i, lf);
		if (k->c->state == TS_HTTP1_OFF)
			break;
	}
	return i;
}

size_t ts_h1_lines(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	if (s->st == ST_IDLE) {
		/* A message's first byte, as step() takes it: its BEGIN, then the
		 * byte; an empty line before it, or no message, byte by byte. */
		unsigned char b = p[i];
		if (k->req ? !ts_h1_tchar(b) : b != 'H')
			return i;
		k->at = i + 1;
		if (!ts_h1_begin(k))
			return i + 1;
		s->count = 1;
		if (k->req) {
			r->method[0] = (char)b;
			r->method[1] = 0;
			r->method_len = 1;
		} else {
			s->sub = 1;
		}
		if (k->max - k->n < TS_HTTP1_MIN_EV)
			return i + 1;   /* where the caller stops for room */
		i++;
	}
	size_t j = i;
	unsigned n = k->n;
	if (s->st == ST_METHOD)
		j = request_line(k, p, i, len);
	else if (s->st == ST_STATUS_VERSION)
		j = status_line(k, p, i, len);
	else if (s->cr)   /* ST_LINE_START after a CR: the byte-wise path's */
		return i;
	if (s->st != ST_LINE_START || k->n != n || k->c->state == TS_HTTP1_OFF)
		return j;   /* a start line not taken; or the caller sees to the events */
	return header_lines(k, p, j, len);
}
