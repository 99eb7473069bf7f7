/* OTLP endpoint URLs: a strict parser of the http and https URLs the
 * exporter accepts, and the one way any URL is shown in a message (the
 * user information, which may hold a password, and the query, which may hold
 * a token, are replaced by "***"). Both are pure: they read only their
 * arguments, keep no state and never allocate. */
#ifndef TS_URL_H
#define TS_URL_H

#include <stdbool.h>
#include <stddef.h>

/* The parts of a parsed URL, as offsets into the text given to ts_url_parse. */
struct ts_url {
	bool https;
	bool has_user;                /* "userinfo@" was present (it may be empty) */
	size_t user_off, user_len;    /* the userinfo, without the '@' */
	size_t host_off, host_len;    /* a name, an IPv4 address or "[IPv6]" with its brackets */
	bool ipv6;
	unsigned port;                /* 1-65535; 0 when absent (the scheme's default) */
	size_t path_off;              /* path, query and fragment, up to the end (may be empty) */
};

/* Parses s[0, len) as "http[s]://[userinfo@]host[:port][/path][?query][#fragment]"
 * (RFC 3986, scheme case-insensitive). host is a registered name (letters,
 * digits, "-._~", sub-delimiters, %XX, non-ASCII bytes), or an IPv6 address
 * in brackets (with an optional "%25zone"). Spaces, control characters and
 * NUL bytes are refused anywhere. Returns NULL and fills *out (which may be
 * NULL) when the URL is valid, else a short reason in English ("the port is
 * not in 1-65535"), a string constant. */
const char *ts_url_parse(const char *s, size_t len, struct ts_url *out);

/* Copies the NUL-terminated text url into out (cap > 0 bytes, always
 * terminated, cut short if it does not fit) with what comes between "://"
 * and the last '@' replaced by "***", the query (after the first '?' that
 * follows) by "***", and control characters by '?'. Works on any text, a
 * valid URL or not, and never lets the part before an '@' through. Returns out. */
char *ts_url_redact(const char *url, char *out, size_t cap);

#endif
