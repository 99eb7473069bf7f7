/* Shared by the TLS client test programs (tls_openssl.c, tls_gnutls.c): a
 * TCP connection to 127.0.0.1, and reading one HTTP/1.1 response (headers
 * then a Content-Length body) through the library's read function. Every
 * line printed is the same with and without a tracer: no descriptor numbers,
 * no ports. */
#ifndef TLS_HTTP_H
#define TLS_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static int connect_loopback(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* Reads at most n bytes into buf: > 0 bytes read, <= 0 the library's failure. */
typedef long (*read_fn)(void *session, char *buf, size_t n, int round);

/* Reads one response; prints its status line and body length. Returns 0, or
 * the failing read's result. */
static long read_response(void *session, read_fn rd)
{
	char buf[65536];
	size_t have = 0;
	char *end = NULL;
	int round = 0;
	while (!end) {
		if (have == sizeof buf - 1) {
			fprintf(stderr, "response head too large\n");
			exit(2);
		}
		long r = rd(session, buf + have, sizeof buf - 1 - have, round++);
		if (r <= 0)
			return r;
		have += (size_t)r;
		buf[have] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	size_t head = (size_t)(end + 4 - buf), length = 0;
	char status[128];
	size_t status_len = (size_t)(strstr(buf, "\r\n") - buf);
	snprintf(status, sizeof status, "%.*s", (int)status_len, buf);
	for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n"))
		if (!strncasecmp(line + 2, "Content-Length:", 15))
			length = strtoul(line + 17, NULL, 10);
	size_t body = have - head;
	while (body < length) {
		long r = rd(session, buf, length - body < sizeof buf ? length - body : sizeof buf,
			    round++);
		if (r <= 0)
			return r;
		body += (size_t)r;
	}
	printf("%s, body %zu bytes\n", status, body);
	return 0;
}

#endif
