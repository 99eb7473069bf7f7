/* HTTP/1 messages for the sniffer (http1.h): which side is the client,
 * where messages begin and end (bodies by length, by chunks or until the
 * close, RFC 9112 6), the pairing of responses with the requests they answer,
 * the events, and the end of a connection. The bytes are read by http1.c. */
#include "http1_int.h"

#include <string.h>

#define FIFO_UPGRADE 0x80u   /* in conn.fifo: the request asked for CONNECT or Upgrade */

void ts_http1_init(struct ts_http1_conn *c, unsigned flags)
{
	memset(c, 0, sizeof *c);
	c->state = TS_HTTP1_DETECT;
	c->opts = (uint8_t)(flags & TS_HTTP1_QUERY_RAW);
	c->detect_dir = TS_H1_NO_DIR;
}

static struct ts_http1_event *emit(struct ts_h1_call *k, unsigned kind, size_t head_end)
{
	if (k->n >= k->max)
		return NULL;   /* cannot happen: a call keeps TS_HTTP1_MIN_EV slots for each byte */
	const struct ts_http1_side *s = k->s;
	struct ts_http1_event *e = &k->ev[k->n++];
	*e = (struct ts_http1_event){.kind = (uint8_t)kind, .dir = k->dir, .seq = s->seq,
				     .at = k->at, .head_end = TS_HTTP1_NOT_HERE};
	if (kind == TS_HTTP1_BEGIN) {
		e->at = s->begin_at;
		return e;
	}
	if (kind == TS_HTTP1_STOPPED)
		return e;
	e->method = s->method;
	e->version = s->version;
	e->status = s->status;
	e->flags = s->flags;
	e->length = s->length;
	if (kind == TS_HTTP1_REQUEST_HEAD || kind == TS_HTTP1_RESPONSE_HEAD) {
		e->head_end = head_end;
		if (s->begin_at != TS_HTTP1_NOT_HERE)
			e->flags |= TS_HTTP1_F_WHOLE_HEAD;
		if (kind == TS_HTTP1_REQUEST_HEAD)
			e->req = &k->c->req;
	}
	return e;
}

void ts_h1_bad(struct ts_h1_call *k, unsigned why)
{
	/* A request whose head is too long to follow is still a request, and
	 * the reason its exchange is not followed goes on its span: its head
	 * event comes first, with what was read of it (the method, the target
	 * or part of it, the headers read so far), and no place to add a line. */
	unsigned st = k->s->st;
	if (why == TS_HTTP1_STOP_HEAD_TOO_LARGE && k->req && k->c->state != TS_HTTP1_DETECT &&
	    st >= ST_TARGET && st <= ST_SKIP_LINE && k->max - k->n >= 2) {
		if (st == ST_VALUE && k->s->hdr != H_NONE && k->s->hdr != H_LENGTH)
			(void)ts_h1_value_end(k);   /* a kept value cut short: as far as read, trimmed */
		struct ts_http1_event *head = emit(k, TS_HTTP1_REQUEST_HEAD, TS_HTTP1_NOT_HERE);
		if (head)
			head->flags = (head->flags & ~TS_HTTP1_F_WHOLE_HEAD) | TS_HTTP1_F_HEAD_CUT;
	}
	struct ts_http1_event *e = k->c->state != TS_HTTP1_DETECT ? emit(k, TS_HTTP1_STOPPED, 0) : NULL;
	if (e)
		e->stop = (uint8_t)why;
	k->c->state = TS_HTTP1_OFF;
}

static void reset_request(struct ts_http1_request *r)
{
	r->path_len = r->query_len = r->host_len = r->user_agent_len = 0;
	r->traceparent_len = r->tracestate_len = 0;
	r->method_len = 0;
	r->method[0] = r->path[0] = r->query[0] = r->host[0] = 0;
	r->user_agent[0] = r->traceparent[0] = r->tracestate[0] = 0;
}

/* A new request: its number, and its place among those awaiting a response. */
static bool push(struct ts_h1_call *k)
{
	struct ts_http1_conn *c = k->c;
	k->s->seq = c->req_seq;
	if (c->req_seq - c->resp_seq >= TS_HTTP1_PIPELINE) {
		ts_h1_bad(k, TS_HTTP1_STOP_PIPELINE_FULL);
		return false;
	}
	c->fifo[c->req_seq++ % TS_HTTP1_PIPELINE] = TS_HTTP1_METHOD_OTHER;
	return true;
}

/* The first byte of a message, on a connection known to be HTTP/1. */
bool ts_h1_begin(struct ts_h1_call *k)
{
	struct ts_http1_conn *c = k->c;
	struct ts_http1_side *s = k->s;
	*s = (struct ts_http1_side){.begin_at = k->at - 1, .cr_at = TS_HTTP1_NOT_HERE};
	if (k->req) {
		if (!push(k))
			return false;
		reset_request(&c->req);
		s->st = ST_METHOD;
	} else {
		s->seq = c->resp_seq;
		if (c->req_seq == c->resp_seq) {
			ts_h1_bad(k, TS_HTTP1_STOP_NO_REQUEST);
			return false;
		}
		s->method = c->fifo[c->resp_seq % TS_HTTP1_PIPELINE] & ~FIFO_UPGRADE;
		s->st = ST_STATUS_VERSION;
	}
	emit(k, TS_HTTP1_BEGIN, 0);
	return true;
}

