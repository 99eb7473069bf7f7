/* The request line's fields for the HTTP/1 sniffer (http1.h): the method,
 * and the target split into path and query, query values "REDACTED" unless
 * asked otherwise, the user:password of an absolute URL always. */
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
	/* By length, then compares of known lengths (no call). */
#define IS(name, method) (!memcmp(m, name, sizeof name - 1) ? method : TS_HTTP1_METHOD_OTHER)
	switch (len) {
	case 3:
		return m[0] == 'G' ? IS("GET", TS_HTTP1_GET) : IS("PUT", TS_HTTP1_PUT);
	case 4:
		return m[0] == 'H' ? IS("HEAD", TS_HTTP1_HEAD) : IS("POST", TS_HTTP1_POST);
	case 5:
		return m[0] == 'T' ? IS("TRACE", TS_HTTP1_TRACE) : IS("PATCH", TS_HTTP1_PATCH);
	case 6:
		return IS("DELETE", TS_HTTP1_DELETE);
	case 7:
		return m[0] == 'C' ? IS("CONNECT", TS_HTTP1_CONNECT) : IS("OPTIONS", TS_HTTP1_OPTIONS);
	default:
		return TS_HTTP1_METHOD_OTHER;   /* methods are case-sensitive: "get" is not GET */
	}
#undef IS
}

/* Appends p[i, j) to a field, as ts_h1_put() would byte by byte. */
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

/* A string, as ts_h1_put() would add it byte by byte (put_run). */
static void put_str(char *f, uint16_t *len, unsigned cap, uint32_t *flags, uint32_t cut, const char *s)
{
	put_run(f, len, cap, flags, cut, (const unsigned char *)s, 0, strlen(s));
}

static void query_byte(struct ts_h1_call *k, unsigned char b)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	const uint32_t cut = TS_HTTP1_F_QUERY_CUT;
	if (k->c->opts & TS_HTTP1_QUERY_RAW) {
		ts_h1_put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, (char)b);
	} else if (b == '&') {
		s->sub = T_QNAME;
		ts_h1_put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, '&');
	} else if (s->sub == T_QVALUE) {
		/* a value: never copied */
	} else if (b == '=') {
		s->sub = T_QVALUE;
		/* Whole or not at all: a name must not look followed by part of a word. */
		if (r->query_len + sizeof redacted > TS_HTTP1_QUERY_MAX)
			s->flags |= cut;
		ts_h1_put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, '=');
		put_str(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, redacted);
	} else {
		ts_h1_put(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, cut, (char)b);
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
			ts_h1_put(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, cut, '/');
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
	ts_h1_put(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, cut, (char)b);
}

size_t ts_h1_target_run(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	bool raw = k->c->opts & TS_HTTP1_QUERY_RAW;
	size_t j = i;
	if (s->sub == T_PATH) {
		j = ts_h1_plain_run(p, i, end, '?', '?');
		put_run(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, TS_HTTP1_F_PATH_CUT, p, i, j);
	} else if (s->sub == T_QVALUE && !raw) {
		j = ts_h1_plain_run(p, i, end, '&', '&');
	} else if (s->sub >= T_QNAME) {
		j = raw ? ts_h1_plain_run(p, i, end, 0, 0) : ts_h1_plain_run(p, i, end, '&', '=');
		put_run(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, TS_HTTP1_F_QUERY_CUT, p, i, j);
	}
	return j;
}

void ts_h1_target_whole(struct ts_h1_call *k, const unsigned char *p, size_t i, size_t end)
{
	struct ts_http1_side *s = k->s;
	struct ts_http1_request *r = &k->c->req;
	if (s->sub != T_START || p[i] != '/') {
		while (i < end) {   /* any other form: as the byte-wise path alternates them */
			i = ts_h1_target_run(k, p, i, end);
			if (i < end)
				ts_h1_target_byte(k, p[i++]);
		}
		return;
	}
	/* "/path?query", most targets: the path is all up to the first '?'. */
	const unsigned char *q = memchr(p + i, '?', end - i);
	size_t j = q ? (size_t)(q - p) : end;
	s->sub = T_PATH;
	put_run(r->path, &r->path_len, TS_HTTP1_PATH_MAX, &s->flags, TS_HTTP1_F_PATH_CUT, p, i, j);
	if (j == end)
		return;
	s->flags |= TS_HTTP1_F_QUERY;
	s->sub = T_QNAME;
	i = j + 1;
	if (k->c->opts & TS_HTTP1_QUERY_RAW) {
		put_run(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, TS_HTTP1_F_QUERY_CUT, p, i, end);
		return;
	}
	while (i < end) {   /* a name, or a value (not copied), then what query_byte() makes of its end */
		j = i;
		if (s->sub == T_QVALUE) {
			while (j < end && p[j] != '&')
				j++;
		} else {
			while (j < end && p[j] != '&' && p[j] != '=')
				j++;
			put_run(r->query, &r->query_len, TS_HTTP1_QUERY_MAX, &s->flags, TS_HTTP1_F_QUERY_CUT, p, i, j);
		}
		if (j < end)
			query_byte(k, p[j++]);
		i = j;
	}
}
