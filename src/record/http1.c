/* The HTTP/1 sniffer's reading of the bytes (http1.h): ts_http1_feed and
 * the lines of messages, request and status lines, header lines (names
 * matched here, the values of the few kept headers handed to http1_fields.c,
 * every other line skipped unread), and the framing lines of a chunked body.
 * A byte that may change the state takes one step; runs of bytes that only
 * add to a name, a target or a kept value go in one loop, lines not read go
 * by memchr and bodies by counting; lines whole in the buffer go faster
 * still (http1_fast.c). Whole messages and the events are http1_msg.c's. */
#include "http1_int.h"

#include <string.h>

/* CR and LF bytes skipped before a connection's first request line. */
#define LEAD_MAX 4

static void line_start(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	if (b == '\r') {
		if (!s->cr) {   /* where the head's last line begins, if it is one */
			s->cr = 1;
			s->cr_at = k->at - 1;
		}
		return;
	}
	if ((b == ' ' || b == '\t') && s->hdr != H_NONE) {
		/* obs-fold: the value goes on, as if after a space */
		s->cr = 0;
		s->st = ST_VALUE;
		unsigned why = ts_h1_value_byte(k, ' ');
		if (why)
			ts_h1_bad(k, why);
		return;
	}
	if (s->hdr != H_NONE) {
		unsigned why = ts_h1_value_end(k);
		s->hdr = H_NONE;
		if (why) {
			ts_h1_bad(k, why);
			return;
		}
	}
	if (b == '\n') {
		ts_h1_head_done(k, s->cr ? s->cr_at : k->at - 1);
		return;
	}
	s->cr = 0;
	if (ts_h1_tchar(b)) {
		s->st = ST_NAME;
		s->toklen = 1;
		s->tok[0] = (char)(b | ((b >= 'A' && b <= 'Z') ? 0x20 : 0));
	} else {
		s->st = ST_SKIP_LINE;   /* not a header name (or a fold with nothing kept to fold into) */
	}
}

static void name_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	if (b == ':') {
		s->hdr = (uint8_t)ts_h1_header_of((const unsigned char *)s->tok, s->toklen, k->req);
		if (s->hdr != H_NONE && ts_h1_value_start(k)) {
			s->st = ST_VALUE;
		} else {
			s->hdr = H_NONE;
			s->st = ST_SKIP_LINE;
		}
	} else if (b == '\n') {
		s->st = ST_LINE_START;   /* a line with no colon: ignored */
	} else {
		s->st = ST_SKIP_LINE;    /* not a token byte (run() took those) */
	}
}

static int hex(unsigned char b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	b |= 0x20;
	return b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
}

/* "1a;ext=x": the size in hex, then optional blanks and extensions. */
static void chunk_size_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	int d = hex(b);
	if (d >= 0 && s->sub != 2 && !(s->num >> 56)) {
		s->num = s->num << 4 | (unsigned)d;
		s->sub = 1;
	} else if ((b == ' ' || b == '\t') && s->sub) {
		s->sub = 2;
	} else if (b == ';' && s->sub) {
		s->st = ST_CHUNK_EXT;
	} else if (b == '\n' && s->sub) {
		s->count = 0;
		s->remain = s->num;
		s->st = s->num ? ST_CHUNK_DATA : ST_TRAILER_START;
	} else if (b != '\r') {
		ts_h1_bad(k, TS_HTTP1_STOP_BAD_CHUNK);
	}
}

