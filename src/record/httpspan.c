/* HTTP/1 exchanges as spans: the sniffer's events of one connection become
 * CLIENT or SERVER spans, recorded as spans that may end on any thread
 * (TS_REC_USER_* with TS_USER_ASYNC; the agent keeps each whole until its
 * end, userspan.c). */
#include "httpconn_int.h"

#include "attrpack.h"
#include "record.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static bool inject_on = true;

void ts_http_set_inject(bool on)
{
	inject_on = on;
}

bool ts_http_injecting(void)
{
	return inject_on;
}

/* The program is the connection's client (it sends the requests). */
static bool client(const struct slot *s)
{
	return s->role == TS_HTTP1_CLIENT;
}

/* Appends up to n bytes of text to dst (cap bytes, NUL kept): no stdio here. */
static void put(char *dst, size_t cap, size_t *at, const char *text, size_t n)
{
	while (n-- && *text && *at + 1 < cap)
		dst[(*at)++] = *text++;
	dst[*at] = 0;
}

static void put_uint(char *dst, size_t cap, size_t *at, unsigned v)
{
	char digits[10];
	size_t n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof digits);
	while (n--)
		put(dst, cap, at, &digits[n], 1);
}

/* host[:port] of a Host header into address and port (def when none). */
static int64_t split_host(const char *host, char *addr, size_t cap, int64_t def)
{
	const char *colon = strrchr(host, ':');
	const char *bracket = strrchr(host, ']');
	size_t len = strlen(host);
	size_t n = colon && (!bracket || colon > bracket) ? (size_t)(colon - host) : len;
	size_t at = 0;
	put(addr, cap, &at, host, n);
	if (n == len)
		return def;
	int64_t port = 0;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return def;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535 ? port : def;
}

/* The peer of the connection as URL authority text ("127.0.0.1:8080",
 * "[::1]:8080"), for a request without Host; false when it is not known. */
static bool peer_authority(const struct slot *s, char *out, size_t cap)
{
	uint8_t peer[TS_HTTP_PEER_MAX];
	unsigned len = ts_http_peer_of(s->fd, (uint32_t)s->state, peer);
	struct sockaddr_storage ss = {0};
	if (!len || len > sizeof ss)
		return false;
	memcpy(&ss, peer, len);
	char ip[INET6_ADDRSTRLEN];
	size_t at = 0;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		if (!inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip))
			return false;
		put(out, cap, &at, ip, sizeof ip);
		put(out, cap, &at, ":", 1);
		put_uint(out, cap, &at, ntohs(in->sin_port));
		return true;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		if (!inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip))
			return false;
		put(out, cap, &at, "[", 1);
		put(out, cap, &at, ip, sizeof ip);
		put(out, cap, &at, "]:", 2);
		put_uint(out, cap, &at, ntohs(in6->sin6_port));
		return true;
	}
	return false;
}

/* url.full of a client request: its absolute-form target as it is, or an
 * origin-form one ("/path") after the scheme and the Host (the peer's
 * address without one). False for a target that is neither (CONNECT's
 * authority-form, OPTIONS' "*") or no host to be had. */
static bool client_url(const struct slot *s, const struct ts_http1_request *q, unsigned flags,
		       char *url, size_t cap)
{
	bool absolute = !strncmp(q->path, "http://", 7) || !strncmp(q->path, "https://", 8);
	size_t at = 0;
	if (!absolute) {
		char peer[INET6_ADDRSTRLEN + 10];
		if (q->path[0] != '/' || (!q->host_len && !peer_authority(s, peer, sizeof peer)))
			return false;
		put(url, cap, &at, s->tls ? "https://" : "http://", s->tls ? 8 : 7);
		if (q->host_len)
			put(url, cap, &at, q->host, q->host_len);
		else
			put(url, cap, &at, peer, strlen(peer));
	}
	put(url, cap, &at, q->path, q->path_len);
	if (flags & TS_HTTP1_F_QUERY) {
		put(url, cap, &at, "?", 1);
		put(url, cap, &at, q->query, q->query_len);
	}
	return true;
}

