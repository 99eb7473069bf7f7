/* The header values the HTTP/1 sniffer keeps (http1.h): Host, User-Agent,
 * traceparent and tracestate kept as text, Content-Length,
 * Transfer-Encoding and Connection read for framing, Upgrade noted. Nothing
 * else of a header and no body byte is ever copied: a header not named by
 * ts_h1_header_of (http1_fast.c) is skipped without being looked at. */
#include "http1_int.h"

#include <string.h>

static inline bool blank(unsigned char b)
{
	return b == ' ' || b == '\t';
}

/* A text field of the request, by header. */
struct field {
	char *text;
	uint16_t *len;
	unsigned cap;
	uint32_t seen, cut;
};

static struct field field_of(struct ts_h1_call *k)
{
	struct ts_http1_request *r = &k->c->req;
	switch (k->s->hdr) {
	case H_HOST:
		return (struct field){r->host, &r->host_len, TS_HTTP1_HOST_MAX, TS_HTTP1_F_HOST,
				      TS_HTTP1_F_HOST_CUT};
	case H_USER_AGENT:
		return (struct field){r->user_agent, &r->user_agent_len, TS_HTTP1_USER_AGENT_MAX,
				      TS_HTTP1_F_USER_AGENT, TS_HTTP1_F_USER_AGENT_CUT};
	case H_TRACEPARENT:
		return (struct field){r->traceparent, &r->traceparent_len, TS_HTTP1_TRACEPARENT_MAX,
				      TS_HTTP1_F_TRACEPARENT, TS_HTTP1_F_TRACEPARENT_CUT};
	case H_TRACESTATE:
		return (struct field){r->tracestate, &r->tracestate_len, TS_HTTP1_TRACESTATE_MAX,
				      TS_HTTP1_F_TRACESTATE, TS_HTTP1_F_TRACESTATE_CUT};
	default:
		return (struct field){0};
	}
}

bool ts_h1_value_start(struct ts_h1_call *k)
{
	struct ts_http1_side *s = k->s;
	s->sub = 0;
	s->num = 0;
	s->toklen = 0;
	struct field f = field_of(k);
	switch (s->hdr) {
	case H_HOST:
	case H_USER_AGENT:
	case H_TRACEPARENT:
		if (s->flags & f.seen)
			return false;   /* the first one is kept */
		break;
	case H_TRACESTATE:
		/* W3C trace-context: several headers make one list. */
		if (s->flags & f.seen)
			ts_h1_put(f.text, f.len, f.cap, &s->flags, f.cut, ',');
		break;
	case H_TE:
		s->te |= TE_SEEN;
		return true;
	case H_UPGRADE:
		s->flags |= TS_HTTP1_F_UPGRADE;
		return false;
	default:
		return true;
	}
	s->flags |= f.seen;
	s->mark = *f.len;
	return true;
}

/* A length read (s->num): false if another one was different. */
static bool length_done(struct ts_http1_side *s)
{
	if ((s->flags & TS_HTTP1_F_LENGTH) && s->length != s->num)
		return false;
	s->flags |= TS_HTTP1_F_LENGTH;
	s->length = s->num;
	return true;
}

/* A Content-Length value: digits, or a list of equal ones (RFC 9110 8.6). */
static bool length_byte(struct ts_http1_side *s, unsigned char b)
{
	if (b >= '0' && b <= '9' && s->sub != 2 && s->num < 100000000000000000ull) {
		s->num = s->num * 10 + (b - '0');
		s->sub = 1;
	} else if (blank(b)) {
		if (s->sub == 1)
			s->sub = 2;
	} else if (b == ',' && s->sub) {
		if (!length_done(s))
			return false;
		s->num = 0;
		s->sub = 0;
	} else {
		return false;
	}
	return true;
}

/* The end of a token of Transfer-Encoding or Connection (its n bytes in s->tok). */
static void token_end(struct ts_http1_side *s, unsigned n)
{
	bool is = n <= sizeof s->tok;
	if (s->hdr == H_TE) {
		if (is && n == 7 && !memcmp(s->tok, "chunked", 7))
			s->te |= TE_CHUNKED;
		else
			s->te &= ~TE_CHUNKED;   /* chunked must be the last coding */
	} else if (is && n == 5 && !memcmp(s->tok, "close", 5)) {
		s->flags |= TS_HTTP1_F_CLOSE;
	} else if (is && n == 10 && !memcmp(s->tok, "keep-alive", 10)) {
		s->flags |= TS_HTTP1_F_KEEP_ALIVE;
	}
}

