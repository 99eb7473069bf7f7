/* Record -> span: names, ids, times and the semantic-convention attributes of
 * each operation. Descriptor details come from fdinfo, which this also keeps
 * up to date from open/connect/accept records. */
#include "decode.h"

#include "clock.h"
#include "copy.h"
#include "fdinfo.h"
#include "ids.h"
#include "ops.h"
#include "sqlinfo.h"
#include "stdioinfo.h"
#include "stdiorec.h"
#include "tlsinfo.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* Scratch for strings the span points to; valid until the next decode. */
static char path_buf[TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE + 1];
static char msg_buf[128];

void ts_decode_error(struct ts_span *s, int err)
{
	const char *name = ts_errno_name(err);
	if (!name) {
		snprintf(msg_buf, sizeof msg_buf, "errno %d", err);
		name = "errno";
	}
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == EINPROGRESS) {
		/* Normal flow for non-blocking and interrupted calls, not an error. */
		ts_span_const(s, "traceshim.errno", name);
		return;
	}
	s->status = TS_STATUS_ERROR;
	s->error_type = name;
	/* GNU strerror_r: returns a static string or fills msg_buf. */
	s->status_message = strerror_r(err, msg_buf, sizeof msg_buf);
	ts_span_const(s, "error.type", name);
}

static const char *network_type(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : NULL;
}

/* Attributes describing what fd refers to. */
static void describe_fd(struct ts_span *s, const struct ts_fdinfo *fi)
{
	if (!fi)
		return;
	ts_span_const(s, "traceshim.fd.type", ts_fd_type_name(fi->type));
	if (fi->type == TS_FD_SOCKET) {
		if (fi->path[0])
			ts_span_str(s, "network.peer.address", fi->path);
		if (fi->port)
			ts_span_int(s, "network.peer.port", fi->port);
		ts_span_const(s, "network.transport", ts_transport_name(fi->transport));
		ts_span_const(s, "network.type", network_type(fi->family));
	} else if (fi->type == TS_FD_PIPE) {
		ts_span_const(s, "network.transport", "pipe");
	} else if (fi->path[0]) {
		ts_span_str(s, "file.path", fi->path);
	}
}

/* traceshim.fd and what fd refers to: the span's descriptor block (span.h),
 * numbered by fd's description when it has one (the fd number goes with
 * it: a description is of one number). */
static void fd_block(struct ts_span *s, int fd, const struct ts_fdinfo *fi)
{
	unsigned first = s->nattrs;
	ts_span_int(s, "traceshim.fd", fd);
	describe_fd(s, fi);
	if (fi && fi->stamp) {
		s->desc_stamp = fi->stamp;
		s->desc_first = first;
		s->desc_count = s->nattrs - first;
	}
}

static const char *payload_string(const uint8_t *payload, unsigned len)
{
	if (len > sizeof path_buf - 1)
		len = sizeof path_buf - 1;
	ts_memcpy(path_buf, payload, len);
	path_buf[len] = 0;
	return path_buf;
}

static void decode_open(const struct ts_rec *r, const uint8_t *payload, unsigned len,
			struct ts_span *s)
{
	const char *path = payload_string(payload, len);
	ts_span_str(s, "file.path", path);
	if (r->ret < 0)
		return;
	int fd = (int)r->ret;
	ts_span_int(s, "traceshim.fd", fd);
	/* The kernel knows the type (a FIFO, a device...) while fd is still this file. */
	const struct ts_fdinfo *fi = ts_fdinfo_get(fd, r->fdgen, 0);
	if (fi && path[0] == '/' && fi->type != TS_FD_SOCKET) {
		ts_fdinfo_set_path(fd, r->fdgen, path, fi->type);
		fi = ts_fdinfo_get(fd, r->fdgen, 0);
	} else if (!fi) {
		/* Closed before this drain: the path still says what it opened
		 * (a device, a FIFO...); most often a regular file. */
		int type = ts_type_of_path(path);
		ts_fdinfo_set_path(fd, r->fdgen, path, type != TS_FD_UNKNOWN ? type : TS_FD_FILE);
		fi = ts_fdinfo_get(fd, r->fdgen, 0);
	}
	if (fi)
		ts_span_const(s, "traceshim.fd.type", ts_fd_type_name(fi->type));
}

static void decode_peer(int fd, uint32_t gen, uint8_t kind, const uint8_t *payload,
			unsigned len, struct ts_span *s)
{
	if (len && fd >= 0)
		ts_fdinfo_set_peer(fd, gen, kind, (const struct sockaddr *)payload, len);
	describe_fd(s, fd >= 0 ? ts_fdinfo_get(fd, gen, kind) : NULL);
}

