/* An HTTPS client linked with OpenSSL, for the TLS tests: three requests on
 * one connection to 127.0.0.1:PORT (/a.txt, /missing, then /drop, which the
 * server answers by closing the socket with no TLS close), sent with
 * SSL_write and SSL_write_ex; each response is peeked at first (SSL_peek,
 * SSL_peek_ex: those bytes are read again) then read with SSL_read and
 * SSL_read_ex in turn. Prints the responses, errno after each call (0 before
 * it) and how the last read failed, so that the traced run can be compared. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tls_http.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static long rd(void *session, char *buf, size_t n, int round)
{
	SSL *s = session;
	errno = 0;
	long r;
	if (round % 2 == 0) {
		r = SSL_read(s, buf, (int)(n > 1 << 30 ? 1 << 30 : n));
	} else {
		size_t done = 0;
		r = SSL_read_ex(s, buf, n, &done) == 1 ? (long)done : 0;
	}
	printf("read %d: errno %d\n", round, errno);
	return r;
}

static void request(SSL *s, int port, const char *path, int ex)
{
	char req[256];
	int len = snprintf(req, sizeof req,
			   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: tls_openssl\r\n\r\n",
			   path, port);
	errno = 0;
	size_t done = 0;
	int ok = ex ? SSL_write_ex(s, req, (size_t)len, &done) == 1 && done == (size_t)len
		    : SSL_write(s, req, len) == len;
	printf("write %s: %s, errno %d\n", path, ok ? "ok" : "failed", errno);
	char peek[6] = {0};
	errno = 0;
	int n = ex ? (SSL_peek_ex(s, peek, 5, &done) == 1 ? (int)done : -1) : SSL_peek(s, peek, 5);
	printf("peek: %d \"%s\", errno %d\n", n, n > 0 ? peek : "", errno);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tls_openssl PORT\n");
		return 2;
	}
	int port = atoi(argv[1]);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL *s = SSL_new(ctx);
	int fd = connect_loopback(port);
	SSL_set_fd(s, fd);
	if (SSL_connect(s) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	request(s, port, "/a.txt", 0);
	if (read_response(s, rd) != 0)
		return 1;
	request(s, port, "/missing", 1);
	if (read_response(s, rd) != 0)
		return 1;
	request(s, port, "/drop", 0);
	errno = 0;
	char buf[512];
	int r = SSL_read(s, buf, sizeof buf);
	int err = errno;
	unsigned long e = ERR_peek_error();
	printf("drop: SSL_read %d, SSL_get_error %d, errno %d, %s\n", r, SSL_get_error(s, r), err,
	       e ? ERR_reason_error_string(e) : "no queued error");
	SSL_free(s);
	close(fd);
	SSL_CTX_free(ctx);
	return 0;
}
