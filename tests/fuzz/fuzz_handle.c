/* libFuzzer target: what `traceshim collect` does with one request once
 * libmicrohttpd has framed it (cli/handle.c): the first byte chooses the
 * method, path, Content-Encoding and whether the transport stopped keeping
 * the body, the next two the --max-body limit, the rest is the body. The
 * status must follow the OTLP/HTTP rules the receiver documents, refusals
 * carry a message and no packets, and what an accepted request appends is
 * a well-formed trace. */
#include "convert.h"
#include "handle.h"
#include "trace_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_handle: %s\n", what);
	abort();
}

static const char *const methods[] = {"POST", "GET", "PUT", NULL};
static const char *const paths[] = {"/v1/traces", "/", "/v1/traces/", NULL};
static const char *const encodings[] = {NULL, "gzip", "GZIP", "identity", "", "br", "deflate",
					"gzip, gzip"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned pick = data[0];
	struct ts_request req = {
		.method = methods[pick & 3],
		.path = paths[pick >> 2 & 3],
		.content_encoding = encodings[pick >> 4 & 7],
		.body_too_large = pick >> 7,
		.body = size > 3 ? data + 3 : NULL,
		.body_len = size - 3,
	};
	size_t max_body = ((size_t)data[1] << 8 | data[2]) + 1;
	struct ts_convert *cv = ts_convert_new();
	if (!cv)
		fail("ts_convert_new failed");
	struct ts_response resp;
	int status = ts_collect_handle(cv, max_body, &req, &resp);
	if (status != resp.status)
		fail("the status returned is not the one in the response");
	bool post = req.method && !strcmp(req.method, "POST");
	bool path = req.path && !strcmp(req.path, "/v1/traces");
	int want = !path ? 404 : !post ? 405 : req.body_too_large || req.body_len > max_body ? 413 : 0;
	if (want && status != want)
		fail("the method, path or size rule was not applied first");
	switch (status) {
	case 200: {
		if (resp.message || resp.spans < 0)
			fail("an accepted request with a message or a negative span count");
		struct tc_ctx tc = {.check_times = true};
		const char *err = resp.len ? tc_check(&tc, resp.packets, resp.len) : NULL;
		if (err)
			fail(err);
		if (tc_open_slices(&tc))
			fail("a slice left open after a request");
		tc_free(&tc);
		break;
	}
	case 400: case 404: case 405: case 413: case 415: case 503:
		if (!resp.message || !*resp.message || resp.len || resp.packets)
			fail("a refusal without a message, or with packets");
		break;
	default:
		fail("a status the receiver does not document");
	}
	ts_convert_free(cv);
	return 0;
}
