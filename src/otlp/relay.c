/* The agent's OTLP relay process (see relay.h). Its main thread reads: the
 * agent's control socket (new worker connections, the agent's end) and every
 * worker connection, into one FIFO of requests; its sender thread posts
 * them with send.c, one keep-alive connection per distinct endpoint and
 * settings, and answers each worker. Requests of several workers that wait
 * together go out as one: the concatenation of ExportTraceServiceRequest
 * messages is the request of all their resource spans (protobuf merges
 * repeated fields), up to OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans.
 *
 * Each request is given up at its deadline: the worker's own (its export
 * timeout, or its exit bound once it has said FIN) or the agent's end,
 * whichever comes first; a request that joins others is sent until the
 * latest of theirs. The relay leaves once the agent is done with it and no
 * worker connection is left. */
#include "relay.h"

#include "log.h"
#include "module.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Requests waiting, all workers together: beyond this they fail at once. */
#define QUEUE_BYTES_MAX (128u << 20)
/* Bytes of one merged request. */
#define MERGED_BYTES_MAX (4u << 20)

struct key {
	struct key *next;
	struct ts_otel_env env;
	struct ts_otlp_sender *sender;   /* made on first use, sender thread only */
};

struct conn {
	struct conn *next;
	int fd;
	struct key *key;            /* from its HELLO */
	uint32_t seq;               /* DATA messages read */
	unsigned pending;           /* of them queued or in flight */
	bool eof;                   /* read to its end: freed once nothing is pending */
	/* The message being read (main thread only). */
	struct ts_relay_msg hdr;
	size_t got;
	uint8_t *body;
};

struct msg {
	struct msg *next;
	struct conn *c;
	uint32_t seq, nspans;
	uint64_t deadline;
	size_t len;
	uint8_t *body;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct conn *conns;
static struct key *keys;                  /* main thread only; never freed */
static struct msg *head, *tail, *inflight;
static size_t queued_bytes;
static int ctl = -1;
static bool ctl_eof;
static uint32_t received, idle_reported;
static _Atomic uint64_t cutoff_ms;        /* of the request in flight */

static void free_conn(struct conn *c)
{
	for (struct conn **p = &conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	close(c->fd);
	free(c->body);
	free(c);
}

/* Under lock: tells the agent when nothing is left, once per connection count. */
static void report_idle(void)
{
	if (conns || head || inflight || ctl_eof || received == idle_reported)
		return;
	idle_reported = received;
	(void)send(ctl, &received, sizeof received, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Under lock: the in-flight request is sent until the latest deadline of
 * its parts. */
static void set_cutoff(void)
{
	uint64_t latest = 0;
	for (struct msg *m = inflight; m; m = m->next)
		if (m->deadline > latest)
			latest = m->deadline;
	atomic_store(&cutoff_ms, latest ? latest : 1);
}

/* Under lock: what is queued or in flight (of c only, unless NULL) is given
 * up at deadline at the latest. */
static void bound(const struct conn *c, uint64_t deadline)
{
	for (struct msg *m = head; m; m = m->next)
		if ((!c || m->c == c) && m->deadline > deadline)
			m->deadline = deadline;
	bool mine = false;
	for (struct msg *m = inflight; m; m = m->next)
		if ((!c || m->c == c) && m->deadline > deadline) {
			m->deadline = deadline;
			mine = true;
		}
	if (mine)
		set_cutoff();
}

/* Under lock: answers m and forgets it. */
static void done(struct msg *m, bool ok, const struct ts_send_stats *st)
{
	struct ts_relay_reply r = {.seq = m->seq, .failed = ok ? 0 : m->nspans,
				   .last_status = (int32_t)st->last_status, .attempts = st->attempts};
	(void)send(m->c->fd, &r, sizeof r, MSG_DONTWAIT | MSG_NOSIGNAL);
	queued_bytes -= m->len;
	if (!--m->c->pending && m->c->eof)
		free_conn(m->c);
	free(m->body);
	free(m);
}

/* Under lock: moves the head request and the ones of the same endpoint
 * that fit with it into inflight, in order. */
static void take_request(void)
{
	struct key *k = head->c->key;
	size_t spans = 0, bytes = 0;
	struct msg **at = &head, **in = &inflight;
	while (*at) {
		struct msg *m = *at;
		if (m->c->key != k) {
			at = &m->next;
			continue;
		}
		if (inflight && (spans + m->nspans > k->env.max_batch || bytes + m->len > MERGED_BYTES_MAX))
			break;   /* the rest waits, in order */
		spans += m->nspans;
		bytes += m->len;
		*at = m->next;
		m->next = NULL;
		*in = m;
		in = &m->next;
	}
	tail = NULL;
	for (struct msg *m = head; m; m = m->next)
		tail = m;
}

static void post(void)
{
	uint64_t now = ts_monotonic_ms();
	size_t len = 0, n = 0, spans = 0;
	/* Given up before their turn came. */
	struct ts_send_stats none = {0};
	size_t late = 0;
	const char *shown = inflight->c->key->env.shown;
	for (struct msg **at = &inflight; *at;) {
		struct msg *m = *at;
		if (m->deadline <= now) {
			*at = m->next;
			late += m->nspans;
			done(m, false, &none);
			continue;
		}
		len += m->len;
		spans += m->nspans;
		n++;
		at = &m->next;
	}
	if (late)
		TS_WARN("%zu spans not exported to %s: their time ran out while they waited", late,
			shown);
	if (!inflight)
		return;
	struct key *k = inflight->c->key;
	set_cutoff();
	uint64_t deadline = atomic_load(&cutoff_ms);
	uint8_t *body = inflight->body, *merged = NULL;
	if (n > 1 && (merged = malloc(len))) {
		size_t at = 0;
		for (struct msg *m = inflight; m; m = m->next) {
			memcpy(merged + at, m->body, m->len);
			at += m->len;
		}
		body = merged;
	} else {
		/* One request, or out of memory: the first one alone. */
		len = inflight->len;
		spans = inflight->nspans;
		n = 1;
	}
	pthread_mutex_unlock(&lock);

	if (!k->sender) {
		struct ts_send_hooks hooks = {&cutoff_ms};
		k->sender = ts_otlp_sender_new(&k->env, &hooks);
	}
	struct ts_send_stats st = {0};
	enum ts_send_result r = k->sender ? ts_otlp_send(k->sender, body, len, deadline, &st)
					  : TS_SEND_GAVE_UP;
	size_t sent = n;
	free(merged);
	if (r != TS_SEND_OK)
		TS_WARN("%zu spans of %zu requests not exported to %s (%u attempts, last HTTP status %ld)",
			spans, n, k->env.shown, st.attempts, st.last_status);
	else
		TS_DEBUG("exported %zu spans of %zu requests (%zu bytes)", spans, n, len);

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < sent; i++) {
		struct msg *m = inflight;
		inflight = m->next;
		done(m, r == TS_SEND_OK, &st);
	}
	/* A request left out for want of memory goes back to the front. */
	if (inflight) {
		struct msg *end = inflight;
		while (end->next)
			end = end->next;
		end->next = head;
		if (!head)
			tail = end;
		head = inflight;
		inflight = NULL;
	}
	atomic_store(&cutoff_ms, 0);
}

static void *sender_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!head)
			pthread_cond_wait(&work, &lock);
		take_request();
		post();
		report_idle();
	}
	return NULL;
}

