/* What the OTLP/HTTP receiver does with one request, apart from HTTP
 * transport: the request's method, path, Content-Encoding and body in; the
 * status to answer and the Perfetto packets to append out. Pure enough for
 * a fuzz target to call with arbitrary bytes. */
#ifndef TS_HANDLE_H
#define TS_HANDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_convert;

struct ts_request {
	const char *method, *path;
	const char *content_encoding;   /* NULL: none */
	const uint8_t *body;
	size_t body_len;
	bool body_too_large;            /* the transport stopped keeping it past max_body */
};

struct ts_response {
	int status;                     /* an HTTP status code */
	const char *message;            /* for the client on errors: a short sentence */
	const uint8_t *packets;         /* status 200: Perfetto packets to append */
	size_t len;
	long spans;
};

/* Handles req with the converter cv; bodies (also once inflated) over
 * max_body get 413. The packets stay valid until the converter's next use.
 * Not thread-safe: callers hold one lock over this and writing the packets. */
int ts_collect_handle(struct ts_convert *cv, size_t max_body, const struct ts_request *req,
		      struct ts_response *resp);

#endif