/* Failure is a negative result with errno, except for posix_spawn, which
 * returns the error number. The arrow goes to the new process's span. */
static void decode_proc(unsigned op, const struct ts_rec *r, const uint8_t *payload, unsigned len,
			struct ts_span *s)
{
	if (len)
		ts_span_str(s, "traceshim.child.path", payload_string(payload, len));
	if (r->arg)
		ts_span_int(s, "traceshim.child.pid", (int64_t)r->arg);
	bool spawn = op == TS_OP_POSIX_SPAWN || op == TS_OP_POSIX_SPAWNP;
	int err = spawn ? (int)r->ret : r->ret < 0 ? r->err : 0;
	if (r->aux_kind) {
		int st = (int)r->aux2;
		if (WIFEXITED(st))
			ts_span_int(s, "process.exit.code", WEXITSTATUS(st));
		else if (WIFSIGNALED(st))
			ts_span_int(s, "process.exit.code", 128 + WTERMSIG(st));
	}
	/* Shells walk PATH themselves, one execve per directory: a miss there
	 * is normal flow. A program that is really not found still shows, in
	 * its process's exit code (127). */
	bool walk_miss = (op == TS_OP_EXECVE || op == TS_OP_EXECV || op == TS_OP_EXECL ||
			  op == TS_OP_EXECLE) && (err == ENOENT || err == ENOTDIR);
	if (walk_miss)
		ts_span_const(s, "traceshim.errno", ts_errno_name(err));
	else if (err)
		ts_decode_error(s, err);
	/* system() fails with ECHILD after its shell ran when SIGCHLD is
	 * ignored: that shell is still this span's child. */
	if (!err || (op == TS_OP_SYSTEM && r->arg))
		s->flow_out = s->span_id;
}

/* fopen, fgets, printf...: the shapes of open and the I/O calls, but that
 * a stream may have no descriptor (fflush(NULL)) or no size asked (getline);
 * then the mode, the end of the file and the per-character counts. */
static void decode_stdio(unsigned op, const struct ts_rec *r, const uint8_t *payload,
			 unsigned len, struct ts_span *s)
{
	const uint8_t *path;
	unsigned path_len = ts_stdioinfo_path(r, payload, len, &path);
	uint8_t shape = ts_ops[op].shape;
	if (shape == TS_SHAPE_OPEN && path_len) {
		decode_open(r, path, path_len, s);
	} else if (r->fd >= 0) {
		fd_block(s, r->fd, ts_fdinfo_get(r->fd, r->fdgen, r->kind));
	}
	if (shape == TS_SHAPE_IO) {
		if (!(r->aux2 & TS_STDIO_NO_REQUEST))
			ts_span_int(s, "traceshim.io.requested", (int64_t)r->arg);
		if (r->ret >= 0 && !(r->aux2 & TS_STDIO_NO_BYTES))
			ts_span_int(s, "traceshim.io.bytes", r->ret);
	}
	ts_stdioinfo_attrs(op, r, payload, len, s);
}

/* A TLS library call failed with its library's code: named by it (unknown
 * codes by number), an error unless it asks to try again; when the socket
 * underneath failed, its errno says more (an EAGAIN there is no error). */
static void decode_tls_error(bool gnutls, int32_t code, int err, struct ts_span *s)
{
	struct ts_tls_error e = ts_tls_error(gnutls, code);
	const char *name = e.name;
	if (!name) {
		snprintf(msg_buf, sizeof msg_buf, "%s %d", gnutls ? "GNUTLS_E" : "SSL_ERROR", (int)code);
		ts_span_str(s, "traceshim.tls.error", msg_buf);
		name = gnutls ? "GNUTLS_E" : "SSL_ERROR";
	} else {
		ts_span_const(s, "traceshim.tls.error", name);
		if (e.flow)
			return;
		if (e.sys && err) {
			ts_decode_error(s, err);
			return;
		}
	}
	s->status = TS_STATUS_ERROR;
	s->error_type = name;
	s->status_message = name;
	ts_span_const(s, "error.type", name);
}

void ts_decode_call(uint32_t index, const struct ts_rec *r, const uint8_t *payload, unsigned len,
		    struct ts_span *s)
{
	unsigned op = r->op < TS_OP_COUNT ? r->op : TS_OP_NONE;
	const struct ts_op_info *info = &ts_ops[op];
	memset(s, 0, offsetof(struct ts_span, attrs));
	s->name = info->name;
	s->kind = info->kind;
	s->call = true;   /* the family says whether it may be rolled up (rollup.h) */
	s->family = info->family;
	s->start_ns = ts_clock_to_ns(r->t0);
	s->end_ns = ts_clock_to_ns(r->t1);
	if (s->end_ns < s->start_ns)
		s->end_ns = s->start_ns;
	s->span_id = ts_span_id(index, r->span);
	s->parent_id = ts_span_id(index, r->parent);

