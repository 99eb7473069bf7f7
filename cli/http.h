/* HTTP/1.1 request parsing for the OTLP receiver: request line, the headers
 * it needs, and a body framed by Content-Length or chunked encoding, with a
 * size limit. Hostile input gets an error, never a crash or unbounded memory. */
#ifndef TS_HTTP_H
#define TS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_http_result {
	TS_HTTP_INCOMPLETE,   /* need more bytes */
	TS_HTTP_OK,
	TS_HTTP_BAD,          /* malformed: answer 400 and close */
	TS_HTTP_TOO_LARGE,    /* body over the limit: answer 413 and close */
};

struct ts_http_request {
	char method[16];
	char path[512];
	char content_type[128];
	bool gzip;                /* Content-Encoding: gzip */
	bool keep_alive;
	size_t body_len;          /* decoded body, in the caller's buffer */
};

/* Parses one request at the start of buf[0..len). On TS_HTTP_OK the body
 * (de-chunked, still compressed if gzip) is in body[0..req->body_len) and
 * *consumed is the number of bytes of buf the request used. body must hold
 * max_body bytes. */
enum ts_http_result ts_http_parse(const char *buf, size_t len, size_t max_body,
				  struct ts_http_request *req, uint8_t *body, size_t *consumed);

#endif