/* The key of these settings: workers with the same endpoint, headers,
 * compression and timeout share a connection. */
static struct key *key_of(const struct ts_otel_env *env)
{
	for (struct key *k = keys; k; k = k->next)
		if (!strcmp(k->env.endpoint, env->endpoint) && !strcmp(k->env.headers, env->headers) &&
		    k->env.gzip == env->gzip && k->env.timeout_ms == env->timeout_ms &&
		    k->env.max_batch == env->max_batch)
			return k;
	struct key *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->env = *env;
	k->next = keys;
	keys = k;
	return k;
}

/* A whole message read from c; false when it is not one a worker sends. */
static bool take_message(struct conn *c)
{
	struct ts_relay_msg *h = &c->hdr;
	if (h->type == TS_RELAY_HELLO) {
		struct ts_relay_hello *hello = (struct ts_relay_hello *)c->body;
		struct ts_otel_env *env = &hello->env;
		if (hello->log_level > ts_log_level && hello->log_level <= TS_LOG_DEBUG)
			ts_log_level = hello->log_level;
		env->endpoint[sizeof env->endpoint - 1] = 0;
		env->shown[sizeof env->shown - 1] = 0;
		env->headers[sizeof env->headers - 1] = 0;
		if (!env->endpoint[0] || !env->max_batch || c->key)
			return false;
		c->key = key_of(env);
		return c->key != NULL;
	}
	pthread_mutex_lock(&lock);
	if (h->type == TS_RELAY_FIN) {
		bound(c, h->deadline_ms);
		pthread_mutex_unlock(&lock);
		return true;
	}
	struct msg *m = calloc(1, sizeof *m);
	if (!c->key || !m) {
		pthread_mutex_unlock(&lock);
		free(m);
		return false;
	}
	*m = (struct msg){.c = c, .seq = ++c->seq, .nspans = h->nspans, .deadline = h->deadline_ms,
			  .len = h->len, .body = c->body};
	c->body = NULL;
	c->pending++;
	queued_bytes += m->len;
	if (queued_bytes > QUEUE_BYTES_MAX) {
		struct ts_send_stats none = {0};
		TS_WARN("%u spans not exported to %s: too many requests wait", m->nspans,
			c->key->env.shown);
		done(m, false, &none);
	} else {
		if (tail)
			tail->next = m;
		else
			head = m;
		tail = m;
		pthread_cond_signal(&work);
	}
	pthread_mutex_unlock(&lock);
	return true;
}