/* url.path of a server span: an origin-form target as it is; an
 * absolute-form one's path ("/" when it has none), its scheme in *scheme;
 * NULL for CONNECT's authority-form, which has no path. */
static const char *server_path(const struct ts_http1_request *q, unsigned method, const char **scheme)
{
	if (method == TS_HTTP1_CONNECT)
		return NULL;
	const char *p = q->path, *sep;
	if (p[0] == '/' || p[0] == '*' || !(sep = strstr(p, "://")))
		return p;
	if (sep - p == 4 && !strncasecmp(p, "http", 4))
		*scheme = "http";
	else if (sep - p == 5 && !strncasecmp(p, "https", 5))
		*scheme = "https";
	const char *path = strchr(sep + 3, '/');
	return path ? path : "/";
}

static void begin_span(struct ts_thread *t, struct slot *s, const struct ts_http1_event *ev)
{
	const struct ts_http1_request *q = ev->req;
	bool cl = client(s);
	const char *method = ev->method ? ts_http1_method_name(ev->method) : "_OTHER";
	char version[4] = {(char)('0' + ev->version / 10 % 10), '.', (char)('0' + ev->version % 10), 0};
	char addr[TS_HTTP1_HOST_MAX + 1], url[TS_VALUE_MAX + 1];
	ts_attribute_t a[13];
	size_t n = 0;
	a[n++] = ts_str(ts_known_keys.HTTP_METHOD, method);
	if (!ev->method)
		a[n++] = ts_str(ts_known_keys.HTTP_METHOD_ORIGINAL, q->method);
	if (cl) {
		if (client_url(s, q, ev->flags, url, sizeof url))
			a[n++] = ts_str(ts_known_keys.URL_FULL, url);
	} else {
		const char *scheme = s->tls ? "https" : "http";
		const char *path = server_path(q, ev->method, &scheme);
		if (path)
			a[n++] = ts_str(ts_known_keys.URL_PATH, path);
		if (ev->flags & TS_HTTP1_F_QUERY)
			a[n++] = ts_str(ts_known_keys.URL_QUERY, q->query);
		a[n++] = ts_str(ts_known_keys.URL_SCHEME, scheme);
	}
	if (q->host_len) {
		int64_t port = split_host(q->host, addr, sizeof addr, s->tls ? 443 : 80);
		a[n++] = ts_str(ts_known_keys.SERVER_ADDRESS, addr);
		a[n++] = ts_int(ts_known_keys.SERVER_PORT, port);
	}
	a[n++] = ts_str(ts_known_keys.PROTOCOL_VERSION, version);
	if (q->user_agent_len)
		a[n++] = ts_str(ts_known_keys.USER_AGENT, q->user_agent);
	/* The caller's context: the agent makes the span its child, in its
	 * trace (userspan.c). */
	if (!cl && (ev->flags & TS_HTTP1_F_TRACEPARENT) && !(ev->flags & TS_HTTP1_F_TRACEPARENT_CUT))
		a[n++] = ts_str(ts_known_keys.REMOTE_PARENT, q->traceparent);
	/* A client request that carries the shim's traceparent is the span
	 * named there (reserved by the thread that added it). */
	uint32_t number;
	if (cl && s->next_handle && (uint32_t)(s->next_handle >> 32) == t->index)
		number = (uint32_t)s->next_handle;
	else
		number = t->next_span++;
	if (cl) {
		static const char *const how[] = {
			[TS_PROP_INJECTED] = "injected", [TS_PROP_PROGRAM] = "by_program",
			[TS_PROP_NOT_INJECTED] = "not_injected",
		};
		unsigned p = ev->flags & TS_HTTP1_F_TRACEPARENT ? TS_PROP_PROGRAM :
			     s->next_handle ? TS_PROP_INJECTED : s->propagated;
		/* A request after the first of one write (pipelining) has no
		 * line of its own. */
		if (p == TS_PROP_NONE && ts_http_injecting())
			p = TS_PROP_NOT_INJECTED;
		if (p != TS_PROP_NONE && p < sizeof how / sizeof *how)
			a[n++] = ts_str(ts_known_keys.HTTP_TRACEPARENT, how[p]);
	}
	s->next_handle = 0;
	s->propagated = TS_PROP_NONE;
	/* The span's name: the method ("HTTP" when it is not a known one). */
	const char *name = ev->method ? method : "HTTP";
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, name, a, n);
	int dir = cl ? TS_HTTP1_OUT : TS_HTTP1_IN;
	struct ts_rec rec = {.t0 = s->begin[dir], .type = TS_REC_USER_BEGIN, .span = number,
			     .parent = cl ? t->cur_span : ts_http_outside_requests(t), .fd = -1,
			     .aux_kind = TS_USER_ASYNC | (cl ? TS_USER_CLIENT : TS_USER_SERVER)};
	if (!ts_record_put(t, &rec, buf, len, 0))
		return;
	uint64_t handle = (uint64_t)t->index << 32 | number;
	s->handle[ev->seq % TS_HTTP1_PIPELINE] = handle;
	s->status[ev->seq % TS_HTTP1_PIPELINE] = 0;
	if (!cl)
		ts_http_enter(t, handle, &s->handle[ev->seq % TS_HTTP1_PIPELINE],
			      ev->flags & TS_HTTP1_F_TRACEPARENT ? q->traceparent : NULL);
}

