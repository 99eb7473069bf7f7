/* Endpoint URLs: the parser's valid and invalid forms, and redaction. */
#include "check_main.h"
#include "url.h"

#include <string.h>

static const char *why(const char *s)
{
	return ts_url_parse(s, strlen(s), NULL);
}

static void part(const char *s, size_t off, size_t len, const char *want)
{
	ck_assert_uint_eq(len, strlen(want));
	ck_assert(!strncmp(s + off, want, len));
}

START_TEST(valid_urls)
{
	struct ts_url u;
	const char *s = "http://127.0.0.1:4318/v1/traces";
	ck_assert_ptr_null(ts_url_parse(s, strlen(s), &u));
	ck_assert(!u.https && !u.has_user && !u.ipv6);
	part(s, u.host_off, u.host_len, "127.0.0.1");
	ck_assert_uint_eq(u.port, 4318);
	ck_assert_str_eq(s + u.path_off, "/v1/traces");

	s = "HTTPS://user:p%40ss@collector.example.com";
	ck_assert_ptr_null(ts_url_parse(s, strlen(s), &u));
	ck_assert(u.https && u.has_user);
	part(s, u.user_off, u.user_len, "user:p%40ss");
	part(s, u.host_off, u.host_len, "collector.example.com");
	ck_assert_uint_eq(u.port, 0);
	ck_assert_str_eq(s + u.path_off, "");

	s = "http://[::1]:65535/a?b=c#d";
	ck_assert_ptr_null(ts_url_parse(s, strlen(s), &u));
	ck_assert(u.ipv6);
	part(s, u.host_off, u.host_len, "[::1]");
	ck_assert_uint_eq(u.port, 65535);
	ck_assert_str_eq(s + u.path_off, "/a?b=c#d");

	ck_assert_ptr_null(why("http://h:1"));
	ck_assert_ptr_null(why("http://[fe80::1%25eth0]:4318"));
	ck_assert_ptr_null(why("http://[::ffff:10.0.0.1]/"));
	ck_assert_ptr_null(why("http://@h"));            /* empty userinfo */
	ck_assert_ptr_null(why("http://h:00080/"));
	ck_assert_ptr_null(why("http://h?x"));
	ck_assert_ptr_null(why("http://b\xc3\xbc" "cher.example/"));
	/* Only len bytes count. */
	ck_assert_ptr_null(ts_url_parse("http://h:80garbage", 11, &u));
	ck_assert_uint_eq(u.port, 80);
}
END_TEST

START_TEST(invalid_urls)
{
	ck_assert_ptr_nonnull(why(""));
	ck_assert_ptr_nonnull(ts_url_parse(NULL, 0, NULL));
	ck_assert_ptr_nonnull(why("http://[::1"));
	ck_assert_ptr_nonnull(why("http://[::1/v1/traces"));
	ck_assert_ptr_nonnull(why("http://[::g]:80"));
	ck_assert_ptr_nonnull(why("http://[v1.x]:80"));
	ck_assert_ptr_nonnull(why("http://[fe80::1%eth0]"));
	ck_assert_ptr_nonnull(why("http://[::1]x"));
	ck_assert_ptr_nonnull(why("ftp://x"));
	ck_assert_ptr_nonnull(why("x"));
	ck_assert_ptr_nonnull(why("127.0.0.1:4318"));
	ck_assert_ptr_nonnull(why("http:/h"));
	ck_assert_ptr_nonnull(why("http://"));
	ck_assert_ptr_nonnull(why("http://:4318"));
	ck_assert_ptr_nonnull(why("http://user@:4318"));
	ck_assert_ptr_nonnull(why("http:///v1/traces"));
	ck_assert_ptr_nonnull(why("http://h:0"));
	ck_assert_ptr_nonnull(why("http://h:65536"));
	ck_assert_ptr_nonnull(why("http://h:99999"));
	ck_assert_ptr_nonnull(why("http://h:99999999999999999999999"));
	ck_assert_ptr_nonnull(why("http://h:"));
	ck_assert_ptr_nonnull(why("http://h:port"));
	ck_assert_ptr_nonnull(why("http://h:43a8"));
	ck_assert_ptr_nonnull(why("http://h:-1"));
	ck_assert_ptr_nonnull(why("http://h :4318"));
	ck_assert_ptr_nonnull(why("http://h/a b"));
	ck_assert_ptr_nonnull(why(" http://h"));
	ck_assert_ptr_nonnull(why("http://h/\n"));
	ck_assert_ptr_nonnull(why("http://h/\x7f"));
	ck_assert_ptr_nonnull(why("http://a@b@h"));      /* '@' in the userinfo: %40 */
	ck_assert_ptr_nonnull(why("http://us\"er@h"));
	ck_assert_ptr_nonnull(why("http://h%zz/"));
	ck_assert_ptr_nonnull(why("http://h%2"));
	ck_assert_ptr_nonnull(why("http://h<x>/"));
	ck_assert_ptr_nonnull(ts_url_parse("http://h\0/", 10, NULL));
}
END_TEST

static const char *shown(const char *url)
{
	static char out[256];
	return ts_url_redact(url, out, sizeof out);
}

START_TEST(redaction)
{
	ck_assert_str_eq(shown("http://127.0.0.1:4318/v1/traces"), "http://127.0.0.1:4318/v1/traces");
	ck_assert_str_eq(shown("http://user:secret@h:4318/v1/traces"), "http://***@h:4318/v1/traces");
	ck_assert_str_eq(shown("https://token@[::1]/"), "https://***@[::1]/");
	ck_assert_str_eq(shown("http://h/v1/traces?api_key=secret"), "http://h/v1/traces?***");
	ck_assert_str_eq(shown("http://h/a@b"), "http://h/a@b");   /* an '@' in a path */
	/* Malformed: everything before the last '@' is hidden. */
	ck_assert_str_eq(shown("http://user:secret@[::1"), "http://***@[::1");
	ck_assert_str_eq(shown("http://user:pa/ss@h"), "http://***@h");
	ck_assert_str_eq(shown("http://u:p@ss@h:99999"), "http://***@h:99999");
	ck_assert_str_eq(shown("user:secret@h:4318"), "***@h:4318");
	ck_assert_str_eq(shown("ftp://x?secret"), "ftp://x?***");
	ck_assert_str_eq(shown("http://h/\x1b[2J"), "http://h/?[2J");
	ck_assert_str_eq(shown(""), "");
	/* Cut short, still terminated, never the secret. */
	char small[12];
	ck_assert_str_eq(ts_url_redact("http://user:secret@host/", small, sizeof small),
			 "http://***@");
	ck_assert_str_eq(ts_url_redact("http://h", small, 1), "");
}
END_TEST

TS_CHECK_SUITE("url",
	       valid_urls,
	       invalid_urls,
	       redaction)
