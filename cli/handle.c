/* One OTLP/HTTP request to a status and Perfetto packets (see handle.h).
 * The answers follow the OTLP/HTTP protocol: 200 with an empty
 * ExportTraceServiceResponse, 400 for a body that is not one, 413 past the
 * size limit, 415 for an encoding other than gzip, 404/405 otherwise. */
#include "handle.h"

#include "convert.h"
#include "perfetto.h"
#include "inflate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int answer(struct ts_response *resp, int status, const char *message)
{
	resp->status = status;
	resp->message = message;
	return status;
}

int ts_collect_handle(struct ts_convert *cv, size_t max_body, const struct ts_request *req,
		      struct ts_response *resp)
{
	memset(resp, 0, sizeof *resp);
	struct pb *out = ts_pf_batch();
	pb_clear(out);
	if (!req->path || strcmp(req->path, "/v1/traces"))
		return answer(resp, 404, "only /v1/traces is served here");
	if (!req->method || strcmp(req->method, "POST"))
		return answer(resp, 405, "/v1/traces takes POST");
	if (req->body_too_large || req->body_len > max_body)
		return answer(resp, 413, "the body is over the receiver's --max-body");
	const char *enc = req->content_encoding;
	bool gzip = enc && !strcasecmp(enc, "gzip");
	if (enc && *enc && !gzip && strcasecmp(enc, "identity"))
		return answer(resp, 415, "Content-Encoding must be gzip or none");
	uint8_t *plain = NULL;
	const uint8_t *body = req->body;
	size_t len = req->body_len;
	if (gzip) {
		enum ts_inflate_result z = ts_inflate_bounded(body, len, max_body, &plain, &len);
		if (z == TS_INFLATE_TOO_LARGE)
			return answer(resp, 413, "the inflated body is over the receiver's --max-body");
		if (z != TS_INFLATE_OK)
			return answer(resp, 400, "the body is not valid gzip");
		body = plain;
	}
	long spans = ts_convert_request(cv, body ? body : (const uint8_t *)"", len);
	free(plain);
	if (spans < 0 || out->failed) {
		/* Packets made before the failure go too: processes they
		 * described are described again with the next request. */
		pb_clear(out);
		ts_convert_lost_output(cv);
		return spans < 0 ? answer(resp, 400, "the body is not an OTLP ExportTraceServiceRequest") :
			answer(resp, 503, "the receiver ran out of memory");
	}
	resp->spans = spans;
	resp->packets = out->data;
	resp->len = out->len;
	return answer(resp, 200, NULL);
}
