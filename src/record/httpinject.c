/* The traceparent the shim adds to the requests an unmodified client sends
 * (W3C trace context), so that a traced server's span continues the
 * client's span: one header line, put before the empty line that ends the
 * request's head, when the head is whole in the buffer the program sends.
 * The program never notices: the count a send returns is of its own bytes,
 * and a line cut by a partial write is finished before its next bytes go.
 * A request that cannot take it safely (head spread over several writes or
 * elements of a vectored write, bare-LF line ends, CONNECT, a traceparent of
 * the program's own) goes out unchanged, and its span says so. */
#include "httpconn_int.h"

#include "clock.h"
#include "context.h"
#include "ids.h"
#include "record.h"
#include "vforkstate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>

#define HEAD_SCAN_MAX 16384
/* A head with this many header lines goes out as it is: servers that count
 * them refuse a request past their limit (Python's http.server and Apache,
 * past 100), and one more line must not be what tips it over. */
#define HEAD_LINES_MAX 64
/* The longest vector a send gets the line in (the program's, plus two). */
#define SEND_IOV_MAX 64

/* The offset of the empty line that ends a request head starting at p and
 * whole in its n bytes, where a header line can go; 0 when there is none
 * the shim may use. */
static size_t insertion_point(const char *p, size_t n)
{
	size_t lim = n < HEAD_SCAN_MAX ? n : HEAD_SCAN_MAX, i = 0;
	while (i < lim && i <= 20 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i == 0 || i >= lim || p[i] != ' ' || (i == 7 && !memcmp(p, "CONNECT", 7)))
		return 0;
	const char *lf = memchr(p, '\n', lim);
	if (!lf || lf - p < 10 || lf[-1] != '\r' || memcmp(lf - 10, " HTTP/1.", 8))
		return 0;
	unsigned lines = 0;
	for (size_t line = (size_t)(lf - p) + 1; line < lim && lines < HEAD_LINES_MAX; lines++) {
		if (p[line] == '\r')
			return line + 1 < lim && p[line + 1] == '\n' ? line : 0;
		const char *e = memchr(p + line, '\n', lim - line);
		if (!e || e[-1] != '\r')
			return 0;
		if ((size_t)(e - p) - line >= 12 && !strncasecmp(p + line, "traceparent:", 12))
			return 0;
		line = (size_t)(e - p) + 1;
	}
	return 0;
}

/* Looks like the start of a request (its head may go on in later writes). */
static bool request_start(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i <= 20 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	return i > 0 && i < n && p[i] == ' ';
}

/* The lines for a new client span of thread t: its number is reserved now,
 * and the span made when the request's head is parsed takes it. The trace is
 * the one the thread works in: a server span's caller's, or the process's. */
static void make_lines(struct ts_thread *t, struct slot *s)
{
	uint32_t number = t->next_span++;
	s->next_handle = (uint64_t)t->index << 32 | number;
	uint8_t trace_id[16], flags;
	if (!ts_http_current_trace(t, trace_id, &flags)) {
		memcpy(trace_id, ts_ids.trace_id, 16);
		flags = ts_ctx.parent_sampled == 0 ? 0 : 1;
	}
	char tp[56];
	ts_traceparent_format(trace_id, ts_span_id(t->index, number), flags, tp);
	size_t at = 0;
	memcpy(s->hdr, "traceparent: ", 13);
	at = 13;
	memcpy(s->hdr + at, tp, 55);
	at += 55;
	memcpy(s->hdr + at, "\r\n", 2);
	at += 2;
	size_t ts_len = strnlen(ts_ctx.tracestate, sizeof ts_ctx.tracestate);
	if (ts_len && at + 12 + ts_len + 2 <= sizeof s->hdr) {
		memcpy(s->hdr + at, "tracestate: ", 12);
		memcpy(s->hdr + at + 12, ts_ctx.tracestate, ts_len);
		memcpy(s->hdr + at + 12 + ts_len, "\r\n", 2);
		at += 12 + ts_len + 2;
	}
	s->hdr_len = (uint16_t)at;
	s->hdr_sent = 0;
}

/* The rest of a line a partial write cut, before any byte of the program's:
 * 1 once it is all gone, else what the failed send returned (errno set; a
 * TLS library's value is its own). The program makes its call again then,
 * and the same rest is sent from the same address, as a TLS library wants. */
static ssize_t finish_line(const struct ts_http_sender *snd, int fd, struct slot *s)
{
	while (s->hdr_sent < s->hdr_len) {
		struct iovec v = {s->hdr + s->hdr_sent, (size_t)(s->hdr_len - s->hdr_sent)};
		ssize_t k = snd->vsend(snd, fd, &v, 1);
		if (k <= 0)
			return k;
		s->hdr_sent = (uint16_t)(s->hdr_sent + k);
	}
	s->pend = TS_PEND_NONE;
	return 1;
}

/* The program's bytes done of iov fed to the sniffer. */
static void feed_done(struct ts_thread *t, struct slot *s, const struct iovec *iov, int cnt,
		      size_t done, uint64_t t0, uint64_t t1)
{
	for (int i = 0; i < cnt && done && !ts_http1_is_off(&s->conn); i++) {
		size_t n = iov[i].iov_len < done ? iov[i].iov_len : done;
		if (n)
			ts_http_feed(t, s, TS_HTTP_OUT, iov[i].iov_base, n, t0, t1);
		done -= n;
	}
}

/* Sends the program's n bytes in iov through snd, with the line when it is
 * due (s: the connection's slot, or NULL: as they are); when join, the head
 * and the line must go in one buffer of at most TS_HTTP_JOIN_MAX bytes.
 * Returns what the program's call returns, errno as the call left it. */
