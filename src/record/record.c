/* The out-of-line recording calls: those that carry a payload (a path or a
 * socket address, copied into continuation slots) or that are rare. */
#include "record.h"

#include "modules.h"

#include <string.h>

bool ts_record_put(struct ts_thread *t, const struct ts_rec *proto, const void *payload,
		   unsigned len, int structural)
{
	unsigned max = TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE;
	if (len > max)
		len = max;
	unsigned ext = (len + TS_REC_SIZE - 1) / TS_REC_SIZE;
	struct ts_rec *r = ts_ring_reserve(&t->ring, ext, structural);
	if (!r)
		return false;
	*r = *proto;
	r->ext = (uint8_t)ext;
	r->aux = len;
	if (len)
		ts_ring_put_payload(&t->ring, r, payload, len);
	ts_ring_commit(&t->ring, 1 + ext);
	return true;
}

/* A new span with a payload. */
static void append(struct ts_thread *t, struct ts_rec *rec, const void *payload, unsigned len)
{
	rec->span = t->next_span++;
	ts_record_put(t, rec, payload, len, 0);
}

void ts_record_open(struct ts_thread *t, enum ts_op op, const char *path, int ret,
		    uint64_t t0, uint64_t t1)
{
	int err = ret < 0 ? errno : 0;
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, -1, ret, err, t0, t1);
	if (ret >= 0) {
		rec.fdgen = ts_fd_changed(ret);
		rec.kind = 0;
	}
	unsigned len = path ? (unsigned)strnlen(path, TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE) : 0;
	append(t, &rec, path, len);
}

void ts_record_sockaddr(struct ts_thread *t, enum ts_op op, int fd, const struct sockaddr *sa,
			socklen_t len, int64_t ret, uint64_t t0, uint64_t t1)
{
	int err = ret < 0 ? errno : 0;
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, fd, ret, err, t0, t1);
	if (op == TS_OP_ACCEPT && ret >= 0) {
		/* The accepted socket has the listening socket's transport. */
		rec.aux_kind = ts_fd_kind(TS_FD_SOCKET, rec.kind >> 4);
		rec.aux2 = ts_fd_made_kind((int)ret, rec.aux_kind);
	}
	if (!ts_op_off(op, fd))   /* off: called for the HTTP layer's sake only */
		append(t, &rec, sa, sa ? (unsigned)len : 0);
}

void ts_record_close(struct ts_thread *t, int fd, uint64_t state, int ret, uint64_t t0, uint64_t t1)
{
	if (ts_op_off_state(TS_OP_CLOSE, state))
		return;
	int err = ret < 0 ? errno : 0;
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	ts_rec_fill(r, t, TS_OP_CLOSE, fd, ret, err, t0, t1);
	r->span = t->next_span++;
	r->fdgen = (uint32_t)state;
	r->kind = ts_fd_state_kind(state);
	ts_ring_commit(&t->ring, 1);
}

void ts_record_proc(struct ts_thread *t, enum ts_op op, uint32_t span, int64_t ret, int err,
		    pid_t child, int status, const char *path, uint64_t t0, uint64_t t1)
{
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, -1, ret, err, t0, t1);
	rec.span = span;
	rec.arg = child > 0 ? (uint64_t)child : 0;
	rec.aux_kind = status >= 0;
	rec.aux2 = status >= 0 ? (uint32_t)status : 0;
	unsigned len = path ? (unsigned)strnlen(path, TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE) : 0;
	ts_record_put(t, &rec, path, len, 0);
}

void ts_record_thread_create(struct ts_thread *t, uint32_t span, uint32_t child_index, int ret,
			     uint64_t t0, uint64_t t1)
{
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	ts_rec_fill(r, t, TS_OP_PTHREAD_CREATE, -1, ret, 0, t0, t1);
	r->span = span;
	r->aux = child_index;
	ts_ring_commit(&t->ring, 1);
}

/* The module record for m, unless this ring carried it already: the drain
 * side learns each module's file and bias from the records alone. Kept even
 * when the ring is nearly full, as the exception that needs it is. */
static void module_once(struct ts_thread *t, const struct ts_module *m)
{
	uint64_t bit = 1ull << ((m->id - 1) % 64);
	uint64_t *word = &t->modules_sent[(m->id - 1) / 64];
	if (*word & bit)
		return;
	struct ts_rec rec = {.type = TS_REC_MODULE, .fd = -1, .arg = m->bias, .aux2 = m->id};
	if (ts_record_put(t, &rec, m->path, m->path_len, 1))
		*word |= bit;
}

void ts_record_exception(struct ts_thread *t, int sig, int code, uint64_t addr, bool fatal,
			 const uint64_t *ips, unsigned nips, const char *type)
{
	if (!sig)
		ts_modules_refresh();   /* a throw, not a signal handler: the loader may be asked */
	/* Payload: the return addresses, their module numbers, then the type
	 * name and its NUL (see ring.h). */
	uint8_t buf[TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE];
	unsigned max_ips = 32;   /* TS_STACK_MAX */
	if (nips > max_ips)
		nips = max_ips;
	unsigned len = nips * 8;
	memcpy(buf, ips, len);
	for (unsigned i = 0; i < nips; i++) {
		struct ts_module m;
		/* A return address may be just past its function's module. */
		uint16_t id = ts_modules_find(ips[i] - (i ? 1 : 0), &m) ? (uint16_t)m.id : 0;
		if (id)
			module_once(t, &m);
		memcpy(buf + len + i * 2, &id, 2);
	}
	len += nips * 2;
	size_t tlen = type ? strnlen(type, sizeof buf - len - 1) : 0;
	memcpy(buf + len, type ? type : "", tlen);
	len += (unsigned)tlen;
	buf[len++] = 0;
	struct ts_rec rec = {
		.t0 = ts_ticks(), .type = TS_REC_EXCEPTION, .parent = t->cur_span, .fd = (int32_t)nips,
		.op = (uint16_t)sig, .err = (int16_t)code, .arg = addr, .kind = fatal,
	};
	rec.t1 = rec.t0;
	ts_record_put(t, &rec, buf, len, 1);   /* kept even when the ring is nearly full */
}

void ts_fd_range_changed(unsigned first, unsigned last)
{
	if (ts_vfork_child())   /* its descriptors are not the parent's */
		return;
	if (last >= TS_FDGEN_MAX)
		last = TS_FDGEN_MAX - 1;
	for (unsigned fd = first; fd <= last && fd < TS_FDGEN_MAX; fd++) {
		/* A plain store: the value only has to change, and this can cover
		 * 65536 descriptors. */
		uint64_t st = atomic_load_explicit(&ts_fdstate[fd], memory_order_relaxed);
		atomic_store_explicit(&ts_fdstate[fd], (uint32_t)(st + 1), memory_order_relaxed);
	}
}

void ts_record_fd_alias(struct ts_thread *t, int oldfd, uint64_t oldstate, int newfd)
{
	/* The duplicate is what the original is. */
	uint8_t kind = ts_fd_state_kind(oldstate);
	uint32_t newgen = ts_fd_made_kind(newfd, kind);
	if (!t)
		return;
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (!r)
		return;
	*r = (struct ts_rec){.type = TS_REC_FD_ALIAS, .fd = newfd, .fdgen = newgen, .kind = kind,
			     .aux = (uint32_t)oldfd, .aux2 = (uint32_t)oldstate};
	ts_ring_commit(&t->ring, 1);
}
