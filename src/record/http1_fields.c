/* The fields the HTTP/1 sniffer keeps (http1.h): the request target split
 * into path and query (query values "REDACTED" unless asked otherwise, the
 * user:password of an absolute URL always), and the values of the few headers
 * it reads: Host, User-Agent, traceparent and tracestate kept as text,
 * Content-Length, Transfer-Encoding and Connection read for framing, Upgrade
 * noted. Nothing else of a header and no body byte is ever copied: what is
 * not named here is skipped by http1.c without being looked at. */
#include "http1_int.h"

#include <string.h>

/* ts_http1_side.sub while reading a target: where in it the byte is. */
enum { T_START, T_SCHEME, T_COLON, T_SLASH, T_AUTH, T_PATH, T_QNAME, T_QVALUE };

static const char redacted[] = "REDACTED";

static const char *const method_names[] = {
	"_OTHER", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

const char *ts_http1_method_name(unsigned method)
{
	return method_names[method < sizeof method_names / sizeof *method_names ? method : 0];
}

unsigned ts_h1_method_of(const char *m, unsigned len)
{
	for (unsigned i = 1; i < sizeof method_names / sizeof *method_names; i++)
		if (strlen(method_names[i]) == len && !memcmp(method_names[i], m, len))
			return i;
	return TS_HTTP1_METHOD_OTHER;   /* methods are case-sensitive: "get" is not GET */
}

static inline bool blank(unsigned char b)
{
	return b == ' ' || b == '\t';
}

/* Appends b to a field of cap bytes; once a byte did not fit (the `cut` flag
 * is set) nothing more is added, so a field is always a prefix. */
static void put(char *f, uint16_t *len, unsigned cap, uint32_t *flags, uint32_t cut, char b)
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

static void put_str(char *f, uint16_t *len, unsigned cap, uint32_t *flags, uint32_t cut, const char *s)
{
	while (*s)
		put(f, len, cap, flags, cut, *s++);
}

static void query_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	const uint32_t cut = TS_HTTP1_F_QUERY_CUT;
	if (k->c->opts & TS_HTTP1_QUERY_RAW) {
		put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, (char)b);
	} else if (b == '&') {
		s->sub = T_QNAME;
		put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, '&');
	} else if (s->sub == T_QVALUE) {
		/* a value: never copied */
	} else if (b == '=') {
		s->sub = T_QVALUE;
		/* Whole or not at all: a name must not look followed by part of a word. */
		if (r->query_len + sizeof redacted > TS_HTTP1_QUERY_MAX)
			s->flags |= cut;
		put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, '=');
		put_str(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, redacted);
	} else {
		put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, (char)b);
	}
}

void ts_h1_target_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	const uint32_t cut = TS_HTTP1_F_PATH_CUT;
	if (s->sub >= T_QNAME) {
		query_byte(k, b);
		return;
	}
	if (b == '?') {
		s->flags |= TS_HTTP1_F_QUERY;
		s->sub = T_QNAME;
		return;
	}
	/* An absolute-form target ("http://user:pw@host/p"): find its
	 * authority, to drop a user and password from what is kept. Anything
	 * up to a ':' counts as a scheme, so that no odd byte lets one through. */
	switch (s->sub) {
	case T_START:
		if (b == '/' || b == '*') {
			s->sub = T_PATH;
			break;
		}
		s->sub = T_SCHEME;
		/* fall through */
	case T_SCHEME:
		if (b == ':')
			s->sub = T_COLON;
		else if (b == '/')
			s->sub = T_PATH;
		break;
	case T_COLON:
		s->sub = b == '/' ? T_SLASH : T_PATH;   /* else authority-form, "host:port" */
		break;
	case T_SLASH:
		if (b == '/') {
			put(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, cut, '/');
			s->sub = T_AUTH;
			s->mark = r->path_len;
			return;
		}
		s->sub = T_PATH;
		break;
	case T_AUTH:
		if (b == '/') {
			s->sub = T_PATH;
		} else if (b == '@') {
			/* What came since "//" was a user: take it back. */
			r->path_len = s->mark;
			r->path[r->path_len] = 0;
			s->flags &= ~cut;
			put_str(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, cut, "REDACTED:REDACTED@");
			return;
		}
		break;
	default:
		break;
	}
	put(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, cut, (char)b);
}

static bool plain(unsigned char b)
{
	return b > ' ' && b != 0x7f;
}

