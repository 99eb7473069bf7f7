/* libFuzzer target: the SQL sanitizer and describer, which see every
 * statement a traced program prepares. The first byte of the input picks
 * the output size, the rest is the statement. The output must stay inside
 * its buffer, be terminated, and hold no literal: sanitizing it again
 * changes nothing (a literal left in would become '?'), except that a cut
 * may drop bytes of an unfinished UTF-8 sequence or a space at the end. */
#include "sql.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_sql: %s\n", what);
	abort();
}

static bool word_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t cap = data[0] == 0xff ? 4096 : data[0];
	const char *sql = (const char *)data + 1;
	size_t len = size - 1;
	/* Exactly the input, no terminator: the scan must stop at len. */
	char *in = malloc(len ? len : 1);
	char *out = malloc(cap ? cap : 1), *again = malloc(8192);
	if (!in || !out || !again)
		abort();
	memcpy(in, sql, len);

	size_t n = ts_sql_sanitize(in, len, out, cap);
	if (cap == 0) {
		if (n)
			fail("wrote into a buffer of size 0");
	} else {
		if (n >= cap || out[n] || strlen(out) != n)
			fail("the output is not terminated at the length returned");
		size_t m = ts_sql_sanitize(out, n, again, 8192);
		if (m > n || memcmp(again, out, m))
			fail("sanitizing the output again changes it: a literal was left in");
		for (size_t i = m; i < n; i++)
			if (out[i] != ' ' && !((unsigned char)out[i] & 0x80))
				fail("sanitizing the output again drops more than a cut sequence");
	}

	struct ts_sql_info info;
	memset(&info, 0xa5, sizeof info);
	ts_sql_describe(in, len, &info);
	if (!memchr(info.operation, 0, sizeof info.operation) ||
	    !memchr(info.collection, 0, sizeof info.collection))
		fail("the description is not terminated");
	for (const char *p = info.operation; *p; p++)
		if (!word_char((unsigned char)*p))
			fail("the operation is not an upper-case keyword");
	free(in);
	free(out);
	free(again);
	return 0;
}