/* A comma-separated list of tokens, each maybe with ";parameters". The
 * state is in the caller's locals (sub, and toklen in n) as tok's bytes may
 * alias it. */
static inline void list_byte(struct ts_http1_side *s, unsigned *sub, unsigned *n, unsigned char b)
{
	if (b == ',') {
		if (*sub == 1)
			token_end(s, *n);
		*sub = 0;
	} else if (blank(b) && *sub == 0) {
		/* blanks before a token */
	} else if (blank(b) || b == ';') {
		if (*sub == 1)
			token_end(s, *n);
		*sub = 2;   /* what follows, up to a comma, is not read */
	} else if (*sub != 2) {
		if (*sub == 0)
			*n = 0;
		*sub = 1;
		if (*n < sizeof s->tok)
			s->tok[*n] = (char)(b | ((b >= 'A' && b <= 'Z') ? 0x20 : 0));
		if (*n < UINT8_MAX)
			++*n;
	}
}

/* list_byte() for each byte of p[i, end) up to a CR or LF, the bytes of a
 * token (most) in a loop of their own. */
static size_t list_run(struct ts_http1_side *s, const unsigned char *p, size_t i, size_t end)
{
	unsigned sub = s->sub, n = s->toklen;
	while (i < end && p[i] != '\r' && p[i] != '\n') {
		unsigned char b = p[i];
		if (sub == 2 || b <= ' ' || b == ',' || b == ';') {
			list_byte(s, &sub, &n, b);
			i++;
			continue;
		}
		if (sub == 0)
			n = 0;
		sub = 1;
		do {
			if (n < sizeof s->tok)
				s->tok[n] = (char)(b | ((b >= 'A' && b <= 'Z') ? 0x20 : 0));
			n += n < UINT8_MAX;
		} while (++i < end && (b = p[i]) > ' ' && b != ',' && b != ';');
	}
	s->sub = (uint8_t)sub;
	s->toklen = (uint8_t)n;
	return i;
}

/* One byte of a text value: blanks before it are dropped, and those after it
 * by ts_h1_value_end (mark is the end of its last other byte). */
static inline void text_byte(struct ts_http1_side *s, const struct field *f, unsigned char b)
{
	if (s->sub == 0 && blank(b))
		return;
	s->sub = 1;
	if (s->flags & f->cut)
		return;
	if (*f->len >= f->cap) {
		if (!blank(b))
			s->flags |= f->cut;   /* trailing blanks that do not fit are no loss */
		return;
	}
	f->text[(*f->len)++] = (char)((b < 0x20 && b != '\t') || b == 0x7f ? '?' : b);
	f->text[*f->len] = 0;
	if (!blank(b))
		s->mark = *f->len;
}

size_t ts_h1_value_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end)
{
	struct ts_http1_side *s = k->s;
	if (s->hdr == H_TE || s->hdr == H_CONNECTION)
		return list_run(s, p, i, end);
	struct field f = field_of(k);
	if (!f.text)
		return i;   /* Content-Length: short, byte by byte */
	/* text_byte() with the state in locals (the text's bytes may alias
	 * it), and 8 bytes at a time where none is a control byte or DEL (a
	 * CR or LF ends the run), once past the blanks before the value. */
	unsigned len = *f.len, mark = s->mark, sub = s->sub;
	bool cut = s->flags & f.cut;
	while (i < end) {
		if (sub && end - i >= 8 && (cut || f.cap - len >= 8)) {
			uint64_t w = ts_h1_word(p + i);
			if (!(ts_h1_below(w, 0x20) | ts_h1_has(w, 0x7f))) {
				if (!cut) {
					memcpy(f.text + len, p + i, 8);
					len += 8;
					for (unsigned n = 8; n; n--) {   /* its last byte, mostly */
						if (p[i + n - 1] != ' ') {
							mark = len - 8 + n;
							break;
						}
					}
				}
				i += 8;
				continue;
			}
		}
		unsigned char b = p[i];
		if (b == '\r' || b == '\n')
			break;
		i++;
		if (sub == 0 && blank(b))
			continue;
		sub = 1;
		if (cut)
			continue;
		if (len >= f.cap) {
			cut = !blank(b);   /* trailing blanks that do not fit are no loss */
			continue;
		}
		f.text[len++] = (char)((b < 0x20 && b != '\t') || b == 0x7f ? '?' : b);
		if (!blank(b))
			mark = len;
	}
	f.text[len] = 0;
	*f.len = (uint16_t)len;
	s->mark = (uint16_t)mark;
	s->sub = (uint8_t)sub;
	if (cut)
		s->flags |= f.cut;
	return i;
}

