/* OTLP/HTTP receiver (see collect.h) on libmicrohttpd: a pool of threads
 * polling connections with epoll, a connection limit, a per-connection
 * inactivity timeout, a deadline for each request to arrive (deadline.c) and
 * a bounded header size, so a client that is idle or slow never delays
 * another. Bodies are kept up to --max-body; what to answer and what to
 * write is handle.c's. One lock makes the converter and the output file see
 * one request at a time. */
#include "collect.h"

#include "convert.h"
#include "deadline.h"
#include "handle.h"
#include "listen.h"
#include "tracefile.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#define THREADS 4
#define CONNECTIONS_MAX 1000
/* Request line and headers must fit in this (libmicrohttpd answers 431 past it). */
#define HEADER_MEMORY (64u << 10)
/* A request must arrive whole within this many inactivity timeouts. */
#define DEADLINE_TIMEOUTS 6

struct server {
	const struct ts_collect_opts *o;
	pthread_mutex_t lock;      /* over cv, the encoder's batch and fd */
	struct ts_convert *cv;
	int fd;
	struct ts_deadlines *deadlines;
	bool write_failed;         /* said once on stderr */
	uint64_t requests, spans;
};

/* One request's body as it arrives. */
struct upload {
	uint8_t *data;
	size_t len, cap;
	size_t dropped;            /* bytes past max_body, read and not kept */
};

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *message)
{
	const char *text = message ? message : "";
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				message ? "text/plain; charset=utf-8" : "application/x-protobuf");
	/* After a refusal the rest of what the client sent cannot be trusted
	 * to be framed as it says: no second request on this connection. */
	if (status >= 400)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static bool keep(struct upload *u, const char *data, size_t n, size_t max)
{
	if (u->dropped || n > max - u->len) {
		u->dropped += n;
		free(u->data);
		u->data = NULL;
		u->len = u->cap = 0;
		/* Read on, keeping nothing, to answer 413 at the end: the request's
		 * deadline bounds how long. */
		return true;
	}
	if (u->len + n > u->cap) {
		size_t cap = u->cap ? u->cap : 65536;
		while (cap < u->len + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		uint8_t *grown = realloc(u->data, cap);
		if (!grown)
			return false;
		u->data = grown;
		u->cap = cap;
	}
	memcpy(u->data + u->len, data, n);
	u->len += n;
	return true;
}

/* Converts and appends under the lock; the status and a sentence for errors. */
static int serve(struct server *s, const struct ts_request *req, char *msg, size_t msg_cap)
{
	struct ts_response resp;
	pthread_mutex_lock(&s->lock);
	int status = ts_collect_handle(s->cv, s->o->max_body, req, &resp);
	if (resp.message)
		snprintf(msg, msg_cap, "%s\n", resp.message);
	if (status == 200) {
		int err = ts_tracefile_write(s->fd, resp.packets, resp.len);
		if (err) {
			ts_convert_lost_output(s->cv);
			if (!s->write_failed)
				fprintf(stderr, "traceshim collect: cannot write %s: %s (answering 503 "
					"while it fails)\n", s->o->output, strerror(err));
			s->write_failed = true;
			snprintf(msg, msg_cap, "the receiver cannot write its trace: %s\n", strerror(err));
			status = 503;
		} else {
			if (s->write_failed)
				fprintf(stderr, "traceshim collect: writing %s again\n", s->o->output);
			s->write_failed = false;
			s->requests++;
			s->spans += (uint64_t)resp.spans;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return status;
}

static struct ts_watched *watched(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	(void)value;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		(*(unsigned *)cls)++;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	struct server *s = cls;
	struct upload *u = *con_cls;
	if (!u) {
		if (!(u = calloc(1, sizeof *u)))
			return MHD_NO;
		*con_cls = u;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned lengths = 0;
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_length, &lengths);
		if (lengths > 1 || (cl && MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_TRANSFER_ENCODING))) {
			/* Ambiguous framing: a request smuggling vector. */
			ts_deadlines_arrived(s->deadlines, watched(c));
			return reply(c, 400, lengths > 1 ? "more than one Content-Length"
					     : "Content-Length and Transfer-Encoding together");
		}
		char *end;
		if (cl && strtoull(cl, &end, 10) > s->o->max_body && !*end) {
			ts_deadlines_arrived(s->deadlines, watched(c));
			return reply(c, 413, "the body is over the receiver's --max-body");
		}
		return MHD_YES;
	}
	if (*upload_size) {
		bool ok = keep(u, upload_data, *upload_size, s->o->max_body);
		*upload_size = 0;
		return ok ? MHD_YES : MHD_NO;
	}
	struct ts_request req = {
		.method = method, .path = url, .body = u->data, .body_len = u->len,
		.body_too_large = u->dropped > 0,
		.content_encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_CONTENT_ENCODING),
	};
	ts_deadlines_arrived(s->deadlines, watched(c));
	char msg[256] = "";
	int status = serve(s, &req, msg, sizeof msg);
	return reply(c, status, status == 200 ? NULL : msg);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	(void)why;
	struct server *s = cls;
	ts_deadlines_answered(s->deadlines, watched(c));
	struct upload *u = *con_cls;
	if (u)
		free(u->data);
	free(u);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode what)
{
	struct server *s = cls;
	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = info ? ts_deadlines_add(s->deadlines, info->connect_fd) : NULL;
	} else if (what == MHD_CONNECTION_NOTIFY_CLOSED) {
		ts_deadlines_remove(s->deadlines, *socket_context);
		*socket_context = NULL;
	}
}

