/* HTTP/1.1 request parsing (see http.h). Everything is bounded: the header
 * block, each chunk-size line, and the decoded body. */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEADER_MAX 16384

/* Finds "\r\n" in [p, end); NULL if absent. */
static const char *line_end(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static bool copy_field(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, src, n);
	dst[n] = 0;
	return true;
}

static bool header_is(const char *line, size_t n, const char *name, const char **value, size_t *vlen)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return false;
	const char *v = line + k + 1, *e = line + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*value = v;
	*vlen = (size_t)(e - v);
	return true;
}

static bool parse_size(const char *s, size_t n, int base, size_t *out)
{
	size_t v = 0;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d = isdigit((unsigned char)s[i]) ? s[i] - '0' :
			base == 16 && isxdigit((unsigned char)s[i]) ? tolower((unsigned char)s[i]) - 'a' + 10 : -1;
		if (d < 0 || v > (SIZE_MAX - (size_t)d) / (size_t)base)
			return false;
		v = v * (size_t)base + (size_t)d;
	}
	*out = v;
	return true;
}

/* De-chunks [p, end) into body; returns the result and sets *used. */
static enum ts_http_result dechunk(const char *p, const char *end, size_t max_body, uint8_t *body,
				   size_t *body_len, const char **after)
{
	size_t total = 0;
	for (;;) {
		const char *le = line_end(p, end);
		if (!le)
			return end - p > 64 ? TS_HTTP_BAD : TS_HTTP_INCOMPLETE;
		const char *semi = memchr(p, ';', (size_t)(le - p));   /* chunk extensions */
		size_t size;
		if (!parse_size(p, (size_t)((semi ? semi : le) - p), 16, &size))
			return TS_HTTP_BAD;
		p = le + 2;
		if (size == 0) {
			/* Trailer section: header lines until an empty line. */
			for (;;) {
				const char *te = line_end(p, end);
				if (!te)
					return TS_HTTP_INCOMPLETE;
				if (te == p) {
					*body_len = total;
					*after = te + 2;
					return TS_HTTP_OK;
				}
				p = te + 2;
			}
		}
		if (size > max_body - total)
			return TS_HTTP_TOO_LARGE;
		if ((size_t)(end - p) < size + 2)
			return TS_HTTP_INCOMPLETE;
		memcpy(body + total, p, size);
		total += size;
		p += size;
		if (p[0] != '\r' || p[1] != '\n')
			return TS_HTTP_BAD;
		p += 2;
	}
}

enum ts_http_result ts_http_parse(const char *buf, size_t len, size_t max_body,
				  struct ts_http_request *req, uint8_t *body, size_t *consumed)
{
	const char *end = buf + len;
	const char *hdr_end = NULL;
	for (const char *p = buf; p + 3 < end; p++)
		if (!memcmp(p, "\r\n\r\n", 4)) {
			hdr_end = p;
			break;
		}
	if (!hdr_end)
		return len > HEADER_MAX ? TS_HTTP_BAD : TS_HTTP_INCOMPLETE;
	if (hdr_end - buf > HEADER_MAX)
		return TS_HTTP_BAD;
	memset(req, 0, sizeof *req);
	req->keep_alive = true;

	/* Request line: METHOD SP PATH SP HTTP/1.x */
	const char *le = line_end(buf, hdr_end + 2);
	const char *sp1 = memchr(buf, ' ', (size_t)(le - buf));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1)) : NULL;
	if (!sp2 || !copy_field(req->method, sizeof req->method, buf, (size_t)(sp1 - buf)) ||
	    !copy_field(req->path, sizeof req->path, sp1 + 1, (size_t)(sp2 - sp1 - 1)) ||
	    (size_t)(le - sp2 - 1) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7))
		return TS_HTTP_BAD;
	if (sp2[8] == '0')
		req->keep_alive = false;

	bool have_length = false, chunked = false;
	size_t length = 0;
	for (const char *line = le + 2; line < hdr_end + 2;) {
		const char *e = line_end(line, hdr_end + 2);
		size_t n = (size_t)(e - line), vlen;
		const char *v;
		if (header_is(line, n, "Content-Length", &v, &vlen)) {
			size_t l;
			if (!parse_size(v, vlen, 10, &l) || (have_length && l != length))
				return TS_HTTP_BAD;
			have_length = true;
			length = l;
		} else if (header_is(line, n, "Transfer-Encoding", &v, &vlen)) {
			if (vlen != 7 || strncasecmp(v, "chunked", 7))
				return TS_HTTP_BAD;   /* no other transfer coding is accepted */
			chunked = true;
		} else if (header_is(line, n, "Content-Encoding", &v, &vlen)) {
			if (vlen == 4 && !strncasecmp(v, "gzip", 4))
				req->gzip = true;
			else if (!(vlen == 8 && !strncasecmp(v, "identity", 8)))
				return TS_HTTP_BAD;
		} else if (header_is(line, n, "Content-Type", &v, &vlen)) {
			if (!copy_field(req->content_type, sizeof req->content_type, v, vlen))
				return TS_HTTP_BAD;
		} else if (header_is(line, n, "Connection", &v, &vlen)) {
			if (vlen == 5 && !strncasecmp(v, "close", 5))
				req->keep_alive = false;
		}
		line = e + 2;
	}
	if (chunked && have_length)
		return TS_HTTP_BAD;   /* ambiguous framing: a smuggling vector */

	const char *p = hdr_end + 4;
	if (chunked) {
		const char *after;
		enum ts_http_result r = dechunk(p, end, max_body, body, &req->body_len, &after);
		if (r == TS_HTTP_OK)
			*consumed = (size_t)(after - buf);
		return r;
	}
	if (length > max_body)
		return TS_HTTP_TOO_LARGE;
	if ((size_t)(end - p) < length)
		return TS_HTTP_INCOMPLETE;
	memcpy(body, p, length);
	req->body_len = length;
	*consumed = (size_t)(p - buf) + length;
	return TS_HTTP_OK;
}