/* text_byte() for each byte of p[i, end), none a control byte or DEL (so
 * the only blank is a space): the blanks before the value skipped, what
 * fits copied at once, the cut flag if a byte that is not blank does not. */
static void text_whole(struct ts_http1_side *s, const struct field *f, const unsigned char *p, size_t i,
		       size_t end)
{
	if (s->sub == 0) {
		while (i < end && p[i] == ' ')
			i++;
		if (i == end)
			return;
		s->sub = 1;
	}
	if (s->flags & f->cut)
		return;
	size_t room = f->cap - *f->len, take = end - i < room ? end - i : room, last = take;
	if (take) {
		memcpy(f->text + *f->len, p + i, take);
		while (last && p[i + last - 1] == ' ')
			last--;
		if (last)
			s->mark = (uint16_t)(*f->len + last);
		*f->len = (uint16_t)(*f->len + take);
		f->text[*f->len] = 0;
	}
	for (i += take; i < end; i++) {
		if (p[i] != ' ') {   /* trailing blanks that do not fit are no loss */
			s->flags |= f->cut;
			break;
		}
	}
}

unsigned ts_h1_value_line(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t lf, size_t *at)
{
	/* Each kind of value read straight (ts_h1_value_run and
	 * ts_h1_value_byte in turn would do the same), without the CR before
	 * the LF; a CR in a value is dropped. */
	struct ts_http1_side *s = k->s;
	size_t end = lf > i && p[lf - 1] == '\r' ? lf - 1 : lf;
	if (s->hdr == H_LENGTH) {
		for (; i < end; i++) {
			if (p[i] != '\r' && !length_byte(s, p[i])) {
				*at = i + 1;
				return TS_HTTP1_STOP_BAD_LENGTH;
			}
		}
		return 0;
	}
	if (s->hdr == H_TE || s->hdr == H_CONNECTION) {
		while ((i = list_run(s, p, i, end)) < end)
			i++;
		return 0;
	}
	struct field f = field_of(k);
	if (f.text && ts_h1_none_below(p, i, end, 0x20))
		text_whole(s, &f, p, i, end);
	else
		while ((i = ts_h1_value_run(k, p, i, end)) < end)
			i++;   /* a CR */
	return 0;
}

unsigned ts_h1_value_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	if (s->hdr == H_LENGTH) {
		if (!length_byte(s, b))
			return TS_HTTP1_STOP_BAD_LENGTH;
	} else if (s->hdr == H_TE || s->hdr == H_CONNECTION) {
		unsigned sub = s->sub, n = s->toklen;
		list_byte(s, &sub, &n, b);
		s->sub = (uint8_t)sub;
		s->toklen = (uint8_t)n;
	} else {
		struct field f = field_of(k);
		if (f.text)
			text_byte(s, &f, b);
	}
	return 0;
}

unsigned ts_h1_value_end(struct ts_h1_call *k)
{
	struct ts_http1_side *s = k->s;
	if (s->hdr == H_LENGTH)   /* empty, or two lengths */
		return s->sub == 0 || !length_done(s) ? TS_HTTP1_STOP_BAD_LENGTH : 0;
	if (s->hdr == H_TE || s->hdr == H_CONNECTION) {
		if (s->sub == 1)
			token_end(s, s->toklen);
		return 0;
	}
	struct field f = field_of(k);
	if (!f.text)
		return 0;
	*f.len = s->mark;   /* without trailing blanks */
	if (s->hdr == H_TRACESTATE && (s->flags & f.cut)) {
		/* A cut list keeps whole members only (W3C trace-context). */
		while (*f.len && f.text[*f.len - 1] != ',')
			--*f.len;
		while (*f.len && (f.text[*f.len - 1] == ',' || blank((unsigned char)f.text[*f.len - 1])))
			--*f.len;
	}
	f.text[*f.len] = 0;
	return 0;
}
