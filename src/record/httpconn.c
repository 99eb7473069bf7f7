/* HTTP/1 exchanges as spans (see httpconn.h).
 *
 * Each descriptor number has one entry: the generation it was made for, the
 * process's fork epoch, and what is known of it (nothing yet, not HTTP, or
 * the sniffer slot it uses). Slots come from a fixed pool taken and given
 * back with one atomic operation on a bitmap; a descriptor that turns out not
 * to be HTTP gives its slot back after its first call. The pool and the
 * entries are in .lbss: their pages are touched only when sockets are. */
#include "httpconn.h"

#include "attrpack.h"
#include "clock.h"
#include "http1.h"
#include "large.h"
#include "record.h"
#include "vforkstate.h"

#include <string.h>

#define SLOTS 512
#define NONE 0
#define OFF 0xffff

struct slot {
	struct ts_http1_conn conn;
	bool tls;                            /* the plaintext of a TLS session: https */
	uint64_t begin[2];                   /* ticks of the message begun in each direction */
	uint64_t handle[TS_HTTP1_PIPELINE];  /* open span of request seq % PIPELINE, 0: none */
	uint16_t status[TS_HTTP1_PIPELINE];  /* its final status, once known */
};

/* gen (32) | epoch (16) | NONE, OFF or slot + 1 (16) */
static TS_LARGE _Atomic uint64_t entries[2][TS_FDGEN_MAX];   /* by enum ts_http_layer */
static TS_LARGE struct slot slots[SLOTS];
static _Atomic uint64_t used[SLOTS / 64];
static _Atomic uint16_t epoch = 1;
static bool query_raw;
static _Atomic bool tls_seen;   /* a TLS layer was fed once */

void ts_http_configure(bool raw)
{
	query_raw = raw;
}

void ts_http_after_fork(void)
{
	for (unsigned i = 0; i < SLOTS / 64; i++)
		atomic_store_explicit(&used[i], 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&epoch, 1, memory_order_relaxed);
}

static inline uint64_t entry_of(uint32_t gen, uint16_t what)
{
	return (uint64_t)gen << 32 | (uint64_t)atomic_load_explicit(&epoch, memory_order_relaxed) << 16 |
	       what;
}

static int take_slot(void)
{
	for (unsigned w = 0; w < SLOTS / 64; w++) {
		uint64_t bits = atomic_load_explicit(&used[w], memory_order_relaxed);
		while (~bits) {
			unsigned b = (unsigned)__builtin_ctzll(~bits);
			if (atomic_compare_exchange_weak_explicit(&used[w], &bits, bits | 1ull << b,
								  memory_order_acquire,
								  memory_order_relaxed))
				return (int)(w * 64 + b);
		}
	}
	return -1;
}

static void give_slot(unsigned i)
{
	atomic_fetch_and_explicit(&used[i / 64], ~(1ull << (i % 64)), memory_order_release);
}

/* The slot of fd for this generation, made on its first call; NULL when the
 * descriptor is not HTTP or no slot is free (it is then left untraced, as
 * if it were not HTTP: the pool's size is the documented limit). */
static struct slot *slot_for(int fd, uint64_t state, enum ts_http_layer layer)
{
	if ((unsigned)fd >= TS_FDGEN_MAX)
		return NULL;
	_Atomic uint64_t *entry = &entries[layer][fd];
	uint64_t want = entry_of((uint32_t)state, NONE);
	uint64_t e = atomic_load_explicit(entry, memory_order_acquire);
	if ((e & ~0xffffull) == want) {
		uint16_t what = (uint16_t)e;
		return what == NONE || what == OFF ? NULL : &slots[what - 1];
	}
	/* First call of this generation: an older one's slot is let go. */
	uint16_t old = (uint16_t)e;
	int i = take_slot();
	uint64_t next = i < 0 ? want | OFF : want | (uint16_t)(i + 1);
	if (!atomic_compare_exchange_strong_explicit(entry, &e, next, memory_order_acq_rel,
						     memory_order_acquire)) {
		if (i >= 0)
			give_slot((unsigned)i);
		return slot_for(fd, state, layer);   /* another thread made it first */
	}
	if (old != NONE && old != OFF && (e >> 16 & 0xffff) == (next >> 16 & 0xffff))
		give_slot(old - 1u);
	if (i < 0)
		return NULL;
	struct slot *s = &slots[i];
	ts_http1_init(&s->conn, query_raw ? TS_HTTP1_QUERY_RAW : 0);
	s->tls = layer == TS_HTTP_TLS;
	if (s->tls && !atomic_load_explicit(&tls_seen, memory_order_relaxed))
		atomic_store_explicit(&tls_seen, true, memory_order_relaxed);
	memset(s->handle, 0, sizeof s->handle);
	return s;
}

/* The descriptor is done with: OFF for its generation, slot back. */
static void release(int fd, uint64_t state, struct slot *s)
{
	atomic_store_explicit(&entries[s->tls][fd], entry_of((uint32_t)state, OFF),
			      memory_order_release);
	give_slot((unsigned)(s - slots));
}