static bool header_ok(const struct ts_relay_msg *h)
{
	switch (h->type) {
	case TS_RELAY_HELLO:
		return h->len == sizeof(struct ts_relay_hello);
	case TS_RELAY_DATA:
		return h->len && h->len <= TS_RELAY_BODY_MAX && h->nspans;
	case TS_RELAY_FIN:
		return h->len == 0;
	default:
		return false;
	}
}

/* Reads what c has; false at its end (or when it sent what no worker sends). */
static bool read_conn(struct conn *c)
{
	for (;;) {
		size_t hs = sizeof c->hdr;
		ssize_t n;
		if (c->got < hs)
			n = read(c->fd, (char *)&c->hdr + c->got, hs - c->got);
		else
			n = read(c->fd, c->body + (c->got - hs), c->hdr.len - (c->got - hs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		c->got += (size_t)n;
		if (c->got == hs) {
			if (!header_ok(&c->hdr) || !(c->body = malloc(c->hdr.len ? c->hdr.len : 1)))
				return false;
		}
		if (c->got == hs + c->hdr.len) {
			bool ok = take_message(c);
			free(c->body);
			c->body = NULL;
			c->got = 0;
			if (!ok)
				return false;
		}
	}
}

static void read_ctl(void)
{
	char buf[16];
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
			    .msg_controllen = sizeof u.space};
	ssize_t n = recvmsg(ctl, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	int fd = -1;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	pthread_mutex_lock(&lock);
	if (n <= 0) {
		ctl_eof = true;
	} else if (buf[0] == TS_RELAY_CONN) {
		received++;
		struct conn *c = fd >= 0 ? calloc(1, sizeof *c) : NULL;
		if (c) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
			c->fd = fd;
			c->next = conns;
			conns = c;
		} else if (fd >= 0) {
			close(fd);
		}
	} else if (buf[0] == TS_RELAY_END && n == 1 + (ssize_t)sizeof(uint64_t)) {
		uint64_t end;
		memcpy(&end, buf + 1, sizeof end);
		bound(NULL, end);
	}
	pthread_mutex_unlock(&lock);
}

int ts_relay_main(int ctl_fd, int log_level)
{
	ts_log_level = log_level;
	ctl = ctl_fd;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	pthread_t th;
	if (pthread_create(&th, NULL, sender_main, NULL) != 0)
		return 1;
	struct pollfd *p = NULL;
	struct conn **polled = NULL;
	size_t cap = 0;
	for (;;) {
		pthread_mutex_lock(&lock);
		size_t n = 1;
		for (struct conn *c = conns; c; c = c->next)
			n += !c->eof;
		bool finished = ctl_eof && !conns && !head && !inflight;
		if (n > cap) {
			struct pollfd *np = realloc(p, n * sizeof *p);
			struct conn **nc = np ? realloc(polled, n * sizeof *nc) : NULL;
			p = np ? np : p;
			polled = nc ? nc : polled;
			cap = np && nc ? n : cap;
		}
		n = 0;
		p[n++] = (struct pollfd){ctl_eof ? -1 : ctl, POLLIN, 0};
		for (struct conn *c = conns; c && n < cap; c = c->next)
			if (!c->eof) {
				polled[n] = c;
				p[n++] = (struct pollfd){c->fd, POLLIN, 0};
			}
		pthread_mutex_unlock(&lock);
		if (finished || !p)
			break;
		/* Once the agent is done, its end is looked for often. */
		if (poll(p, n, ctl_eof ? 10 : 200) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			read_ctl();
		for (size_t i = 1; i < n; i++) {
			struct conn *c = polled[i];
			if (!p[i].revents || read_conn(c))
				continue;
			pthread_mutex_lock(&lock);
			c->eof = true;
			if (!c->pending)
				free_conn(c);
			report_idle();
			pthread_mutex_unlock(&lock);
		}
	}
	return 0;
}
