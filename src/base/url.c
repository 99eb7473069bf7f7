/* OTLP endpoint URLs: the parser and the redaction of URLs in messages (see
 * url.h). */
#include "url.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_unreserved(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_sub_delim(unsigned char c)
{
	return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Checks s[from, to) against a character class, %XX escapes allowed. */
static bool all_of(const char *s, size_t from, size_t to, bool (*ok)(unsigned char))
{
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= to || !is_hex((unsigned char)s[i + 1]) ||
			    !is_hex((unsigned char)s[i + 2]))
				return false;
			i += 2;
		} else if (!ok(c)) {
			return false;
		}
	}
	return true;
}

static bool userinfo_char(unsigned char c)
{
	return is_unreserved(c) || is_sub_delim(c) || c == ':';
}

/* Names may be internationalised (IDNA is libcurl's business): bytes over
 * 0x7f pass. */
static bool host_char(unsigned char c)
{
	return is_unreserved(c) || is_sub_delim(c) || c >= 0x80;
}

/* "[...]" holds an IPv6 address, optionally "%25" and a zone (RFC 6874). */
static const char *check_ipv6(const char *s, size_t from, size_t to)
{
	char addr[INET6_ADDRSTRLEN + 1];
	size_t end = from;
	while (end < to && s[end] != '%')
		end++;
	if (end < to) {
		if (to - end < 4 || strncmp(s + end, "%25", 3) ||
		    !all_of(s, end + 3, to, is_unreserved))
			return "the IPv6 zone is not written %25 and a name";
	}
	if (end - from >= sizeof addr)
		return "the IPv6 address is not valid";
	memcpy(addr, s + from, end - from);
	addr[end - from] = 0;
	unsigned char bin[16];
	return inet_pton(AF_INET6, addr, bin) == 1 ? NULL : "the IPv6 address is not valid";
}

static size_t scheme_length(const char *s, size_t len, bool *https)
{
	if (len >= 7 && !strncasecmp(s, "http://", 7)) {
		*https = false;
		return 7;
	}
	if (len >= 8 && !strncasecmp(s, "https://", 8)) {
		*https = true;
		return 8;
	}
	return 0;
}

const char *ts_url_parse(const char *s, size_t len, struct ts_url *out)
{
	struct ts_url u;
	memset(&u, 0, sizeof u);
	if (!s || !len)
		return "it is empty";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return "it holds a space or a control character";
	size_t i = scheme_length(s, len, &u.https);
	if (!i)
		return "it does not start with http:// or https://";

	size_t auth_end = i;
	while (auth_end < len && s[auth_end] != '/' && s[auth_end] != '?' && s[auth_end] != '#')
		auth_end++;
	size_t at = auth_end;
	while (at > i && s[at - 1] != '@')
		at--;
	if (at > i) {
		u.has_user = true;
		u.user_off = i;
		u.user_len = at - 1 - i;
		if (!all_of(s, i, at - 1, userinfo_char))
			return "the user information holds a character that must be percent-encoded";
		i = at;
	}

	size_t host_end;
	if (i < auth_end && s[i] == '[') {
		const char *close = memchr(s + i, ']', auth_end - i);
		if (!close)
			return "the IPv6 address lacks its closing ']'";
		host_end = (size_t)(close - s) + 1;
		const char *why = check_ipv6(s, i + 1, host_end - 1);
		if (why)
			return why;
		u.ipv6 = true;
	} else {
		host_end = i;
		while (host_end < auth_end && s[host_end] != ':')
			host_end++;
		if (!all_of(s, i, host_end, host_char))
			return "the host name holds a character that is not allowed";
	}
	if (host_end == i)
		return "the host is empty";
	u.host_off = i;
	u.host_len = host_end - i;

	if (host_end < auth_end) {
		if (s[host_end] != ':')
			return "the host is followed by something other than :port";
		unsigned long port = 0;
		for (size_t p = host_end + 1; p < auth_end; p++) {
			if (s[p] < '0' || s[p] > '9')
				return "the port is not a number";
			if (port <= 65535)
				port = port * 10 + (unsigned long)(s[p] - '0');
		}
		if (host_end + 1 == auth_end)
			return "the port is empty";
		if (port < 1 || port > 65535)
			return "the port is not in 1-65535";
		u.port = (unsigned)port;
	}
	u.path_off = auth_end;
	if (out)
		*out = u;
	return NULL;
}

/* Appends n bytes of src at out[*w], control characters as '?', keeping
 * room for the terminating NUL. */
static void put(char *out, size_t cap, size_t *w, const char *src, size_t n)
{
	for (size_t i = 0; i < n && *w + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		out[(*w)++] = c < ' ' || c == 0x7f ? '?' : (char)c;
	}
}

char *ts_url_redact(const char *url, char *out, size_t cap)
{
	size_t w = 0, len = strlen(url);
	struct ts_url u;
	size_t rest;   /* where the part that may be shown begins */
	if (!ts_url_parse(url, len, &u)) {
		rest = u.host_off;
		put(out, cap, &w, url, u.has_user ? u.user_off : rest);
		if (u.has_user)
			put(out, cap, &w, "***@", 4);
	} else {
		/* Not a URL: everything up to the last '@' may be a secret. */
		const char *sep = strstr(url, "://");
		size_t start = sep ? (size_t)(sep - url) + 3 : 0;
		const char *at = strrchr(url + start, '@');
		put(out, cap, &w, url, start);
		if (at)
			put(out, cap, &w, "***", 3);
		rest = at ? (size_t)(at - url) : start;
	}
	const char *q = strchr(url + rest, '?');
	size_t shown = q ? (size_t)(q - url) + 1 - rest : len - rest;
	put(out, cap, &w, url + rest, shown);
	if (q)
		put(out, cap, &w, "***", 3);
	out[w] = 0;
	return out;
}