/* One byte of a start line, a header line or a chunked body's framing. */
static void step(struct ts_h1_call *k, unsigned char b)
{
	static const char version[] = "HTTP/1.";
	struct ts_http1_conn *c = k->c;
	struct ts_http1_side *s = k->s;
	if (s->st == ST_IDLE) {
		if (b == '\r' || b == '\n')
			return;   /* RFC 9112 2.2: empty lines before a message are ignored */
		if (!ts_h1_begin(k))
			return;
	}
	if (s->st >= ST_METHOD && s->st <= ST_TRAILER_LINE && ++s->count > TS_HTTP1_HEAD_MAX) {
		ts_h1_bad(k, TS_HTTP1_STOP_HEAD_TOO_LARGE);
		return;
	}
	switch (s->st) {
	case ST_METHOD:
		if (b == ' ' && c->req.method_len) {
			s->method = (uint8_t)ts_h1_method_of(c->req.method, c->req.method_len);
			s->st = ST_TARGET;
			s->sub = 0;
		} else if (ts_h1_tchar(b) && c->req.method_len < TS_HTTP1_METHOD_MAX) {
			c->req.method[c->req.method_len++] = (char)b;
			c->req.method[c->req.method_len] = 0;
		} else {
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);
		}
		break;
	case ST_TARGET:
		if (b == ' ' && s->sub) {
			s->st = ST_VERSION;
			s->sub = 0;
		} else if (b <= ' ' || b == 0x7f) {
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);   /* empty, or not a target */
		} else {
			ts_h1_target_byte(k, b);
		}
		break;
	case ST_VERSION:
	case ST_STATUS_VERSION:
		if (s->sub < 7 ? b == (unsigned char)version[s->sub] : s->sub == 7 && (b == '0' || b == '1')) {
			if (s->sub++ == 7)
				s->version = b == '0' ? 10 : 11;
		} else if (s->sub < 8) {
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);
		} else if (s->st == ST_STATUS_VERSION && b == ' ') {
			s->st = ST_CODE;
			s->sub = 0;
		} else if (s->st == ST_VERSION && (b == '\r' || b == '\n')) {
			if (b == '\r')
				s->st = ST_LINE_CR;
			else
				ts_h1_start_line_done(k);
		} else {
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);
		}
		break;
	case ST_CODE:
		if (s->sub < 3 && b >= '0' && b <= '9') {
			s->status = (uint16_t)(s->status * 10 + (b - '0'));
			if (++s->sub == 3 && s->status < 100)
				ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);
		} else if (s->sub == 3 && b == ' ') {
			s->st = ST_REASON;
		} else if (s->sub == 3 && b == '\r') {
			s->st = ST_LINE_CR;   /* no reason phrase, nor the space before it */
		} else if (s->sub == 3 && b == '\n') {
			ts_h1_start_line_done(k);
		} else {
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);
		}
		break;
	case ST_REASON:
		if (b == '\n')
			ts_h1_start_line_done(k);
		break;
	case ST_LINE_CR:
		if (b == '\n')
			ts_h1_start_line_done(k);
		else
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);
		break;
	case ST_LINE_START:
		line_start(k, b);
		break;
	case ST_NAME:
		name_byte(k, b);
		break;
	case ST_VALUE:
		if (b == '\n') {
			s->st = ST_LINE_START;   /* the value ends unless the next line folds */
			s->cr = 0;
		} else if (b != '\r') {
			unsigned why = ts_h1_value_byte(k, b);
			if (why)
				ts_h1_bad(k, why);
		}
		break;
	case ST_SKIP_LINE:
		if (b == '\n') {
			s->st = ST_LINE_START;
			s->cr = 0;
		}
		break;
	case ST_CHUNK_SIZE:
		chunk_size_byte(k, b);
		break;
	case ST_CHUNK_EXT:
		if (b == '\n')
			chunk_size_byte(k, b);
		break;
	case ST_CHUNK_END:
		if (b == '\n') {
			s->st = ST_CHUNK_SIZE;
			s->sub = 0;
			s->num = 0;
			s->count = 0;
		} else if (b != '\r') {
			ts_h1_bad(k, TS_HTTP1_STOP_BAD_CHUNK);
		}
		break;
	case ST_TRAILER_START:
		if (b == '\n')
			ts_h1_message_end(k);
		else if (b != '\r')
			s->st = ST_TRAILER_LINE;
		break;
	case ST_TRAILER_LINE:
		if (b == '\n')
			s->st = ST_TRAILER_START;
		break;
	case ST_SUSPENDED:
		ts_h1_bad(k, TS_HTTP1_STOP_AFTER_UPGRADE);
		break;
	default:
		break;
	}
}

static size_t run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len)
{
	struct ts_http1_side *s = k->s;
	size_t end = len - i > TS_HTTP1_HEAD_MAX - s->count ? i + (TS_HTTP1_HEAD_MAX - s->count) : len;
	size_t j = i;
	if (s->st == ST_NAME) {
		unsigned n = s->toklen;   /* a local: the name's bytes may alias it */
		for (; j < end && ts_h1_tchar(p[j]); j++, n += n < UINT8_MAX) {
			if (n < sizeof s->tok)
				s->tok[n] = (char)(p[j] | ((p[j] >= 'A' && p[j] <= 'Z') ? 0x20 : 0));
		}
		s->toklen = (uint8_t)n;
	} else if (s->st == ST_TARGET) {
		j = ts_h1_target_run(k, p, i, end);
	} else if (s->st == ST_VALUE) {
		j = ts_h1_value_run(k, p, i, end);
	}
	s->count += (uint32_t)(j - i);
	return j;
}

/* Bytes of a line not read (a header not kept, a reason phrase, chunk
 * extensions, trailers) up to the LF: as many as step() would count. */
static size_t skip_line(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t len)
{
	struct ts_http1_side *s = k->s;
	const unsigned char *lf = memchr(p + i, '\n', len - i);
	size_t n = lf ? (size_t)(lf - p) - i : len - i;
	size_t room = TS_HTTP1_HEAD_MAX - s->count;
	if (n > room) {
		k->at = i + room + 1;
		ts_h1_bad(k, TS_HTTP1_STOP_HEAD_TOO_LARGE);
		return len;
	}
	s->count += (uint32_t)n;
	return i + n;
}