void ts_h1_start_line_done(struct ts_h1_call *k)
{
	struct ts_http1_conn *c = k->c;
	struct ts_http1_side *s = k->s;
	if (k->req) {
		if (c->state == TS_HTTP1_DETECT) {
			/* The first request line is whole: now it is HTTP/1. */
			c->state = k->dir == TS_HTTP1_OUT ? TS_HTTP1_CLIENT : TS_HTTP1_SERVER;
			push(k);
			emit(k, TS_HTTP1_BEGIN, 0);
		}
		c->fifo[s->seq % TS_HTTP1_PIPELINE] = s->method;
	}
	s->st = ST_LINE_START;
	s->hdr = H_NONE;
	s->cr = 0;
}

void ts_h1_message_end(struct ts_h1_call *k)
{
	struct ts_http1_conn *c = k->c;
	struct ts_http1_side *s = k->s;
	emit(k, TS_HTTP1_END, 0);
	s->st = ST_IDLE;
	if (k->req) {
		/* What follows a CONNECT or an Upgrade may not be HTTP: wait for
		 * the answer, unless it already came. */
		if ((s->method == TS_HTTP1_CONNECT || (s->flags & TS_HTTP1_F_UPGRADE)) &&
		    (int32_t)(c->resp_seq - s->seq) <= 0)
			s->st = ST_SUSPENDED;
		return;
	}
	if (s->flags & TS_HTTP1_F_INTERIM)
		return;   /* the final response is still to come */
	c->resp_seq++;
	struct ts_http1_side *r = &c->side[!k->dir];
	if (r->st == ST_SUSPENDED && (int32_t)(c->resp_seq - r->seq) > 0)
		r->st = ST_IDLE;
}

static void body(struct ts_h1_call *k)
{
	struct ts_http1_side *s = k->s;
	if (s->flags & TS_HTTP1_F_CHUNKED) {
		s->st = ST_CHUNK_SIZE;
		s->sub = 0;
		s->num = 0;
		s->count = 0;
	} else if ((s->flags & TS_HTTP1_F_LENGTH) && s->length) {
		s->remain = s->length;
		s->st = ST_BODY;
	} else if ((s->flags & TS_HTTP1_F_LENGTH) || k->req) {
		ts_h1_message_end(k);   /* a request without a length has no body */
	} else {
		s->st = ST_UNTIL_CLOSE;
	}
}

/* The empty line ending a head; head_end is where it began. */
void ts_h1_head_done(struct ts_h1_call *k, size_t head_end)
{
	struct ts_http1_side *s = k->s;
	if (s->te & TE_SEEN) {
		/* Transfer-Encoding overrides Content-Length (RFC 9112 6.3). */
		s->flags &= ~TS_HTTP1_F_LENGTH;
		s->length = 0;
		if (s->te & TE_CHUNKED)
			s->flags |= TS_HTTP1_F_CHUNKED;
	}
	if (k->req) {
		if ((s->te & TE_SEEN) && !(s->te & TE_CHUNKED)) {
			ts_h1_bad(k, TS_HTTP1_STOP_MALFORMED);   /* no way to find its end */
			return;
		}
		if (s->method == TS_HTTP1_CONNECT || (s->flags & TS_HTTP1_F_UPGRADE))
			k->c->fifo[s->seq % TS_HTTP1_PIPELINE] |= FIFO_UPGRADE;
		emit(k, TS_HTTP1_REQUEST_HEAD, head_end);
		k->stop = true;
		body(k);
		return;
	}
	unsigned code = s->status;
	bool interim = code < 200 && code != 101;
	if (interim)
		s->flags |= TS_HTTP1_F_INTERIM;
	emit(k, TS_HTTP1_RESPONSE_HEAD, head_end);
	if (code == 101 || (s->method == TS_HTTP1_CONNECT && code / 100 == 2)) {
		emit(k, TS_HTTP1_END, 0);
		ts_h1_bad(k, code == 101 ? TS_HTTP1_STOP_UPGRADE : TS_HTTP1_STOP_TUNNEL);
	} else if (interim || s->method == TS_HTTP1_HEAD || code == 204 || code == 304) {
		ts_h1_message_end(k);
	} else if ((s->te & TE_SEEN) && !(s->te & TE_CHUNKED)) {
		s->st = ST_UNTIL_CLOSE;
	} else {
		body(k);
	}
}

unsigned ts_http1_close(struct ts_http1_conn *c, struct ts_http1_event *ev, unsigned max_ev)
{
	struct ts_h1_call k = {.c = c, .ev = ev, .max = ev ? max_ev : 0};
	if (c->state == TS_HTTP1_CLIENT || c->state == TS_HTTP1_SERVER) {
		uint8_t rq = c->state == TS_HTTP1_CLIENT ? TS_HTTP1_OUT : TS_HTTP1_IN;
		for (unsigned d = 0; d < 2; d++) {   /* the request's side first */
			k.dir = d ? !rq : rq;
			k.req = !d;
			k.s = &c->side[k.dir];
			if (k.s->st == ST_UNTIL_CLOSE) {
				k.s->flags |= TS_HTTP1_F_BY_CLOSE;
				emit(&k, TS_HTTP1_END, 0);
			} else if (k.s->st != ST_IDLE && k.s->st != ST_SUSPENDED) {
				emit(&k, TS_HTTP1_ABANDONED, 0);
			}
		}
	}
	c->state = TS_HTTP1_OFF;
	return k.n;
}

bool ts_http1_server_between_requests(const struct ts_http1_conn *c)
{
	return c->state == TS_HTTP1_SERVER && c->side[TS_HTTP1_IN].st == ST_IDLE;
}

unsigned ts_http1_head_status(const struct ts_http1_conn *c, enum ts_http1_dir dir)
{
	const struct ts_http1_side *s = &c->side[dir];
	bool in_head = s->st == ST_LINE_CR || s->st == ST_REASON ||
		       (s->st >= ST_LINE_START && s->st <= ST_SKIP_LINE);
	return in_head && s->status >= 100 ? s->status : 0;
}
