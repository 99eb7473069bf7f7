/* The relay's queue (see relay_queue.h): requests of every worker in one
 * FIFO, and its sender thread, which posts them with send.c, one keep-alive
 * connection per distinct endpoint and settings, and answers each worker.
 * Requests of several workers that wait together go out as one: the
 * concatenation of ExportTraceServiceRequest messages is the request of all
 * their resource spans (protobuf merges repeated fields), up to
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans.
 *
 * Each request is given up at its deadline: the worker's own (its export
 * timeout, or its exit bound once it has said FIN) or the agent's end,
 * whichever comes first; a request that joins others is sent until the
 * latest of theirs. */
#include "relay_queue.h"

#include "clock.h"
#include "log.h"
#include "module.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Requests waiting, all workers together: beyond this they fail at once. */
#define QUEUE_BYTES_MAX (128u << 20)
/* Bytes of one merged request. */
#define MERGED_BYTES_MAX (4u << 20)

struct ts_relay_key {
	struct ts_relay_key *next;
	struct ts_otel_env env;
	struct ts_otlp_sender *sender;   /* made on first use, sender thread only */
};

struct msg {
	struct msg *next;
	struct ts_relay_conn *c;
	uint32_t seq, nspans;
	uint64_t deadline;
	size_t len;
	uint8_t *body;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static struct ts_relay_conn *conns;
static struct ts_relay_key *keys;         /* reading loop only; never freed */
static struct msg *head, *tail, *inflight;
static size_t queued_bytes;
static int ctl = -1;
static bool ctl_eof;
static uint32_t received, idle_reported;
static _Atomic uint64_t cutoff_ms;        /* of the request in flight */

static void free_conn(struct ts_relay_conn *c)
{
	for (struct ts_relay_conn **p = &conns; *p; p = &(*p)->next)
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
static void bound(const struct ts_relay_conn *c, uint64_t deadline)
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

static unsigned long undelivered;   /* spans, under lock */

/* Under lock: answers m and forgets it. */
static void done(struct msg *m, bool ok, const struct ts_send_stats *st)
{
	if (!ok)
		undelivered += m->nspans;
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
	struct ts_relay_key *k = head->c->key;
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
	uint64_t now = ts_clock_monotonic_ms();
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
	struct ts_relay_key *k = inflight->c->key;
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
static struct ts_relay_key *key_of(const struct ts_otel_env *env)
{
	for (struct ts_relay_key *k = keys; k; k = k->next)
		if (!strcmp(k->env.endpoint, env->endpoint) && !strcmp(k->env.headers, env->headers) &&
		    k->env.gzip == env->gzip && k->env.timeout_ms == env->timeout_ms &&
		    k->env.max_batch == env->max_batch)
			return k;
	struct ts_relay_key *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->env = *env;
	k->next = keys;
	keys = k;
	return k;
}

bool ts_relay_take_message(struct ts_relay_conn *c)
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

bool ts_relay_queue_start(int ctl_fd)
{
	ctl = ctl_fd;
	pthread_t th;
	return pthread_create(&th, NULL, sender_main, NULL) == 0;
}

size_t ts_relay_conns_open(struct ts_relay_conn **out, size_t cap)
{
	size_t n = 0;
	pthread_mutex_lock(&lock);
	for (struct ts_relay_conn *c = conns; c; c = c->next)
		if (!c->eof) {
			if (n < cap)
				out[n] = c;
			n++;
		}
	pthread_mutex_unlock(&lock);
	return n;
}

/* fd < 0: the agent meant one and it did not come. */
void ts_relay_conn_add(int fd)
{
	pthread_mutex_lock(&lock);
	received++;
	struct ts_relay_conn *c = fd >= 0 ? calloc(1, sizeof *c) : NULL;
	if (c) {
		c->fd = fd;
		c->next = conns;
		conns = c;
	} else if (fd >= 0) {
		close(fd);
	}
	pthread_mutex_unlock(&lock);
}

void ts_relay_conn_ended(struct ts_relay_conn *c)
{
	pthread_mutex_lock(&lock);
	c->eof = true;
	if (!c->pending)
		free_conn(c);
	report_idle();
	pthread_mutex_unlock(&lock);
}

void ts_relay_bound_all(uint64_t end_ms)
{
	pthread_mutex_lock(&lock);
	bound(NULL, end_ms);
	pthread_mutex_unlock(&lock);
}

void ts_relay_ctl_ended(void)
{
	pthread_mutex_lock(&lock);
	ctl_eof = true;
	pthread_mutex_unlock(&lock);
}

bool ts_relay_finished(void)
{
	pthread_mutex_lock(&lock);
	bool finished = ctl_eof && !conns && !head && !inflight;
	pthread_mutex_unlock(&lock);
	return finished;
}

unsigned long ts_relay_undelivered(void)
{
	pthread_mutex_lock(&lock);
	unsigned long n = undelivered;
	pthread_mutex_unlock(&lock);
	return n;
}