unsigned ts_http1_feed(struct ts_http1_conn *c, enum ts_http1_dir dir, const void *buf, size_t len,
		       size_t *pos, struct ts_http1_event *ev, unsigned max_ev)
{
	size_t i = *pos;
	if (i >= len)
		return 0;
	if ((unsigned)dir > TS_HTTP1_IN || max_ev < TS_HTTP1_MIN_EV || !buf || !ev)
		c->state = TS_HTTP1_OFF;   /* the caller's mistake: never write out of bounds */
	if (c->state == TS_HTTP1_DETECT && c->detect_dir != dir && c->detect_dir != TS_H1_NO_DIR)
		c->state = TS_HTTP1_OFF;   /* the other side spoke before a request line was whole */
	if (c->state == TS_HTTP1_OFF) {
		*pos = len;
		return 0;
	}
	struct ts_http1_side *s = &c->side[dir];
	if (i == 0)
		s->begin_at = s->cr_at = TS_HTTP1_NOT_HERE;
	if (c->detect_dir == TS_H1_NO_DIR) {
		c->detect_dir = (uint8_t)dir;
		s->st = ST_METHOD;
	}
	if (c->state == TS_HTTP1_DETECT && !c->req.method_len) {
		/* Empty lines before the first request line (RFC 9112 2.2: a
		 * server ignores at least one), a few bytes of them at most. */
		const unsigned char *b = buf;
		while (i < len && (b[i] == '\r' || b[i] == '\n') && c->lead < LEAD_MAX) {
			i++;
			c->lead++;
		}
		if (i == len) {
			*pos = len;
			return 0;
		}
		s->begin_at = i;   /* the request begins with its method */
	}
	if (c->state == TS_HTTP1_DETECT && !c->req.method_len && !ts_h1_tchar(((const unsigned char *)buf)[i])) {
		/* Not a method's first byte (a TLS record's, say): not HTTP, as
		 * step() would find, without going round the loop. */
		c->state = TS_HTTP1_OFF;
		*pos = len;
		return 0;
	}
	struct ts_h1_call k = {.c = c, .s = s, .ev = ev, .max = max_ev, .dir = (uint8_t)dir,
			       .req = dir == c->detect_dir};   /* the direction where a request was first seen */
	const unsigned char *p = buf;
	size_t j;
	while (i < len && c->state != TS_HTTP1_OFF) {
		if (s->st == ST_BODY || s->st == ST_CHUNK_DATA) {
			size_t n = len - i < s->remain ? len - i : (size_t)s->remain;
			s->remain -= n;
			i += n;
			k.at = i;
			if (s->remain)
				continue;
			if (s->st == ST_BODY) {
				ts_h1_message_end(&k);
			} else {
				s->st = ST_CHUNK_END;
				s->count = 0;
			}
		} else if (s->st == ST_UNTIL_CLOSE) {
			i = len;
		} else if (ts_h1_lines_may(&k) && (j = ts_h1_lines(&k, p, i, len)) != i) {
			i = j;   /* whole lines (http1_fast.c) */
		} else {
			if (s->st == ST_SKIP_LINE || s->st == ST_REASON || s->st == ST_CHUNK_EXT ||
			    s->st == ST_TRAILER_LINE) {
				i = skip_line(&k, p, i, len);
				if (i == len)
					break;
			} else if (s->st == ST_NAME || s->st == ST_TARGET || s->st == ST_VALUE) {
				i = run(&k, p, i, len);
				if (i == len)
					break;
			}
			k.at = i + 1;
			step(&k, p[i++]);
		}
		if (k.n && (k.stop || max_ev - k.n < TS_HTTP1_MIN_EV))
			break;
	}
	*pos = c->state == TS_HTTP1_OFF ? len : i;
	return k.n;
}

unsigned ts_http1_skip(struct ts_http1_conn *c, enum ts_http1_dir dir, uint64_t n,
		       struct ts_http1_event *ev, unsigned max_ev)
{
	if (c->state == TS_HTTP1_OFF || !n)
		return 0;
	if ((unsigned)dir > TS_HTTP1_IN || max_ev < TS_HTTP1_MIN_EV || !ev ||
	    c->state == TS_HTTP1_DETECT) {
		c->state = TS_HTTP1_OFF;   /* unseen first bytes: not known to be HTTP */
		return 0;
	}
	struct ts_http1_side *s = &c->side[dir];
	s->begin_at = s->cr_at = TS_HTTP1_NOT_HERE;
	struct ts_h1_call k = {.c = c, .s = s, .ev = ev, .max = max_ev, .dir = (uint8_t)dir,
			       .req = dir == c->detect_dir};
	if ((s->st == ST_BODY || s->st == ST_CHUNK_DATA) && n <= s->remain) {
		s->remain -= n;
		if (!s->remain && s->st == ST_BODY) {
			ts_h1_message_end(&k);
		} else if (!s->remain) {
			s->st = ST_CHUNK_END;
			s->count = 0;
		}
	} else if (s->st != ST_UNTIL_CLOSE) {
		ts_h1_bad(&k, TS_HTTP1_STOP_UNSEEN);
	}
	return k.n;
}