static ssize_t send_injecting(struct ts_thread *t, int fd, struct slot *s, const struct iovec *iov,
			      int cnt, size_t n, const struct ts_http_sender *snd, bool join)
{
	/* The line goes in the first element, which must hold the whole head. */
	const char *first = cnt > 0 ? iov[0].iov_base : NULL;
	size_t first_len = cnt > 0 ? iov[0].iov_len : 0, ins = 0;
	bool inject = false;
	if (!s || cnt < 1 || cnt > SEND_IOV_MAX - 2) {
		/* sent as it is */
	} else if (s->pend == TS_PEND_AT) {
		inject = s->pend_at <= first_len && (!join || n + s->hdr_len <= TS_HTTP_JOIN_MAX);
		ins = s->pend_at;
	} else if (ts_http1_between(&s->conn, TS_HTTP1_OUT) && s->conn.state != TS_HTTP1_SERVER &&
		   request_start(first, first_len)) {
		if ((ins = insertion_point(first, first_len)) != 0) {
			make_lines(t, s);
			/* Joined, the head with the line as it is must fit. */
			inject = !join || n + s->hdr_len <= TS_HTTP_JOIN_MAX;
			if (!inject)
				s->next_handle = 0;
		}
		if (!inject)
			s->propagated = TS_PROP_NOT_INJECTED;
	}
	struct iovec v[SEND_IOV_MAX];
	const struct iovec *out = iov;
	int nout = cnt;
	if (inject) {
		v[0] = (struct iovec){(void *)first, ins};
		v[1] = (struct iovec){s->hdr, s->hdr_len};
		v[2] = (struct iovec){(char *)first + ins, first_len - ins};
		for (int i = 1; i < cnt; i++)
			v[2 + i] = iov[i];
		out = v;
		nout = cnt + 2;
		if (join) {
			/* Rebuilt the same when the program calls again after
			 * a failure: same address, same length, same bytes. */
			size_t at = 0;
			for (int i = 0; i < nout; i++) {
				memcpy(s->join + at, out[i].iov_base, out[i].iov_len);
				at += out[i].iov_len;
			}
			v[0] = (struct iovec){s->join, at};
			nout = 1;
		}
	}
	ssize_t k = snd->vsend(snd, fd, out, nout);
	int err = errno;
	ssize_t ret = k;
	if (inject) {
		size_t h = s->hdr_len;
		if (k < 0 || (join && k == 0)) {
			s->pend = TS_PEND_AT;   /* the program sends it again */
			s->pend_at = (uint32_t)ins;
		} else if ((size_t)k <= ins) {
			s->pend = TS_PEND_AT;
			s->pend_at = (uint32_t)(ins - (size_t)k);
		} else if ((size_t)k < ins + h) {
			ret = (ssize_t)ins;
			s->pend = TS_PEND_REST;
			s->hdr_sent = (uint16_t)((size_t)k - ins);
		} else {
			ret = k - (ssize_t)h;
			s->pend = TS_PEND_NONE;
		}
	} else if (s && s->pend == TS_PEND_AT && k > 0) {
		if ((size_t)k < s->pend_at) {
			s->pend_at -= (uint32_t)k;   /* the head goes on: the line is still owed */
		} else {
			/* Its place went out in a later element: the request goes
			 * without it. */
			s->pend = TS_PEND_NONE;
			s->next_handle = 0;
			s->propagated = TS_PROP_NOT_INJECTED;
		}
	}
	errno = err;
	return ret;
}

ssize_t ts_http_sendv(struct ts_thread *t, int fd, enum ts_op op, const struct iovec *iov, int cnt,
		      const struct ts_http_sender *snd)
{
	uint64_t st = ts_fd_state(fd);
	struct slot *s = ts_vfork_child() ? NULL : ts_http_slot(fd, st, TS_HTTP_SOCKET);
	size_t n = 0;
	for (int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	uint64_t t0 = ts_ticks();
	if (s && s->pend == TS_PEND_REST && finish_line(snd, fd, s) <= 0) {
		int err = errno;
		ts_record_io(t, op, fd, n, -1, t0, ts_ticks());
		errno = err;
		return -1;
	}
	ssize_t ret = send_injecting(t, fd, s, iov, cnt, n, snd, false);
	uint64_t t1 = ts_ticks();
	int err = errno;
	ts_record_io(t, op, fd, n, ret, t0, t1);
	if (s && ret > 0)
		feed_done(t, s, iov, cnt, (size_t)ret, t0, t1);
	errno = err;
	return ret;
}

/* A TLS sender seen as a vector sender: one element at a time (the head
 * and its line are joined first). */
struct tls_adapter {
	struct ts_http_sender base;
	const struct ts_http_tls_sender *tls;
};

static ssize_t tls_vsend(const struct ts_http_sender *self, int fd, const struct iovec *iov,
			 int cnt)
{
	(void)fd;
	const struct tls_adapter *a = (const struct tls_adapter *)self;
	return cnt == 1 ? a->tls->send(a->tls, iov[0].iov_base, iov[0].iov_len) : -1;
}

ssize_t ts_http_tls_send(struct ts_thread *t, int fd, const void *buf, size_t n,
			 const struct ts_http_tls_sender *snd)
{
	uint64_t st = ts_fd_state(fd);
	struct slot *s = ts_vfork_child() ? NULL : ts_http_slot(fd, st, TS_HTTP_TLS);
	const struct tls_adapter a = {{tls_vsend}, snd};
	ssize_t k = s && s->pend == TS_PEND_REST ? finish_line(&a.base, fd, s) : 1;
	if (k <= 0)
		return k;   /* the library's failure is the program's call's */
	const struct iovec v = {(void *)buf, n};
	return send_injecting(t, fd, s, &v, 1, n, &a.base, true);
}
