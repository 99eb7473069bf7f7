/* A TLS client whose request writes fail with SSL_ERROR_WANT_WRITE and are
 * made again, as OpenSSL wants (same buffer, same length): the test of the
 * shim's traceparent over TLS when the socket is full. A server thread on
 * the other end of a Unix socket pair (small buffers) reads nothing until the
 * client has seen WANT_WRITE (or waits for a response); the client sends
 * REQUESTS POST requests of BODY bytes, each whole in one SSL_write, on its
 * non-blocking end, at most AHEAD of them before their responses (a
 * client's pipeline the shim follows). The server prints each
 * request's traceparent header (none without the shim), the client what it
 * saw: the same with and without a tracer but for those lines.
 * Usage: tls_retry CERT KEY */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQUESTS 50
#define BODY 2500
#define AHEAD 3
/* Every response: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok". */
static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
#define REPLY_LEN (sizeof reply - 1)

static int go[2];   /* a pipe: the client saw WANT_WRITE, the server may read */
static SSL_CTX *server_ctx;

static void wait_for(int fd, short what)
{
	struct pollfd p = {fd, what, 0};
	poll(&p, 1, 5000);
}

static void *server(void *arg)
{
	int fd = (int)(intptr_t)arg;
	SSL *s = SSL_new(server_ctx);
	SSL_set_fd(s, fd);
	if (SSL_accept(s) != 1) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	char c;
	if (read(go[0], &c, 1) != 1)
		exit(2);
	/* Each request's head, line by line (the traceparent lines printed),
	 * then its body. */
	static char buf[16384];
	size_t have = 0;
	int heads = 0;
	while (heads < REQUESTS) {
		char *end = NULL;
		buf[have] = 0;
		if (have >= BODY && (end = strstr(buf, "\r\n\r\n")) &&
		    (size_t)(end + 4 - buf) + BODY <= have) {
			size_t used = (size_t)(end + 4 - buf) + BODY;
			*end = 0;
			for (char *line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n"))
				if (!strncasecmp(line, "traceparent:", 12))
					printf("server: request %d %s\n", heads, line);
			heads++;
			if (SSL_write(s, reply, REPLY_LEN) != (int)REPLY_LEN)
				exit(2);
			memmove(buf, buf + used, have - used);
			have -= used;
			continue;
		}
		int n = SSL_read(s, buf + have, (int)(sizeof buf - have - 1));
		if (n <= 0) {
			fprintf(stderr, "server: SSL_read failed after %d requests\n", heads);
			exit(2);
		}
		have += (size_t)n;
	}
	SSL_free(s);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tls_retry CERT KEY\n");
		return 2;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(go) != 0)
		return 2;
	int small = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	server_ctx = SSL_CTX_new(TLS_server_method());
	if (SSL_CTX_use_certificate_file(server_ctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(server_ctx, argv[2], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	pthread_t th;
	if (pthread_create(&th, NULL, server, (void *)(intptr_t)sv[1]) != 0)
		return 2;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL *s = SSL_new(ctx);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	SSL_set_fd(s, sv[0]);
	for (;;) {
		int r = SSL_connect(s);
		if (r == 1)
			break;
		int e = SSL_get_error(s, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			ERR_print_errors_fp(stderr);
			return 2;
		}
		wait_for(sv[0], e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
	}
	int want_write = 0, released = 0, oks = 0;
	static char req[BODY + 256], in[REPLY_LEN * (AHEAD + 2)];
	size_t got = 0;
	for (int i = 0; i < REQUESTS || oks < REQUESTS;) {
		if (i < REQUESTS && i - oks < AHEAD) {
			int len = snprintf(req, sizeof req,
					   "POST /r%d HTTP/1.1\r\nHost: pair\r\nUser-Agent: tls_retry\r\n"
					   "Content-Length: %d\r\n\r\n", i, BODY);
			memset(req + len, 'b', BODY);
			len += BODY;
			int r = SSL_write(s, req, len);
			if (r == len) {
				i++;
				continue;
			}
			int e = SSL_get_error(s, r);
			if (r > 0 || e != SSL_ERROR_WANT_WRITE) {
				fprintf(stderr, "request %d: SSL_write %d, SSL_get_error %d\n", i, r, e);
				ERR_print_errors_fp(stderr);
				return 1;
			}
			want_write++;   /* the same call is made again, below */
		}
		if (!released) {   /* the server reads from now on */
			released = 1;
			if (write(go[1], "g", 1) != 1)
				return 2;
		}
		if (i < REQUESTS && i - oks < AHEAD) {
			wait_for(sv[0], POLLOUT);
			continue;
		}
		int r = SSL_read(s, in + got, (int)(sizeof in - got));
		if (r <= 0) {
			int e = SSL_get_error(s, r);
			if (e != SSL_ERROR_WANT_READ) {
				fprintf(stderr, "SSL_read: %d\n", e);
				return 1;
			}
			wait_for(sv[0], POLLIN);
			continue;
		}
		got += (size_t)r;
		for (; got >= REPLY_LEN; oks++) {
			if (memcmp(in, reply, REPLY_LEN) != 0) {
				fprintf(stderr, "response %d is not the one sent\n", oks);
				return 1;
			}
			memmove(in, in + REPLY_LEN, got - REPLY_LEN);
			got -= REPLY_LEN;
		}
	}
	pthread_join(th, NULL);
	printf("client: %d requests, %d responses, writes made again after WANT_WRITE: %s\n",
	       REQUESTS, oks, want_write ? "some" : "none");
	SSL_free(s);
	SSL_CTX_free(ctx);
	return 0;
}
