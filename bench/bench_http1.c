/* bench_http1: what the HTTP/1 sniffer (src/record/http1.h) costs the
 * program's threads per call: the fast path of a socket known not to be
 * HTTP (ts_http1_is_off), feeding a typical 200-byte GET request, and a
 * 300-byte response head, on a keep-alive connection; and deciding that a
 * connection starting with a TLS record is not HTTP.
 *
 * Usage: bench_http1 [N]   (N iterations of each, default 1000000)
 * Prints: one line per figure, nanoseconds per call.
 */
#include "http1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const char request[] =
	"GET /api/v1/items/42?fields=name,price&lang=en HTTP/1.1\r\n"
	"Host: shop.example.com\r\n"
	"User-Agent: python-requests/2.31.0\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Accept: */*\r\n"
	"Connection: keep-alive\r\n\r\n";
static const char response[] =
	"HTTP/1.1 200 OK\r\n"
	"Date: Mon, 27 May 2024 10:00:00 GMT\r\n"
	"Server: nginx/1.24.0\r\n"
	"Content-Type: application/json; charset=utf-8\r\n"
	"Content-Length: 0\r\n"
	"Connection: keep-alive\r\n"
	"Cache-Control: no-cache, no-store, must-revalidate\r\n"
	"X-Request-Id: 6f1c2a8e-93b4-4b52-9a0e-0c1d2e3f4a5b\r\n"
	"Vary: Accept-Encoding\r\n\r\n";

static unsigned feed_all(struct ts_http1_conn *c, enum ts_http1_dir dir, const char *buf, size_t len)
{
	struct ts_http1_event ev[8];
	unsigned n = 0;
	for (size_t pos = 0; pos < len;)
		n += ts_http1_feed(c, dir, buf, len, &pos, ev, 8);
	return n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	static struct ts_http1_conn conns[64];
	for (int i = 0; i < 64; i++)
		ts_http1_init(&conns[i], 0);
	unsigned events = 0;

	/* The caller's fast path: one load and a compare per call. */
	struct ts_http1_conn *volatile pick = &conns[0];
	ts_http1_close(&conns[0], NULL, 0);
	double t0 = now_ns();
	long off = 0;
	for (long i = 0; i < n; i++)
		off += ts_http1_is_off(pick);
	double t1 = now_ns();
	printf("is_off:            %6.2f ns/call\n", (t1 - t0) / (double)n);

	struct ts_http1_conn *c = &conns[1];
	events += feed_all(c, TS_HTTP1_OUT, request, sizeof request - 1);
	events += feed_all(c, TS_HTTP1_IN, response, sizeof response - 1);
	double req = 0, resp = 0;
	for (long i = 0; i < n; i++) {
		double a = now_ns();
		events += feed_all(c, TS_HTTP1_OUT, request, sizeof request - 1);
		double b = now_ns();
		events += feed_all(c, TS_HTTP1_IN, response, sizeof response - 1);
		double d = now_ns();
		req += b - a;
		resp += d - b;
	}
	/* The clock's own cost, to take away. */
	double z0 = now_ns();
	for (long i = 0; i < n; i++)
		(void)now_ns();
	double clock = (now_ns() - z0) / (double)n;
	printf("GET request (%zu B): %6.1f ns/call\n", sizeof request - 1, req / (double)n - clock);
	printf("response head (%zu B): %6.1f ns/call\n", sizeof response - 1, resp / (double)n - clock);
	/* The same without a clock between the calls. */
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		events += feed_all(c, TS_HTTP1_OUT, request, sizeof request - 1);
		events += feed_all(c, TS_HTTP1_IN, response, sizeof response - 1);
	}
	t1 = now_ns();
	printf("request + response: %6.1f ns/pair\n", (t1 - t0) / (double)n);

	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct ts_http1_conn *t = &conns[2 + i % 60];
		ts_http1_init(t, 0);
		events += feed_all(t, TS_HTTP1_OUT, tls, sizeof tls - 1);
	}
	t1 = now_ns();
	printf("init + TLS off:    %6.1f ns/call\n", (t1 - t0) / (double)n);
	printf("sizeof conn %zu, event %zu, request fields %zu (events %u, off %ld)\n",
	       sizeof(struct ts_http1_conn), sizeof(struct ts_http1_event), sizeof(struct ts_http1_request),
	       events, off);
	return 0;
}
