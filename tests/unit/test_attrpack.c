/* The program's span names and attributes as record payload, and the notes
 * kept for an open span: round trips, the limits, damaged payloads, and
 * what a span's end is given. */
#include "attrpack.h"
#include "check_main.h"
#include "notes.h"

#include <stdlib.h>
#include <string.h>

START_TEST(round_trip_every_type)
{
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, "resize",
				     TS_ATTRS(ts_str("file", "a.png"), ts_int("width", -640),
					      ts_double("ratio", 1.5), ts_bool("cached", true)));
	const char *name;
	struct ts_attr a[TS_MAX_ATTRS];
	unsigned n = ts_attrs_unpack((const uint8_t *)buf, len, &name, a, TS_MAX_ATTRS);
	ck_assert_str_eq(name, "resize");
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(a[0].key, "file");
	ck_assert_int_eq(a[0].type, TS_VAL_STR);
	ck_assert_str_eq(a[0].v.s, "a.png");
	ck_assert_int_eq(a[1].v.i, -640);
	ck_assert(a[2].v.d == 1.5);
	ck_assert(a[3].v.b);
	for (unsigned i = 0; i < n; i++)
		ck_assert(a[i].dynkey);
}
END_TEST

START_TEST(known_keys_take_a_byte_and_come_back_as_constants)
{
	char buf[TS_PACK_MAX], plain[TS_PACK_MAX];
	/* The same text as a known key and as a key of the program's own. */
	char own_key[] = "url.path";
	unsigned len = ts_attrs_pack(buf, sizeof buf, "GET",
				     TS_ATTRS(ts_str(ts_known_keys.URL_PATH, "/a"),
					      ts_int(ts_known_keys.SERVER_PORT, 8080),
					      ts_str("custom", "x"),
					      ts_str(ts_known_keys.HTTP_TRACEPARENT, "injected")));
	unsigned plain_len = ts_attrs_pack(plain, sizeof plain, "GET",
					   TS_ATTRS(ts_str(own_key, "/a"), ts_int("server.port", 8080),
						    ts_str("custom", "x"),
						    ts_str("traceshim.http.traceparent", "injected")));
	ck_assert_uint_eq(len + strlen("url.path") + strlen("server.port") +
				  strlen("traceshim.http.traceparent"), plain_len);
	const char *name;
	struct ts_attr a[TS_MAX_ATTRS];
	unsigned n = ts_attrs_unpack((const uint8_t *)buf, len, &name, a, TS_MAX_ATTRS);
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_eq(a[0].key, ts_known_keys.URL_PATH);
	ck_assert(!a[0].dynkey);
	ck_assert_str_eq(a[0].v.s, "/a");
	ck_assert_ptr_eq(a[1].key, ts_known_keys.SERVER_PORT);
	ck_assert_int_eq(a[1].type, TS_VAL_INT);
	ck_assert_int_eq(a[1].v.i, 8080);
	ck_assert_str_eq(a[2].key, "custom");
	ck_assert(a[2].dynkey);
	ck_assert_str_eq(a[3].key, "traceshim.http.traceparent");
	ck_assert(!a[3].dynkey);
	/* The program's own "url.path" is text like any other key. */
	n = ts_attrs_unpack((const uint8_t *)plain, plain_len, &name, a, TS_MAX_ATTRS);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(a[0].key, "url.path");
	ck_assert(a[0].dynkey);
}
END_TEST

START_TEST(a_known_key_out_of_range_ends_the_payload)
{
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, "s",
				     TS_ATTRS(ts_int("first", 1), ts_int(ts_known_keys.SERVER_PORT, 2)));
	/* "s\0", then "first": type, key, 8 bytes; then the known one. */
	unsigned known_at = 2 + 1 + 6 + 8;
	ck_assert_uint_eq((unsigned char)buf[known_at], TS_ATTRIBUTE_INT | TS_PACK_KNOWN);
	const char *name;
	struct ts_attr a[TS_MAX_ATTRS];
	buf[known_at + 1] = (char)TS_KEY_COUNT;
	ck_assert_uint_eq(ts_attrs_unpack((const uint8_t *)buf, len, &name, a, TS_MAX_ATTRS), 1);
	buf[known_at + 1] = (char)0xff;
	ck_assert_uint_eq(ts_attrs_unpack((const uint8_t *)buf, len, &name, a, TS_MAX_ATTRS), 1);
	/* Cut right after the type byte: no index to read. */
	ck_assert_uint_eq(ts_attrs_unpack((const uint8_t *)buf, known_at + 1, &name, a, TS_MAX_ATTRS), 1);
	ck_assert_str_eq(a[0].key, "first");
}
END_TEST