	if (info->family == TS_FAM_STDIO) {
		decode_stdio(op, r, payload, len, s);
		if (r->ret < 0)
			ts_decode_error(s, r->err);
		return;
	}
	switch (info->shape) {
	case TS_SHAPE_IO:
		fd_block(s, r->fd, ts_fdinfo_get(r->fd, r->fdgen, r->kind));
		ts_span_int(s, "traceshim.io.requested", (int64_t)r->arg);
		if (r->ret >= 0)
			ts_span_int(s, "traceshim.io.bytes", r->ret);
		if (r->aux2 & TS_IO_WOKE)
			s->flow_out = s->span_id;   /* ends on the poll it woke (fdwake.h) */
		break;
	case TS_SHAPE_FD:
		fd_block(s, r->fd, ts_fdinfo_get(r->fd, r->fdgen, r->kind));
		break;
	case TS_SHAPE_OPEN:
		decode_open(r, payload, len, s);
		break;
	case TS_SHAPE_CONNECT:
		ts_span_int(s, "traceshim.fd", r->fd);
		decode_peer(r->fd, r->fdgen, r->kind, payload, len, s);
		break;
	case TS_SHAPE_ACCEPT:
		ts_span_int(s, "traceshim.fd", r->fd);
		if (r->ret >= 0) {
			ts_span_int(s, "traceshim.accepted_fd", r->ret);
			decode_peer((int)r->ret, r->aux2, r->aux_kind, payload, len, s);
		}
		break;
	case TS_SHAPE_COPY: {
		/* The source first, its path copied out: looking up the other
		 * descriptor may grow the cache both live in, and move it. */
		int in = (int)r->aux;
		const struct ts_fdinfo *src = ts_fdinfo_get(in, r->aux2, r->aux_kind);
		const char *src_path = src && src->type != TS_FD_SOCKET && src->type != TS_FD_PIPE &&
			src->path[0] ? payload_string((const uint8_t *)src->path, strlen(src->path)) : NULL;
		fd_block(s, r->fd, ts_fdinfo_get(r->fd, r->fdgen, r->kind));
		ts_span_int(s, "traceshim.source.fd", in);
		ts_span_str(s, "traceshim.source.path", src_path);
		ts_span_int(s, "traceshim.io.requested", (int64_t)r->arg);
		if (r->ret >= 0)
			ts_span_int(s, "traceshim.io.bytes", r->ret);
		break;
	}
	case TS_SHAPE_SQL:
	case TS_SHAPE_SQL_EXEC:
		ts_sqlinfo_decode(r, payload, len, s);
		return;   /* SQLite result codes, not errno */
	case TS_SHAPE_THREAD:
		if (r->ret == 0)
			s->flow_out = s->span_id;   /* ends on the new thread's span */
		break;
	case TS_SHAPE_PROC:
		decode_proc(op, r, payload, len, s);
		return;
	case TS_SHAPE_TLS:
		/* A session on no socket (memory BIOs) has no descriptor. */
		if (r->fd >= 0) {
			fd_block(s, r->fd, ts_fdinfo_get(r->fd, r->fdgen, r->kind));
		}
		ts_span_int(s, "traceshim.io.requested", (int64_t)r->arg);
		if (r->ret >= 0)
			ts_span_int(s, "traceshim.io.bytes", r->ret);
		else
			decode_tls_error(op == TS_OP_GNUTLS_RECV || op == TS_OP_GNUTLS_SEND,
					 (int32_t)r->aux2, r->err, s);
		return;   /* the library's error codes, not errno */
	case TS_SHAPE_SYSWAIT: {
		/* Timeouts are no errors; interruptions none either (ts_decode_error). */
		int err = ts_decode_syswait(op, r, s);
		if (err)
			ts_decode_error(s, err);
		return;
	}
	case TS_SHAPE_PATH:
	case TS_SHAPE_PATH2:
		if (ts_decode_fs(op, r, payload, len, s))
			return;
		break;
	case TS_SHAPE_WAIT:
	case TS_SHAPE_WAKE: {
		int err = ts_decode_wait(op, r, s);   /* ret is only -1 or 0 */
		if (err)
			ts_decode_error(s, err);
		return;
	}
	}
	if (info->shape == TS_SHAPE_THREAD) {
		if (r->ret != 0)
			ts_decode_error(s, (int)r->ret);
	} else if (r->ret < 0) {
		ts_decode_error(s, r->err);
	}
}
