/* OTLP/HTTP receiver (see collect.h). One thread, poll() over the listening
 * socket and its connections; each connection has a bounded input buffer.
 * POST /v1/traces with a protobuf body (gzip or not, Content-Length or
 * chunked) is converted and appended to the trace; the answer follows the
 * OTLP/HTTP protocol: 200 with an empty ExportTraceServiceResponse, 400 for a
 * body that is not one, 413 past the size limit, 404/405 otherwise. */
#include "collect.h"

#include "convert.h"
#include "export/perfetto.h"
#include "http.h"
#include "inflate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 64

struct conn {
	int fd;
	char *buf;
	size_t len, cap;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int listen_on(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof host) {
		fprintf(stderr, "traceshim collect: --listen wants HOST:PORT, not '%s'\n", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai;
	int rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc) {
		fprintf(stderr, "traceshim collect: cannot listen on '%s': %s\n", spec, gai_strerror(rc));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		fprintf(stderr, "traceshim collect: cannot listen on '%s': %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void reply(int fd, int status, const char *reason, bool close_after)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nContent-Type: application/x-protobuf\r\n"
			 "Content-Length: 0\r\n%s\r\n",
			 status, reason, close_after ? "Connection: close\r\n" : "");
	ssize_t w = write(fd, head, (size_t)n);
	(void)w;   /* a peer that went away gets nothing more */
}

/* Appends the encoder's batch to the output file. */
static bool flush_batch(FILE *out)
{
	struct pb *b = ts_pf_batch();
	bool ok = fwrite(b->data, 1, b->len, out) == b->len && fflush(out) == 0;
	pb_clear(b);
	return ok;
}

/* Handles every complete request in c's buffer; false: close the connection. */
static bool serve(struct conn *c, const struct ts_collect_opts *o, struct ts_convert *cv, FILE *out,
		  uint8_t *body)
{
	for (;;) {
		struct ts_http_request req;
		size_t used = 0;
		enum ts_http_result r = ts_http_parse(c->buf, c->len, o->max_body, &req, body, &used);
		if (r == TS_HTTP_INCOMPLETE)
			return c->len < c->cap;
		if (r == TS_HTTP_BAD) {
			reply(c->fd, 400, "Bad Request", true);
			return false;
		}
		if (r == TS_HTTP_TOO_LARGE) {
			reply(c->fd, 413, "Payload Too Large", true);
			return false;
		}
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (strcmp(req.path, "/v1/traces")) {
			reply(c->fd, 404, "Not Found", !req.keep_alive);
		} else if (strcmp(req.method, "POST")) {
			reply(c->fd, 405, "Method Not Allowed", !req.keep_alive);
		} else {
			uint8_t *plain = body;
			size_t plain_len = req.body_len;
			enum ts_inflate_result z = TS_INFLATE_OK;
			if (req.gzip)
				z = ts_inflate_bounded(body, req.body_len, o->max_body, &plain, &plain_len);
			long spans = z == TS_INFLATE_OK ? ts_convert_request(cv, plain, plain_len) : -1;
			if (plain != body)
				free(plain);
			if (z == TS_INFLATE_TOO_LARGE)
				reply(c->fd, 413, "Payload Too Large", true);
			else if (spans < 0)
				reply(c->fd, 400, "Bad Request", true);
			else if (!flush_batch(out))
				reply(c->fd, 503, "Service Unavailable", true);
			else
				reply(c->fd, 200, "OK", !req.keep_alive);
			if (z != TS_INFLATE_OK || spans < 0)
				return false;
		}
		if (!req.keep_alive)
			return false;
	}
}

int ts_collect_run(const struct ts_collect_opts *o)
{
	FILE *out = fopen(o->output, "ab");
	if (!out) {
		fprintf(stderr, "traceshim collect: cannot open %s: %s\n", o->output, strerror(errno));
		return 1;
	}
	int lfd = listen_on(o->listen);
	uint8_t *body = malloc(o->max_body ? o->max_body : 1);
	struct ts_convert *cv = ts_convert_new();
	if (lfd < 0 || !body || !cv) {
		fclose(out);
		free(body);
		ts_convert_free(cv);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "traceshim collect: listening on %s, writing %s\n", o->listen, o->output);

	struct conn conns[MAX_CONNS];
	size_t nconns = 0;
	/* A request's head and body, plus some slack for chunk framing. */
	size_t cap = o->max_body + 65536;
	while (!stop) {
		struct pollfd pfd[MAX_CONNS + 1];
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (size_t i = 0; i < nconns; i++)
			pfd[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
		if (poll(pfd, nconns + 1, 500) < 0)
			continue;   /* EINTR from the stop signal */
		if ((pfd[0].revents & POLLIN) && nconns < MAX_CONNS) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			char *buf = fd >= 0 ? malloc(cap) : NULL;
			if (buf)
				conns[nconns++] = (struct conn){fd, buf, 0, cap};
			else if (fd >= 0)
				close(fd);
		}
		for (size_t i = nconns; i-- > 0;) {
			if (!(pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct conn *c = &conns[i];
			ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
			bool keep = n > 0;
			if (keep) {
				c->len += (size_t)n;
				keep = serve(c, o, cv, out, body);
			}
			if (!keep) {
				close(c->fd);
				free(c->buf);
				conns[i] = conns[--nconns];
			}
		}
	}
	for (size_t i = 0; i < nconns; i++) {
		close(conns[i].fd);
		free(conns[i].buf);
	}
	close(lfd);
	free(body);
	ts_convert_free(cv);
	int rc = fclose(out) == 0 ? 0 : 1;
	return rc;
}