/* --- spans ---------------------------------------------------------------- */

static bool client(const struct ts_http1_conn *c)
{
	return c->state == TS_HTTP1_CLIENT;
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

static void begin_span(struct ts_thread *t, struct slot *s, const struct ts_http1_event *ev)
{
	const struct ts_http1_request *q = ev->req;
	bool cl = client(&s->conn);
	const char *method = ev->method ? ts_http1_method_name(ev->method) : "_OTHER";
	char version[4] = {(char)('0' + ev->version / 10 % 10), '.', (char)('0' + ev->version % 10), 0};
	char addr[TS_HTTP1_HOST_MAX + 1], url[TS_VALUE_MAX + 1];
	ts_attribute_t a[10];
	size_t n = 0;
	a[n++] = ts_str("http.request.method", method);
	if (!ev->method)
		a[n++] = ts_str("http.request.method_original", q->method);
	if (cl) {
		bool absolute = !strncmp(q->path, "http://", 7) || !strncmp(q->path, "https://", 8);
		size_t at = 0;
		if (!absolute) {
			put(url, sizeof url, &at, s->tls ? "https://" : "http://", 8);
			put(url, sizeof url, &at, q->host, q->host_len);
		}
		put(url, sizeof url, &at, q->path, q->path_len);
		if (ev->flags & TS_HTTP1_F_QUERY) {
			put(url, sizeof url, &at, "?", 1);
			put(url, sizeof url, &at, q->query, q->query_len);
		}
		a[n++] = ts_str("url.full", url);
	} else {
		a[n++] = ts_str("url.path", q->path);
		if (ev->flags & TS_HTTP1_F_QUERY)
			a[n++] = ts_str("url.query", q->query);
		a[n++] = ts_str("url.scheme", s->tls ? "https" : "http");
	}
	if (q->host_len) {
		int64_t port = split_host(q->host, addr, sizeof addr, s->tls ? 443 : 80);
		a[n++] = ts_str("server.address", addr);
		a[n++] = ts_int("server.port", port);
	}
	a[n++] = ts_str("network.protocol.version", version);
	if (q->user_agent_len)
		a[n++] = ts_str("user_agent.original", q->user_agent);
	/* The span's name: the method ("HTTP" when it is not a known one). */
	const char *name = ev->method ? method : "HTTP";
	char buf[TS_PACK_MAX];
	unsigned len = ts_attrs_pack(buf, sizeof buf, name, a, n);
	uint32_t number = t->next_span++;
	int dir = cl ? TS_HTTP1_OUT : TS_HTTP1_IN;
	struct ts_rec rec = {.t0 = s->begin[dir], .type = TS_REC_USER_BEGIN, .span = number,
			     .parent = t->cur_span, .fd = -1,
			     .aux_kind = TS_USER_ASYNC | (cl ? TS_USER_CLIENT : TS_USER_SERVER)};
	if (ts_record_put(t, &rec, buf, len, 0)) {
		s->handle[ev->seq % TS_HTTP1_PIPELINE] = (uint64_t)t->index << 32 | number;
		s->status[ev->seq % TS_HTTP1_PIPELINE] = 0;
	}
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

/* Ends the span of request seq: ERROR with error.type `why` when given, else
 * by its status (client: 4xx and 5xx, server: 5xx, per the HTTP spans
 * conventions). */
static void end_span(struct ts_thread *t, struct slot *s, uint32_t seq, uint64_t at, const char *why)
{
	uint64_t *h = &s->handle[seq % TS_HTTP1_PIPELINE];
	if (!*h)
		return;
	unsigned status = s->status[seq % TS_HTTP1_PIPELINE];
	bool error = why || status >= (client(&s->conn) ? 400u : 500u);
	char code[12];
	if (error && !why) {
		size_t at = 0;
		put_uint(code, sizeof code, &at, status);
		why = code;
	}
	if (why) {
		ts_attribute_t e = ts_str("error.type", why);
		note(t, *h, &e, 1, at);
	}
	struct ts_rec rec = {.t0 = at, .t1 = at, .type = TS_REC_USER_END, .arg = *h,
			     .op = error ? TS_STATUS_ERROR : TS_STATUS_UNSET,
			     .aux_kind = TS_USER_ASYNC, .fd = -1};
	ts_record_put(t, &rec, NULL, 0, 1);
	*h = 0;
}

/* Every span still open on the connection ends, as failed. */
static void end_all(struct ts_thread *t, struct slot *s, uint64_t at, const char *why)
{
	for (uint32_t i = 0; i < TS_HTTP1_PIPELINE; i++)
		end_span(t, s, i, at, why);
}

static const char *stop_reason(unsigned stop)
{
	switch (stop) {
	case TS_HTTP1_STOP_HEAD_TOO_LARGE: return "head_too_large";
	case TS_HTTP1_STOP_BAD_LENGTH: return "bad_content_length";
	case TS_HTTP1_STOP_BAD_CHUNK: return "bad_chunked_encoding";
	case TS_HTTP1_STOP_PIPELINE_FULL: return "too_many_pipelined_requests";
	default: return "malformed_http";
	}
}

static void handle(struct ts_thread *t, struct slot *s, const struct ts_http1_event *ev,
		   uint64_t t0, uint64_t t1)
{
	/* The direction requests go in: the client sends them. */
	int req_dir = client(&s->conn) ? TS_HTTP1_OUT : TS_HTTP1_IN;
	switch (ev->kind) {
	case TS_HTTP1_BEGIN:
		s->begin[ev->dir] = t0;
		break;
	case TS_HTTP1_REQUEST_HEAD:
		begin_span(t, s, ev);
		break;
	case TS_HTTP1_RESPONSE_HEAD:
		if (!(ev->flags & TS_HTTP1_F_INTERIM)) {
			uint64_t h = s->handle[ev->seq % TS_HTTP1_PIPELINE];
			s->status[ev->seq % TS_HTTP1_PIPELINE] = ev->status;
			ts_attribute_t a = ts_int("http.response.status_code", ev->status);
			if (h)
				note(t, h, &a, 1, t1);
		}
		break;
	case TS_HTTP1_END:
		if (ev->dir != req_dir && !(ev->flags & TS_HTTP1_F_INTERIM))
			end_span(t, s, ev->seq, t1, NULL);
		break;
	case TS_HTTP1_ABANDONED:
		end_all(t, s, t1, "connection_closed");
		break;
	case TS_HTTP1_STOPPED:
		/* A protocol switch ends the exchange that asked for it well. */
		end_all(t, s, t1, ev->stop == TS_HTTP1_STOP_UPGRADE || ev->stop == TS_HTTP1_STOP_TUNNEL ?
				  NULL : stop_reason(ev->stop));
		break;
	}
}

static void feed(struct ts_thread *t, struct slot *s, int dir, const void *buf, size_t len,
		 uint64_t t0, uint64_t t1)
{
	struct ts_http1_event ev[8];
	for (size_t pos = 0; pos < len;) {
		unsigned n = ts_http1_feed(&s->conn, (enum ts_http1_dir)dir, buf, len, &pos, ev, 8);
		for (unsigned i = 0; i < n; i++)
			handle(t, s, &ev[i], t0, t1);
	}
}

/* The peer closed, or the program did: what the connection had open ends. */
static void finish(struct ts_thread *t, int fd, uint64_t state, struct slot *s, uint64_t at)
{
	struct ts_http1_event ev[4];
	unsigned n = ts_http1_close(&s->conn, ev, 4);
	for (unsigned i = 0; i < n; i++)
		handle(t, s, &ev[i], at, at);
	end_all(t, s, at, "connection_closed");
	release(fd, state, s);
}

void ts_http_bytes(struct ts_thread *t, int fd, uint64_t state, enum ts_http_layer layer, int dir,
		   const void *buf, int64_t done, uint64_t t0, uint64_t t1)
{
	if (done < 0 || ts_vfork_child())
		return;
	struct slot *s = slot_for(fd, state, layer);
	if (!s)
		return;
	if (done == 0) {
		if (dir == TS_HTTP_IN && s->conn.state != TS_HTTP1_DETECT)
			finish(t, fd, state, s, t1);
		return;
	}
	feed(t, s, dir, buf, (size_t)done, t0, t1);
	if (ts_http1_is_off(&s->conn))
		release(fd, state, s);
}

void ts_http_iov(struct ts_thread *t, int fd, uint64_t state, enum ts_http_layer layer, int dir,
		 const struct iovec *iov, size_t cnt, int64_t done, uint64_t t0, uint64_t t1)
{
	if (done <= 0 || !iov) {
		ts_http_bytes(t, fd, state, layer, dir, NULL, done, t0, t1);
		return;
	}
	if (ts_vfork_child())
		return;
	struct slot *s = slot_for(fd, state, layer);
	if (!s)
		return;
	size_t left = (size_t)done;
	for (size_t i = 0; i < cnt && left && !ts_http1_is_off(&s->conn); i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
		if (n)
			feed(t, s, dir, iov[i].iov_base, n, t0, t1);
		left -= n;
	}
	if (ts_http1_is_off(&s->conn))
		release(fd, state, s);
}

void ts_http_closed(struct ts_thread *t, int fd, uint64_t state, uint64_t at)
{
	/* Only sockets, or any descriptor once TLS was seen: the entries of
	 * other descriptors' pages are never touched. */
	if ((unsigned)fd >= TS_FDGEN_MAX || ts_vfork_child() ||
	    (!ts_http_watched(state) && !atomic_load_explicit(&tls_seen, memory_order_relaxed)))
		return;
	for (int layer = 0; layer < 2; layer++) {
		uint64_t e = atomic_load_explicit(&entries[layer][fd], memory_order_acquire);
		uint16_t what = (uint16_t)e;
		if ((e & ~0xffffull) == entry_of((uint32_t)state, NONE) && what != NONE && what != OFF)
			finish(t, fd, state, &slots[what - 1], at);
	}
}