/* Quiet: a misbehaving client is answered, not logged. */
static void no_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls, (void)fmt, (void)ap;
}

/* Connections are descriptors: leave room for the output file and MHD's own. */
static unsigned connection_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > CONNECTIONS_MAX + 64)
		return CONNECTIONS_MAX;
	return rl.rlim_cur > 128 ? (unsigned)rl.rlim_cur - 64 : 64;
}

int ts_collect_run(const struct ts_collect_opts *o)
{
	/* The server's threads start with the stop signals blocked: this thread
	 * takes them with sigwait. */
	signal(SIGPIPE, SIG_IGN);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	bool bad_spec;
	int lfd = ts_listen_open(o->listen, 128, &bad_spec);
	if (lfd < 0)
		return bad_spec ? 2 : 1;
	uint64_t latest;
	struct server s = {.o = o, .lock = PTHREAD_MUTEX_INITIALIZER,
			   .fd = ts_tracefile_open_append(o->output, &latest)};
	if (s.fd < 0) {
		fprintf(stderr, "traceshim collect: cannot open %s: %s\n", o->output, strerror(errno));
		close(lfd);
		return 1;
	}
	if (!(s.cv = ts_convert_new()) ||
	    !(s.deadlines = ts_deadlines_start(o->timeout_s * DEADLINE_TIMEOUTS))) {
		fprintf(stderr, "traceshim collect: out of memory\n");
		ts_convert_free(s.cv);
		close(s.fd);
		close(lfd);
		return 1;
	}
	ts_convert_clock_floor(s.cv, latest);

	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &s,
		MHD_OPTION_LISTEN_SOCKET, lfd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
		MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
		MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s,
		MHD_OPTION_EXTERNAL_LOGGER, no_log, NULL,
		MHD_OPTION_END);
	int rc = 1;
	if (!d) {
		fprintf(stderr, "traceshim collect: cannot start serving on %s\n", o->listen);
		close(lfd);
		ts_deadlines_stop(s.deadlines);
	} else {
		fprintf(stderr, "traceshim collect: listening on %s, writing %s\n", o->listen, o->output);
		int sig;
		while (sigwait(&stop, &sig) != 0)
			;
		MHD_stop_daemon(d);   /* waits for requests being handled; closes lfd */
		ts_deadlines_stop(s.deadlines);
		struct ts_convert_stats st;
		ts_convert_stats(s.cv, &st);
		fprintf(stderr, "traceshim collect: %llu requests, %llu spans written to %s",
			(unsigned long long)s.requests, (unsigned long long)s.spans, o->output);
		if (st.spans_skipped || st.ends_clamped || st.orphans_forgotten)
			fprintf(stderr, "; %llu spans skipped (start time 0 or past 2^63 ns), %llu end "
				"times clamped, %llu children forgotten waiting for a parent",
				(unsigned long long)st.spans_skipped, (unsigned long long)st.ends_clamped,
				(unsigned long long)st.orphans_forgotten);
		fputc('\n', stderr);
		rc = 0;
	}
	ts_convert_free(s.cv);
	if (close(s.fd) != 0 && rc == 0) {
		fprintf(stderr, "traceshim collect: cannot write %s: %s\n", o->output, strerror(errno));
		rc = 1;
	}
	return rc;
}
