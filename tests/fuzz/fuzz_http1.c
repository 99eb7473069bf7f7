/* libFuzzer target: the HTTP/1 sniffer (src/record/http1*.c). The first byte
 * chooses the options: bit 0 keeps query values (TS_HTTP1_QUERY_RAW), bit 1
 * closes the connection at the end, bits 2-3 the event slots of a call
 * (3, 4, 8 or 16), bit 7 the input's form:
 *   0: a script of pieces, each a byte (bit 7: direction, bits 0-6: length)
 *      then that many bytes, fed as they come; a length of 0 is a long piece
 *      (heads over their limit): two bytes, r and b, for b 128 * (r + 1) times;
 *   1: bytes that choose a valid exchange the target writes itself (fuzz_http1_gen.h),
 *      with secrets in every header not kept, in query values and in bodies,
 *      then the sizes of the calls it is fed in.
 * It requires: the same events (offsets aside) whether the pieces are fed as
 * given, each run of one direction in one call, or byte by byte; fed as
 * given and byte by byte, events at the same places in each direction's
 * bytes, and after each piece the same state (so that lines read whole, by
 * http1_fast.c, leave what the byte-wise reading leaves); offsets
 * inside the buffer, the head's last line where head_end says; fields
 * terminated, within their limits, trimmed, with redacted queries; and for a
 * written exchange, exactly the fields written, no secret anywhere, no stop. */
#include "http1.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http1: %s\n", what);
	abort();
}

struct piece {
	uint8_t dir;
	const uint8_t *p;
	size_t len;
};

#include "fuzz_http1_gen.h"

#define MAX_PIECES 8192
static struct piece pieces[MAX_PIECES];
static size_t npieces;
static unsigned opts;   /* ts_http1_init flags */

/* The events of a run, written out without their offsets. */
struct log {
	uint8_t b[1 << 20];
	size_t n;
	unsigned heads, stops;
};
static struct log logs[3];