/* Appends p[i, j) to a field, as put() would byte by byte. */
static void put_run(char *f, uint16_t *len, unsigned cap, uint32_t *flags, uint32_t cut,
		    const unsigned char *p, size_t i, size_t j)
{
	if (i == j || (*flags & cut))
		return;
	size_t n = j - i;
	if (n > cap - *len) {
		n = cap - *len;
		*flags |= cut;
	}
	memcpy(f + *len, p + i, n);
	*len = (uint16_t)(*len + n);
	f[*len] = 0;
}

size_t ts_h1_target_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	bool raw = k->c->opts & TS_HTTP1_QUERY_RAW;
	size_t j = i;
	if (s->sub == T_PATH) {
		while (j < end && plain(p[j]) && p[j] != '?')
			j++;
		put_run(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, TS_HTTP1_F_PATH_CUT, p, i, j);
	} else if (s->sub == T_QVALUE && !raw) {
		while (j < end && plain(p[j]) && p[j] != '&')
			j++;
	} else if (s->sub >= T_QNAME) {
		while (j < end && plain(p[j]) && (raw || (p[j] != '&' && p[j] != '=')))
			j++;
		put_run(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, TS_HTTP1_F_QUERY_CUT, p, i, j);
	}
	return j;
}

unsigned ts_h1_header_of(const struct ts_h1_call *k)
{
#define NAME(s) s, sizeof s - 1
	static const struct {
		const char *name;
		uint8_t len, hdr, req_only;
	} names[] = {
		{NAME("content-length"), H_LENGTH, 0}, {NAME("transfer-encoding"), H_TE, 0},
		{NAME("connection"), H_CONNECTION, 0}, {NAME("host"), H_HOST, 1},
		{NAME("user-agent"), H_USER_AGENT, 1}, {NAME("traceparent"), H_TRACEPARENT, 1},
		{NAME("tracestate"), H_TRACESTATE, 1}, {NAME("upgrade"), H_UPGRADE, 1},
	};
#undef NAME
	const struct ts_http1_side *s = k->s;
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].len == s->toklen && (k->req || !names[i].req_only) &&
		    !memcmp(names[i].name, s->tok, s->toklen))
			return names[i].hdr;
	return H_NONE;   /* including names longer than tok */
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
			put(f.text, f.len, f.cap, &s->flags, f.cut, ',');
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

/* The end of a token of Transfer-Encoding or Connection (in s->tok). */
static void token_end(struct ts_http1_side *s)
{
	unsigned n = s->toklen;
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

/* A comma-separated list of tokens, each maybe with ";parameters". */
static void list_byte(struct ts_http1_side *s, unsigned char b)
{
	if (b == ',') {
		if (s->sub == 1)
			token_end(s);
		s->sub = 0;
	} else if (blank(b) && s->sub == 0) {
		/* blanks before a token */
	} else if (blank(b) || b == ';') {
		if (s->sub == 1)
			token_end(s);
		s->sub = 2;   /* what follows, up to a comma, is not read */
	} else if (s->sub != 2) {
		if (s->sub == 0)
			s->toklen = 0;
		s->sub = 1;
		if (s->toklen < sizeof s->tok)
			s->tok[s->toklen] = (char)(b | ((b >= 'A' && b <= 'Z') ? 0x20 : 0));
		if (s->toklen < UINT8_MAX)
			s->toklen++;
	}
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
	struct field f = field_of(k);
	if (!f.text)
		return i;   /* Content-Length and lists: short, byte by byte */
	/* text_byte() with the state in locals: the text's bytes may alias it. */
	struct ts_http1_side *s = k->s;
	unsigned len = *f.len, mark = s->mark, sub = s->sub;
	uint32_t flags = s->flags;
	for (; i < end && p[i] != '\r' && p[i] != '\n'; i++) {
		unsigned char b = p[i];
		if (sub == 0 && blank(b))
			continue;
		sub = 1;
		if (flags & f.cut)
			continue;
		if (len >= f.cap) {
			if (!blank(b))
				flags |= f.cut;
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
	s->flags = flags;
	return i;
}

unsigned ts_h1_value_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	if (s->hdr == H_LENGTH) {
		if (!length_byte(s, b))
			return TS_HTTP1_STOP_BAD_LENGTH;
	} else if (s->hdr == H_TE || s->hdr == H_CONNECTION) {
		list_byte(s, b);
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
			token_end(s);
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