START_TEST(text_is_cut_and_bad_attributes_left_out)
{
	char big[600];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	char buf[TS_PACK_MAX];
	ts_attribute_t bad_type = {.key = "t", .type = 99};
	unsigned len = ts_attrs_pack(buf, sizeof buf, big,
				     TS_ATTRS(ts_str(big, big), ts_str(NULL, "v"), bad_type,
					      ts_str("nullvalue", NULL), ts_int("ok", 1)));
	const char *name;
	struct ts_attr a[TS_MAX_ATTRS];
	unsigned n = ts_attrs_unpack((const uint8_t *)buf, len, &name, a, TS_MAX_ATTRS);
	ck_assert_uint_eq(strlen(name), TS_NAME_MAX);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(strlen(a[0].key), TS_KEY_MAX);
	ck_assert_uint_eq(strlen(a[0].v.s), TS_VALUE_MAX);
	ck_assert_str_eq(a[1].key, "ok");
}
END_TEST

START_TEST(attributes_stop_where_the_payload_is_full)
{
	char value[TS_VALUE_MAX + 1];
	memset(value, 'v', TS_VALUE_MAX);
	value[TS_VALUE_MAX] = 0;
	ts_attribute_t many[10];
	for (int i = 0; i < 10; i++)
		many[i] = ts_str("key", value);
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, "n", many, 10);
	ck_assert_uint_le(len, TS_PACK_MAX);
	const char *name;
	struct ts_attr a[TS_MAX_ATTRS];
	unsigned n = ts_attrs_unpack((const uint8_t *)buf, len, &name, a, TS_MAX_ATTRS);
	ck_assert_uint_eq(n, 3);   /* 4 x (1 + 4 + 256) bytes would not fit */
	ck_assert_uint_eq(strlen(a[2].v.s), TS_VALUE_MAX);
}
END_TEST

START_TEST(damaged_payloads_are_read_safely)
{
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, "name",
				     TS_ATTRS(ts_str("s", "text"), ts_int("i", 7), ts_bool("b", false)));
	/* Every prefix, in a buffer of exactly that size: no read past it. */
	for (unsigned cut = 0; cut <= len; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, buf, cut);
		const char *name;
		struct ts_attr a[TS_MAX_ATTRS];
		unsigned n = ts_attrs_unpack(p, cut, &name, a, TS_MAX_ATTRS);
		ck_assert_uint_le(n, 3);
		ck_assert_ptr_nonnull(name);
		free(p);
	}
	uint8_t junk[] = {'n', 0, 77, 'k', 0, 1, 2};
	const char *name;
	struct ts_attr a[TS_MAX_ATTRS];
	ck_assert_uint_eq(ts_attrs_unpack(junk, sizeof junk, &name, a, TS_MAX_ATTRS), 0);
	ck_assert_str_eq(name, "n");
}
END_TEST

START_TEST(notes_replace_keys_and_end_with_the_right_status)
{
	struct ts_notes n;
	ts_notes_init(&n);
	char key[8] = "k", val[8] = "one";
	struct ts_attr a = {.key = key, .type = TS_VAL_STR, .dynkey = 1, .v.s = val};
	ts_notes_attrs(&n, &a, 1);
	strcpy(val, "two");
	ts_notes_attrs(&n, &a, 1);
	strcpy(key, "zz");   /* the notes keep their own copies */
	ts_notes_error(&n, "Timeout", "took too long", 5);
	struct ts_span s = {.nattrs = 0};
	ts_notes_apply(&n, &s, TS_STATUS_UNSET);
	ck_assert_int_eq(s.status, TS_STATUS_ERROR);
	ck_assert_str_eq(s.error_type, "Timeout");
	ck_assert_str_eq(s.status_message, "took too long");
	ck_assert_uint_eq(s.nattrs, 2);
	ck_assert_str_eq(s.attrs[0].key, "k");
	ck_assert_str_eq(s.attrs[0].v.s, "two");
	ck_assert_str_eq(s.attrs[1].key, "error.type");
	ck_assert_uint_eq(s.nevents, 1);
	ck_assert_str_eq(s.events[0].name, "exception");
	struct ts_span ok = {.nattrs = 0};
	ts_notes_apply(&n, &ok, TS_STATUS_OK);
	ck_assert_int_eq(ok.status, TS_STATUS_OK);
	ts_notes_free(&n);
}
END_TEST

START_TEST(events_past_the_limit_are_counted)
{
	struct ts_notes n;
	ts_notes_init(&n);
	for (unsigned i = 0; i < TS_NOTES_EVENTS + 5; i++)
		ts_notes_event(&n, "tick", i, NULL, 0);
	struct ts_span s = {.nattrs = 0};
	ts_notes_apply(&n, &s, TS_STATUS_UNSET);
	ck_assert_uint_eq(s.nevents, TS_NOTES_EVENTS);
	ck_assert_uint_eq(s.dropped_events, 5);
	ck_assert_int_eq(s.status, TS_STATUS_UNSET);
	ts_notes_free(&n);
}
END_TEST

TS_CHECK_SUITE("attrpack", round_trip_every_type, known_keys_take_a_byte_and_come_back_as_constants,
	       a_known_key_out_of_range_ends_the_payload, text_is_cut_and_bad_attributes_left_out,
	       attributes_stop_where_the_payload_is_full, damaged_payloads_are_read_safely,
	       notes_replace_keys_and_end_with_the_right_status, events_past_the_limit_are_counted)