static void add(struct log *l, const void *p, size_t n)
{
	if (n > sizeof l->b - l->n)
		fail("log too long");
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

static void check_text(const char *s, size_t cap, unsigned len, int blank_ends)
{
	const char *nul = memchr(s, 0, cap + 1);
	if (!nul || (size_t)(nul - s) != len || len > cap)
		fail("a field is not terminated at its length, within its limit");
	for (unsigned i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			fail("a control byte in a field");
	if (blank_ends && len && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		fail("a value not trimmed");
}

/* Every parameter is a name, or a name then "=REDACTED". */
static void check_query(const char *q)
{
	for (const char *p = q; *p;) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		if (eq && ((size_t)(p + n - eq) != 9 || memcmp(eq, "=REDACTED", 9)))
			fail("a query value not redacted");
		p += n + (p[n] == '&');
	}
}

/* An absolute URL's authority holds '@' only after a redacted user (the
 * scheme is anything up to the first ':' but '/'). */
static void check_path(const char *p)
{
	const char *s = strstr(p, "://");
	if (!s || p[0] == '*' || strcspn(p, ":/") != (size_t)(s - p))
		return;
	s += 3;
	size_t n = strcspn(s, "/");
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (at && (at - s != 17 || memcmp(s, "REDACTED:REDACTED", 17)))
		fail("a user or password kept in the path");
}

static void check_request(const struct ts_http1_event *e)
{
	const struct ts_http1_request *r = e->req;
	if (!r)
		fail("a request head without its fields");
	check_text(r->method, TS_HTTP1_METHOD_MAX, r->method_len, 0);
	if (!r->method_len)
		fail("an empty method");
	unsigned m = e->method;
	if (m ? strcmp(ts_http1_method_name(m), r->method) != 0 : 0)
		fail("the method's name is not its text");
	for (unsigned i = 1; !m && i < 10; i++)
		if (!strcmp(ts_http1_method_name(i), r->method))
			fail("a known method reported as _OTHER");
	check_text(r->path, TS_HTTP1_PATH_MAX, r->path_len, 0);
	check_text(r->query, TS_HTTP1_QUERY_MAX, r->query_len, 0);
	for (const char *s = r->path; *s; s++)
		if (*s == ' ' || *s == '\t')
			fail("a blank in the path");
	check_path(r->path);
	if (!(opts & TS_HTTP1_QUERY_RAW))
		check_query(r->query);
	check_text(r->host, TS_HTTP1_HOST_MAX, r->host_len, 1);
	check_text(r->user_agent, TS_HTTP1_USER_AGENT_MAX, r->user_agent_len, 1);
	check_text(r->traceparent, TS_HTTP1_TRACEPARENT_MAX, r->traceparent_len, 1);
	check_text(r->tracestate, TS_HTTP1_TRACESTATE_MAX, r->tracestate_len, 1);
	if ((e->flags & TS_HTTP1_F_TRACESTATE_CUT) && r->tracestate_len && r->tracestate[r->tracestate_len - 1] == ',')
		fail("a cut tracestate ends in a comma");
	gen_check_request(e, opts);
}

/* Not all of the n bytes at p are CRs. */
static bool not_all_cr(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r')
			return true;
	return false;
}

static void check_event(const struct ts_http1_event *e, const uint8_t *buf, size_t pos, int closing)
{
	if (e->kind < TS_HTTP1_BEGIN || e->kind > TS_HTTP1_STOPPED || e->dir > TS_HTTP1_IN)
		fail("an event of no known kind or direction");
	if (closing ? e->at != 0 : e->kind == TS_HTTP1_BEGIN ? (e->at == TS_HTTP1_NOT_HERE ? e->seq != 0 : e->at >= pos)
							     : e->at == 0 || e->at > pos)
		fail("an offset outside the call's bytes");
	if ((e->flags & TS_HTTP1_F_LENGTH) && (e->flags & TS_HTTP1_F_CHUNKED))
		fail("both a length and chunks");
	if (e->kind == TS_HTTP1_REQUEST_HEAD && (e->flags & TS_HTTP1_F_HEAD_CUT)) {
		/* A request cut by the head limit: what was read of it. */
		if (e->head_end != TS_HTTP1_NOT_HERE)
			fail("a cut head with a place for a line");
		check_request(e);
	} else if (e->kind == TS_HTTP1_REQUEST_HEAD || e->kind == TS_HTTP1_RESPONSE_HEAD) {
		if (e->version != 10 && e->version != 11)
			fail("a head without its version");
		if (buf[e->at - 1] != '\n')
			fail("a head that does not end with LF");
		/* The last line: just after an LF (unless in an earlier call),
		 * CRs, then the LF that ends the head. */
		if (e->head_end != TS_HTTP1_NOT_HERE &&
		    (e->head_end >= e->at || (e->head_end && buf[e->head_end - 1] != '\n') ||
		     not_all_cr(buf + e->head_end, e->at - 1 - e->head_end)))
			fail("head_end is not where the last line begins");
		if (e->kind == TS_HTTP1_RESPONSE_HEAD && (e->status < 100 || e->status > 999))
			fail("a status out of range");
		if (e->kind == TS_HTTP1_REQUEST_HEAD)
			check_request(e);
	}
	if (e->kind == TS_HTTP1_STOPPED && (e->stop < TS_HTTP1_STOP_UPGRADE || e->stop > TS_HTTP1_STOP_AFTER_UPGRADE))
		fail("a stop without its reason");
}

static void record(struct log *l, const struct ts_http1_event *e)
{
	/* Field by field: no padding, no offsets. */
	uint32_t f[] = {e->kind, e->dir, e->method, e->version, e->status, e->stop,
			e->flags & ~TS_HTTP1_F_WHOLE_HEAD, e->seq, (uint32_t)e->length, (uint32_t)(e->length >> 32)};
	add(l, f, sizeof f);
	if (e->kind == TS_HTTP1_REQUEST_HEAD) {
		const struct ts_http1_request *r = e->req;
		const char *f[] = {r->method, r->path, r->query, r->host, r->user_agent, r->traceparent, r->tracestate};
		for (unsigned i = 0; i < 7; i++)
			add(l, f[i], strlen(f[i]) + 1);
		l->heads++;
	}
	l->stops += e->kind == TS_HTTP1_STOPPED;
	gen_event(e);
}

static void feed(struct ts_http1_conn *c, struct log *l, uint8_t dir, const uint8_t *p, size_t len, unsigned max_ev)
{
	struct ts_http1_event ev[16];
	for (size_t pos = 0; pos < len;) {
		size_t before = pos;
		unsigned n = ts_http1_feed(c, dir, p, len, &pos, ev, max_ev);
		if (n > max_ev || pos <= before || pos > len)
			fail("a call wrote too many events or did not move on");
		for (unsigned i = 0; i < n; i++) {
			check_event(&ev[i], p, pos, 0);
			record(l, &ev[i]);
			if (ev[i].kind == TS_HTTP1_STOPPED && (!ts_http1_is_off(c) || i + 1 != n))
				fail("events after a stop");
		}
	}
}

static uint8_t joined[1 << 16];

/* how: 0 the pieces as given, 1 each run of one direction in one call, 2 byte by byte. */
static void run(struct log *l, unsigned how, unsigned max_ev, int close)
{
	struct ts_http1_conn c;
	ts_http1_init(&c, opts);
	l->n = l->heads = l->stops = 0;
	gen_reset();
	for (size_t i = 0; i < npieces; i++) {
		const struct piece *p = &pieces[i];
		if (how == 1) {
			size_t n = 0;
			for (; i < npieces && pieces[i].dir == p->dir; i++) {
				memcpy(joined + n, pieces[i].p, pieces[i].len);
				n += pieces[i].len;
			}
			i--;
			feed(&c, l, p->dir, joined, n, max_ev);
		} else if (how == 2) {
			for (size_t k = 0; k < p->len; k++)
				feed(&c, l, p->dir, p->p + k, 1, max_ev);
		} else {
			feed(&c, l, p->dir, p->p, p->len, max_ev);
		}
	}
	if (close) {
		struct ts_http1_event ev[TS_HTTP1_MIN_EV];
		unsigned n = ts_http1_close(&c, ev, TS_HTTP1_MIN_EV);
		for (unsigned i = 0; i < n; i++) {
			if (ev[i].kind != TS_HTTP1_END && ev[i].kind != TS_HTTP1_ABANDONED)
				fail("close made an event other than END or ABANDONED");
			check_event(&ev[i], NULL, 0, 1);
			record(l, &ev[i]);
		}
	}
	if (!ts_http1_is_off(&c) && close)
		fail("still on after close");
}

/* Where an event is in its direction's bytes: at, head_end (SIZE_MAX: not
 * known, as when the byte was in an earlier call). */
struct place {
	uint8_t kind;
	size_t at, head_end;
};
#define MAX_PLACES 8192

static size_t feed_placed(struct ts_http1_conn *c, uint8_t dir, const uint8_t *p, size_t len, size_t base,
			  unsigned max_ev, struct place *out, size_t n)
{
	struct ts_http1_event ev[16];
	for (size_t pos = 0; pos < len;) {
		unsigned k = ts_http1_feed(c, dir, p, len, &pos, ev, max_ev);
		for (unsigned i = 0; i < k; i++) {
			if (n == MAX_PLACES)
				fail("too many events for a piece");
			out[n++] = (struct place){ev[i].kind,
						  ev[i].at == TS_HTTP1_NOT_HERE ? SIZE_MAX : base + ev[i].at,
						  ev[i].head_end == TS_HTTP1_NOT_HERE ? SIZE_MAX : base + ev[i].head_end};
		}
	}
	return n;
}

static bool same_place(size_t a, size_t b)
{
	return a == b || a == SIZE_MAX || b == SIZE_MAX;
}

/* The state but for the offsets in a call's buffer. */
static void without_offsets(struct ts_http1_conn *c)
{
	for (int d = 0; d < 2; d++)
		c->side[d].begin_at = c->side[d].cr_at = 0;
}

/* The pieces fed as given and byte by byte, in step. */
static void run_in_step(unsigned max_ev)
{
	static struct ts_http1_conn a, b, ca, cb;
	static struct place pa[MAX_PLACES], pb[MAX_PLACES];
	ts_http1_init(&a, opts);
	ts_http1_init(&b, opts);
	size_t base[2] = {0, 0};
	for (size_t i = 0; i < npieces; i++) {
		const struct piece *p = &pieces[i];
		size_t na = feed_placed(&a, p->dir, p->p, p->len, base[p->dir], max_ev, pa, 0), nb = 0;
		for (size_t k = 0; k < p->len; k++)
			nb = feed_placed(&b, p->dir, p->p + k, 1, base[p->dir] + k, TS_HTTP1_MIN_EV, pb, nb);
		base[p->dir] += p->len;
		if (na != nb)
			fail("not as many events byte by byte");
		for (size_t k = 0; k < na; k++)
			if (pa[k].kind != pb[k].kind || !same_place(pa[k].at, pb[k].at) ||
			    !same_place(pa[k].head_end, pb[k].head_end))
				fail("an event elsewhere when the bytes come one at a time");
		if (ts_http1_is_off(&a) != ts_http1_is_off(&b))
			fail("off one way and not the other");
		if (ts_http1_is_off(&a)) {
			/* Only where each side was (ts_http1_between) still counts:
			 * the rest may be what the byte that stopped it left. */
			if (a.side[0].st != b.side[0].st || a.side[1].st != b.side[1].st)
				fail("another state when the bytes come one at a time");
			continue;
		}
		ca = a;
		cb = b;
		without_offsets(&ca);
		without_offsets(&cb);
		if (memcmp(&ca, &cb, sizeof ca))
			fail("another state when the bytes come one at a time");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const unsigned slots[] = {TS_HTTP1_MIN_EV, 4, 8, 16};
	opts = data[0] & 1 ? TS_HTTP1_QUERY_RAW : 0;
	int close = (data[0] >> 1) & 1;
	unsigned max_ev = slots[(data[0] >> 2) & 3];
	int built = data[0] >> 7;
	size_t total = 0;
	npieces = 0;
	gen_on = 0;
	if (built) {
		close = 1;
		npieces = gen_exchange(data + 1, size - 1, opts, pieces, MAX_PIECES);
	} else {
		static uint8_t repeated[sizeof joined];
		size_t used = 0;
		for (size_t i = 1; i < size && npieces < MAX_PIECES;) {
			size_t n = data[i] & 0x7f;
			uint8_t dir = data[i++] >> 7;
			if (n == 0 && size - i >= 2) {
				n = 128 * ((size_t)data[i] + 1);
				if (n > sizeof repeated - used)
					return 0;
				memset(repeated + used, data[i + 1], n);
				pieces[npieces++] = (struct piece){dir, repeated + used, n};
				used += n;
				i += 2;
				continue;
			}
			if (n > size - i)
				n = size - i;
			pieces[npieces++] = (struct piece){dir, data + i, n};
			i += n;
		}
	}
	for (size_t i = 0; i < npieces; i++)
		total += pieces[i].len;
	if (total > sizeof joined)
		return 0;
	run_in_step(max_ev);
	run(&logs[0], 0, max_ev, close);
	run(&logs[1], 1, 16, close);
	run(&logs[2], 2, TS_HTTP1_MIN_EV, close);
	for (int i = 1; i < 3; i++)
		if (logs[i].n != logs[0].n || memcmp(logs[i].b, logs[0].b, logs[0].n))
			fail(i == 1 ? "other events when each direction's bytes come whole"
				    : "other events when the bytes come one at a time");
	if (built)
		gen_check_end(logs[0].heads, logs[0].stops);
	return 0;
}