static void note(struct ts_thread *t, uint64_t handle, const ts_attribute_t *a, size_t n,
		 uint64_t at)
{
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, "", a, n);
	struct ts_rec rec = {.t0 = at, .t1 = at, .type = TS_REC_USER_NOTE, .arg = handle,
			     .op = TS_NOTE_ATTRS, .fd = -1};
	ts_record_put(t, &rec, buf, len, 0);
}

/* The final status of request seq's response: said as it is known (a
 * process killed before the end still gives it), in a record of its own
 * with no payload, as every response has one. */
static void say_status(struct ts_thread *t, struct slot *s, uint32_t seq, unsigned status,
		       uint64_t at)
{
	uint64_t h = s->handle[seq % TS_HTTP1_PIPELINE];
	s->status[seq % TS_HTTP1_PIPELINE] = (uint16_t)status;
	struct ts_rec rec = {.t0 = at, .t1 = at, .type = TS_REC_USER_NOTE, .arg = h,
			     .op = TS_NOTE_HTTP_STATUS, .ret = status, .fd = -1};
	if (h)
		ts_record_put(t, &rec, NULL, 0, 0);
}

/* Ends the span of request seq: ERROR with error.type `why` when given, else
 * by its status (client: 4xx and 5xx, server: 5xx, per the HTTP spans
 * conventions). */
static void end_span(struct ts_thread *t, struct slot *s, uint32_t seq, uint64_t at, const char *why)
{
	uint64_t *h = &s->handle[seq % TS_HTTP1_PIPELINE];
	if (!*h)
		return;
	if (!client(s))
		ts_http_leave(t, *h);
	unsigned status = s->status[seq % TS_HTTP1_PIPELINE];
	bool failed_status = status >= (client(s) ? 400u : 500u);
	bool error = why || failed_status;
	char code[12];
	/* An error status says more than a body cut short after it (curl -f
	 * closes on a 404 without reading the page). */
	if (failed_status) {
		size_t at = 0;
		put_uint(code, sizeof code, &at, status);
		why = code;
	}
	if (why) {
		ts_attribute_t e = ts_str(ts_known_keys.ERROR_TYPE, why);
		note(t, *h, &e, 1, at);
	}
	/* The connection again: its peer is surely known to the agent by the
	 * end (the accept that made it may be in another thread's ring). */
	struct ts_rec rec = {.t0 = at, .t1 = at, .type = TS_REC_USER_END, .arg = *h,
			     .op = error ? TS_STATUS_ERROR : TS_STATUS_UNSET,
			     .aux_kind = TS_USER_ASYNC | (client(s) ? TS_USER_CLIENT : TS_USER_SERVER),
			     .fd = s->fd, .fdgen = (uint32_t)s->state,
			     .aux2 = ts_fd_state_kind(s->state)};
	/* The peer's address when the connect or accept that made the
	 * connection said it: the agent may no longer know which connection
	 * the descriptor was. */
	uint8_t peer[TS_HTTP_PEER_MAX];
	unsigned plen = ts_http_peer_of(s->fd, (uint32_t)s->state, peer);
	ts_record_put(t, &rec, peer, plen, 1);
	*h = 0;
	/* A child forked during an exchange now over has no part in the next. */
	bool open = false;
	for (uint32_t i = 0; s->child && i < TS_HTTP1_PIPELINE; i++)
		open |= s->handle[i] != 0;
	if (!open)
		s->child = 0;
}

