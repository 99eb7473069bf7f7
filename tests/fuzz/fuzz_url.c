/* libFuzzer target: the OTLP endpoint URL parser and the redaction every
 * message showing a URL goes through (src/base/url.c). A URL the parser accepts
 * must have its parts inside the text, a scheme of http or https, a host,
 * and a port in range, and no byte the parser promises to refuse; the
 * redacted text must fit its buffer, be terminated, hold no control
 * character, and show a valid URL's user part as "***". */
#include "url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_url: %s\n", what);
	abort();
}

static void check_parts(const char *s, size_t len, const struct ts_url *u)
{
	size_t scheme = u->https ? 8 : 7;
	if (len < scheme || strncasecmp(s, u->https ? "https://" : "http://", scheme))
		fail("accepted without an http:// or https:// scheme");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			fail("accepted a space, control character or NUL");
	if (!u->host_len || u->host_off < scheme || u->host_off + u->host_len > len)
		fail("the host is empty or outside the text");
	if (u->ipv6 && (s[u->host_off] != '[' || s[u->host_off + u->host_len - 1] != ']'))
		fail("an IPv6 host without its brackets");
	if (u->has_user && (u->user_off < scheme || u->user_off + u->user_len >= u->host_off ||
			    s[u->user_off + u->user_len] != '@'))
		fail("the user part is not before the host, ended by '@'");
	if (u->port > 65535)
		fail("a port over 65535");
	if (u->path_off < u->host_off + u->host_len || u->path_off > len)
		fail("the path does not follow the host");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte is the redaction buffer's size. */
	size_t cap = (size_t)data[0] + 1;
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	struct ts_url u;
	memset(&u, 0xa5, sizeof u);
	const char *why = ts_url_parse(s, len, &u);
	if (!why)
		check_parts(s, len, &u);
	else if (!*why)
		fail("an empty reason");

	char *text = malloc(len + 1);
	char *out = malloc(cap + 1);
	if (!text || !out)
		fail("out of memory");
	memcpy(text, s, len);
	text[len] = 0;
	out[cap] = 0x5a;   /* a guard: the redaction must stay within cap */
	if (ts_url_redact(text, out, cap) != out)
		fail("the redaction returned another buffer");
	size_t n = strnlen(out, cap);
	if (n == cap)
		fail("the redacted text is not terminated within its buffer");
	if (out[cap] != 0x5a)
		fail("the redaction wrote past its buffer");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < ' ' || out[i] == 0x7f)
			fail("a control character in the redacted text");
	if (!why && u.has_user && cap > len + 4) {
		/* A valid URL with a user part, room enough: it shows as
		 * "scheme:(two slashes)***@host", the user part gone whatever it holds. */
		char want[600];
		int w = snprintf(want, sizeof want, "%.*s***@%.*s", (int)u.user_off, s,
				 (int)u.host_len, s + u.host_off);
		if (w > 0 && (size_t)w < sizeof want && strncmp(out, want, (size_t)w))
			fail("the redacted text does not hide the user part as documented");
	}
	free(out);
	free(text);
	return 0;
}