/* Every span still open on the connection ends, as failed. */
void ts_http_end_all(struct ts_thread *t, struct slot *s, uint64_t at, const char *why)
{
	for (uint32_t i = 0; i < TS_HTTP1_PIPELINE; i++)
		end_span(t, s, i, at, why);
}

/* The process closes its end of a connection a child it started has too
 * (s->child): every span still open ends, not as failed. */
void ts_http_end_handed(struct ts_thread *t, struct slot *s, uint64_t at)
{
	/* A response whose head the process began (a CGI server sends its
	 * status line, the child the rest) has its status. */
	unsigned head = client(s) ? 0 : ts_http1_head_status(&s->conn, TS_HTTP1_OUT);
	uint32_t seq = s->conn.resp_seq;
	if (head && !s->status[seq % TS_HTTP1_PIPELINE])
		say_status(t, s, seq, head, at);
	const ts_attribute_t a = ts_int("traceshim.http.handed_to.pid", s->child);
	for (uint32_t i = 0; i < TS_HTTP1_PIPELINE; i++) {
		if (s->handle[i] && s->child > 0)   /* -1: a process not known */
			note(t, s->handle[i], &a, 1, at);
		end_span(t, s, i, at, NULL);
	}
}

static const char *stop_reason(unsigned stop)
{
	switch (stop) {
	case TS_HTTP1_STOP_HEAD_TOO_LARGE: return "head_too_large";
	case TS_HTTP1_STOP_BAD_LENGTH: return "bad_content_length";
	case TS_HTTP1_STOP_BAD_CHUNK: return "bad_chunked_encoding";
	case TS_HTTP1_STOP_PIPELINE_FULL: return "too_many_pipelined_requests";
	case TS_HTTP1_STOP_UNSEEN: return "unseen_bytes";
	default: return "malformed_http";
	}
}

void ts_http_event(struct ts_thread *t, struct slot *s, const struct ts_http1_event *ev,
		   uint64_t t0, uint64_t t1)
{
	if (s->conn.state == TS_HTTP1_CLIENT || s->conn.state == TS_HTTP1_SERVER)
		s->role = s->conn.state;
	/* The direction requests go in: the client sends them. */
	int req_dir = client(s) ? TS_HTTP1_OUT : TS_HTTP1_IN;
	switch (ev->kind) {
	case TS_HTTP1_BEGIN:
		/* A message sent begins as its call does; one received when
		 * its call returns with it: a read that waited for it (a
		 * keep-alive connection's next request) began before it came. */
		s->begin[ev->dir] = ev->dir == TS_HTTP1_IN ? t1 : t0;
		break;
	case TS_HTTP1_REQUEST_HEAD:
		begin_span(t, s, ev);
		break;
	case TS_HTTP1_RESPONSE_HEAD:
		if (!(ev->flags & TS_HTTP1_F_INTERIM))
			say_status(t, s, ev->seq, ev->status, t1);
		break;
	case TS_HTTP1_END:
		if (ev->dir != req_dir && !(ev->flags & TS_HTTP1_F_INTERIM))
			end_span(t, s, ev->seq, t1, NULL);
		break;
	case TS_HTTP1_ABANDONED:
		if (s->child)
			ts_http_end_handed(t, s, t1);
		else
			ts_http_end_all(t, s, t1, "connection_closed");
		break;
	case TS_HTTP1_STOPPED:
		/* A protocol switch ends the exchange that asked for it well. */
		ts_http_end_all(t, s, t1, ev->stop == TS_HTTP1_STOP_UPGRADE || ev->stop == TS_HTTP1_STOP_TUNNEL ?
				  NULL : stop_reason(ev->stop));
		break;
	}
}

