/* HTTP/1 exchanges as spans (see httpconn.h).
 *
 * Each descriptor number has one entry: the generation it was made for, the
 * process's fork epoch, and what is known of it (nothing yet, not HTTP, or
 * the sniffer slot it uses). Slots come from a fixed pool taken and given
 * back with one atomic operation on a bitmap; a descriptor that turns out not
 * to be HTTP gives its slot back after its first call. The pool and the
 * entries are in .lbss: their pages are touched only when sockets are.
 *
 * A duplicate of a connection's descriptor (dup, or an inetd-style server's
 * stdin and stdout) is the same connection: links[fd] holds fd's generation
 * and the original's, links_to[fd] the original's number, and every call on
 * fd goes to the original's slot while both generations hold. The slot keeps
 * its duplicates, so that closing the original hands the connection to one
 * of them (as the kernel keeps the socket open), and only closing the last
 * ends its spans. */
#include "httpconn_int.h"

#include "clock.h"
#include "large.h"
#include "passedfds.h"
#include "rawsys.h"
#include "record.h"
#include "rlimits.h"
#include "vforkstate.h"

#include <string.h>
#include <sys/socket.h>

#define SLOTS 512
#define NONE 0
#define OFF 0xffff


/* gen (32) | epoch (16) | NONE, OFF or slot + 1 (16) */
static TS_LARGE _Atomic uint64_t entries[2][TS_FDGEN_MAX];   /* by enum ts_http_layer */
static TS_LARGE struct slot slots[SLOTS];
static _Atomic uint64_t used[SLOTS / 64];
/* fd's generation (32) | its original's (32); 0: not a duplicate */
static TS_LARGE _Atomic uint64_t links[TS_FDGEN_MAX];
static TS_LARGE _Atomic int32_t links_to[TS_FDGEN_MAX];
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
	ts_http_scope_after_fork();
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

/* fd (its state) as the connection it is part of: its original's number
 * and state when fd is a duplicate of a descriptor still open; unchanged
 * otherwise. fd < TS_FDGEN_MAX. */
static inline void original_of(int *fd, uint64_t *state)
{
	uint64_t l = atomic_load_explicit(&links[*fd], memory_order_acquire);
	if (__builtin_expect(!l, 1) || (uint32_t)(l >> 32) != (uint32_t)*state)
		return;
	int to = atomic_load_explicit(&links_to[*fd], memory_order_relaxed);
	if ((unsigned)to >= TS_FDGEN_MAX)
		return;
	uint64_t st = ts_fd_state(to);
	if ((uint32_t)st != (uint32_t)l)
		return;   /* the original was closed or replaced since */
	*fd = to;
	*state = st;
}

static void link_dup(int fd, uint64_t state, int to, uint64_t to_state)
{
	atomic_store_explicit(&links_to[fd], to, memory_order_relaxed);
	atomic_store_explicit(&links[fd], (uint64_t)(uint32_t)state << 32 | (uint32_t)to_state,
			      memory_order_release);
}

bool ts_http_may_inject(int fd, uint64_t state)
{
	if ((unsigned)fd >= TS_FDGEN_MAX)
		return false;
	original_of(&fd, &state);
	uint64_t e = atomic_load_explicit(&entries[TS_HTTP_SOCKET][fd], memory_order_relaxed);
	return (e & ~0xffffull) != entry_of((uint32_t)state, NONE) || (uint16_t)e != OFF;
}

/* The slot of fd for this generation, made on its first call; NULL when the
 * descriptor is not HTTP or no slot is free (it is then left untraced, as
 * if it were not HTTP: the pool's size is the documented limit). */
struct slot *ts_http_slot(int fd, uint64_t state, enum ts_http_layer layer)
{
	if ((unsigned)fd >= TS_FDGEN_MAX)
		return NULL;
	original_of(&fd, &state);
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
		return ts_http_slot(fd, state, layer);   /* another thread made it first */
	}
	if (old != NONE && old != OFF && (e >> 16 & 0xffff) == (next >> 16 & 0xffff))
		give_slot(old - 1u);
	if (i < 0)
		return NULL;
	struct slot *s = &slots[i];
	ts_http1_init(&s->conn, query_raw ? TS_HTTP1_QUERY_RAW : 0);
	s->tls = layer == TS_HTTP_TLS;
	s->role = 0;
	s->fd = fd;
	s->state = state;
	s->unread = 0;
	s->tail_len = 0;
	for (unsigned d = 0; d < TS_HTTP_DUPS; d++)
		s->dup_fd[d] = -1;
	if (s->tls && !atomic_load_explicit(&tls_seen, memory_order_relaxed))
		atomic_store_explicit(&tls_seen, true, memory_order_relaxed);
	memset(s->handle, 0, sizeof s->handle);
	s->next_handle = 0;
	s->propagated = TS_PROP_NONE;
	s->pend = TS_PEND_NONE;
	s->child = 0;
	return s;
}

/* The connection is done with: OFF for its descriptor's generation, slot
 * back. */
static void release(struct slot *s)
{
	atomic_store_explicit(&entries[s->tls][s->fd], entry_of((uint32_t)s->state, OFF),
			      memory_order_release);
	give_slot((unsigned)(s - slots));
}

static void feed(struct ts_thread *t, struct slot *s, int dir, const void *buf, size_t len,
		 uint64_t t0, uint64_t t1)
{
	struct ts_http1_event ev[8];
	for (size_t pos = 0; pos < len;) {
		unsigned n = ts_http1_feed(&s->conn, (enum ts_http1_dir)dir, buf, len, &pos, ev, 8);
		for (unsigned i = 0; i < n; i++)
			ts_http_event(t, s, &ev[i], t0, t1);
	}
}

void ts_http_feed(struct ts_thread *t, struct slot *s, int dir, const void *buf, size_t done,
		  uint64_t t0, uint64_t t1)
{
	feed(t, s, dir, buf, done, t0, t1);
	if (ts_http1_is_off(&s->conn))
		release(s);
}

/* The peer closed, or the program did: what the connection had open ends. */
static void finish(struct ts_thread *t, struct slot *s, uint64_t at)
{
	struct ts_http1_event ev[4];
	unsigned n = ts_http1_close(&s->conn, ev, 4);
	for (unsigned i = 0; i < n; i++)
		ts_http_event(t, s, &ev[i], at, at);
	/* A request read whole and handed to a child that answers it ends
	 * as one the child took (no message was under way to abandon). */
	if (s->child)
		ts_http_end_handed(t, s, at);
	else
		ts_http_end_all(t, s, at, "connection_closed");
	release(s);
}

/* The last bytes received, for ts_http_unread. */
static void keep_tail(struct slot *s, const uint8_t *p, size_t n)
{
	size_t keep = sizeof s->tail;
	if (n >= keep) {
		memcpy(s->tail, p + n - keep, keep);
		s->tail_len = (uint8_t)keep;
		return;
	}
	size_t old = s->tail_len + n > keep ? keep - n : s->tail_len;
	memmove(s->tail, s->tail + s->tail_len - old, old);
	memcpy(s->tail + old, p, n);
	s->tail_len = (uint8_t)(old + n);
}

void ts_http_bytes(struct ts_thread *t, int fd, uint64_t state, enum ts_http_layer layer, int dir,
		   const void *buf, int64_t done, uint64_t t0, uint64_t t1)
{
	if (done < 0 || ts_vfork_child())
		return;
	struct slot *s = ts_http_slot(fd, state, layer);
	if (!s)
		return;
	if (done == 0) {
		/* The peer closed its side: a client that shut its side down
		 * after its requests still waits for their answers, which end
		 * their spans; anything else cut short ends now. An exchange a
		 * child took over ends as the child's: whether the child had
		 * answered when the peer closed is out of this process's sight
		 * (a CGI server reads what is left of the request once its
		 * child has answered, until the client closes). */
		if (dir == TS_HTTP_IN && s->conn.state != TS_HTTP1_DETECT &&
		    !ts_http1_server_between_requests(&s->conn))
			finish(t, s, t1);
		return;
	}
	if (dir == TS_HTTP_IN && s->unread) {
		uint32_t again = done < s->unread ? (uint32_t)done : s->unread;
		s->unread -= again;
		buf = (const char *)buf + again;
		if (!(done -= again))
			return;
	}
	if (dir == TS_HTTP_IN)
		keep_tail(s, buf, (size_t)done);
	feed(t, s, dir, buf, (size_t)done, t0, t1);
	if (ts_http1_is_off(&s->conn))
		release(s);
}

void ts_http_unread(int fd, uint64_t state, int c)
{
	if (ts_vfork_child())
		return;
	struct slot *s = ts_http_slot(fd, state, TS_HTTP_SOCKET);
	if (s && s->unread < s->tail_len && s->tail[s->tail_len - 1 - s->unread] == (uint8_t)c)
		s->unread++;
}

void ts_http_skip(struct ts_thread *t, int fd, uint64_t state, int dir, int64_t done, uint64_t t0,
		  uint64_t t1)
{
	if (done <= 0 || ts_vfork_child())
		return;
	struct slot *s = ts_http_slot(fd, state, TS_HTTP_SOCKET);
	if (!s)
		return;
	struct ts_http1_event ev[4];
	unsigned n = ts_http1_skip(&s->conn, (enum ts_http1_dir)dir, (uint64_t)done, ev, 4);
	for (unsigned i = 0; i < n; i++)
		ts_http_event(t, s, &ev[i], t0, t1);
	if (ts_http1_is_off(&s->conn))
		release(s);
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
	struct slot *s = ts_http_slot(fd, state, layer);
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
		release(s);
}

/* Dup d of the slot is still that descriptor, a duplicate of the slot's. */
static bool live_dup(const struct slot *s, unsigned d)
{
	int fd = s->dup_fd[d];
	return fd >= 0 && (uint32_t)ts_fd_state(fd) == s->dup_gen[d] &&
	       atomic_load_explicit(&links[fd], memory_order_relaxed) ==
		       ((uint64_t)s->dup_gen[d] << 32 | (uint32_t)s->state);
}

void ts_http_dup(int fd, uint64_t state, int newfd, uint64_t newstate)
{
	if ((unsigned)fd >= TS_FDGEN_MAX || (unsigned)newfd >= TS_FDGEN_MAX || ts_vfork_child() ||
	    !ts_http_watched(state))
		return;
	original_of(&fd, &state);
	if (fd == newfd)
		return;
	struct slot *s = ts_http_slot(fd, state, TS_HTTP_SOCKET);
	if (!s)
		return;   /* not HTTP, or no slot: newfd is looked at on its own */
	for (unsigned d = 0; d < TS_HTTP_DUPS; d++)
		if (!live_dup(s, d)) {
			s->dup_fd[d] = newfd;
			s->dup_gen[d] = (uint32_t)newstate;
			link_dup(newfd, newstate, fd, state);
			return;
		}
}

/* The slot's descriptor is being closed: a duplicate still open takes the
 * connection over (its entry, its peer's address, the other duplicates'
 * links); false when there is none. */
static bool hand_over(struct slot *s)
{
	unsigned d = 0;
	while (d < TS_HTTP_DUPS && !live_dup(s, d))
		d++;
	if (d == TS_HTTP_DUPS)
		return false;
	int to = s->dup_fd[d];
	uint64_t to_state = ts_fd_state(to);
	s->dup_fd[d] = -1;
	atomic_store_explicit(&links[to], 0, memory_order_relaxed);
	union {
		struct sockaddr sa;
		uint8_t bytes[TS_HTTP_PEER_MAX];
	} peer;
	unsigned plen = ts_http_peer_of(s->fd, (uint32_t)s->state, peer.bytes);
	if (plen)
		ts_http_peer(to, to_state, &peer.sa, plen);
	for (unsigned e = 0; e < TS_HTTP_DUPS; e++)
		if (live_dup(s, e))
			link_dup(s->dup_fd[e], ts_fd_state(s->dup_fd[e]), to, to_state);
	atomic_store_explicit(&entries[s->tls][s->fd], entry_of((uint32_t)s->state, OFF),
			      memory_order_release);
	s->fd = to;
	s->state = to_state;
	uint16_t what = (uint16_t)(s - slots + 1);
	atomic_store_explicit(&entries[s->tls][to], entry_of((uint32_t)to_state, what),
			      memory_order_release);
	return true;
}

/* fd, a duplicate of a descriptor still open, was closed: the connection goes
 * on. True when fd was one. */
static bool dup_closed(int fd, uint64_t state)
{
	uint64_t l = atomic_load_explicit(&links[fd], memory_order_acquire);
	if (!l || (uint32_t)(l >> 32) != (uint32_t)state)
		return false;
	atomic_store_explicit(&links[fd], 0, memory_order_relaxed);
	int to = atomic_load_explicit(&links_to[fd], memory_order_relaxed);
	return (unsigned)to < TS_FDGEN_MAX && (uint32_t)ts_fd_state(to) == (uint32_t)l;
}

void ts_http_closed(struct ts_thread *t, int fd, uint64_t state, uint64_t at)
{
	/* Only sockets, or any descriptor once TLS was seen: the entries of
	 * other descriptors' pages are never touched. */
	if ((unsigned)fd >= TS_FDGEN_MAX || ts_vfork_child() ||
	    (!ts_http_watched(state) && !atomic_load_explicit(&tls_seen, memory_order_relaxed)))
		return;
	if (dup_closed(fd, state))
		return;
	for (int layer = 0; layer < 2; layer++) {
		uint64_t e = atomic_load_explicit(&entries[layer][fd], memory_order_acquire);
		uint16_t what = (uint16_t)e;
		if ((e & ~0xffffull) == entry_of((uint32_t)state, NONE) && what != NONE && what != OFF &&
		    !hand_over(&slots[what - 1]))
			finish(t, &slots[what - 1], at);
	}
}

/* The slot in use at i, if it is one (not being set up by another thread). */
static struct slot *live_slot(unsigned i)
{
	struct slot *s = &slots[i];
	return (unsigned)s->fd < TS_FDGEN_MAX &&
			       atomic_load_explicit(&entries[s->tls][s->fd], memory_order_acquire) ==
				       entry_of((uint32_t)s->state, (uint16_t)(i + 1)) ?
		       s :
		       NULL;
}

/* fn(slot, arg) for every slot in use. */
static void each_live(void (*fn)(struct slot *, void *), void *arg)
{
	for (unsigned w = 0; w < SLOTS / 64; w++) {
		uint64_t bits = atomic_load_explicit(&used[w], memory_order_acquire);
		for (; bits; bits &= bits - 1) {
			struct slot *s = live_slot(w * 64 + (unsigned)__builtin_ctzll(bits));
			if (s)
				fn(s, arg);
		}
	}
}

static void mark_child(struct slot *s, void *child)
{
	for (unsigned k = 0; k < TS_HTTP1_PIPELINE; k++)
		if (s->handle[k])
			s->child = *(const pid_t *)child;
}

void ts_http_forked(pid_t child)
{
	if (!ts_vfork_child())
		each_live(mark_child, &child);
}

struct handing {
	pid_t to;
	unsigned open;   /* connections sent with an exchange open */
};

static void sent_with(int sent, void *handing)
{
	struct handing *h = handing;
	struct slot *s = sent >= 0 ? ts_http_slot(sent, ts_fd_state(sent), TS_HTTP_SOCKET) : NULL;
	if (!s)
		return;
	for (unsigned k = 0; k < TS_HTTP1_PIPELINE; k++)
		h->open += s->handle[k] != 0;
	mark_child(s, &h->to);
}

void ts_http_sent_away(int fd, const struct msghdr *msg)
{
	if (ts_vfork_child() || !msg->msg_control || msg->msg_controllen < CMSG_LEN(0))
		return;
	int saved = errno;
	struct handing h = {-1, 0};   /* -1: to a process not known */
	ts_passed_fds(msg, sent_with, &h);
	/* Then the receiver's pid, when the socket says it (a socketpair made
	 * before the worker was forked names its maker, this process). */
	struct ucred peer = {0};
	socklen_t len = sizeof peer;
	if (h.open && !ts_sandboxed() &&
	    ts_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0 &&
	    peer.pid > 0 && peer.pid != (pid_t)ts_syscall(SYS_getpid)) {
		h.to = peer.pid;
		ts_passed_fds(msg, sent_with, &h);
	}
	errno = saved;
}

struct ending {
	struct ts_thread *t;
	uint64_t at;
};

static void finish_one(struct slot *s, void *ending)
{
	const struct ending *e = ending;
	finish(e->t, s, e->at);
}

void ts_http_at_exit(struct ts_thread *t, uint64_t at)
{
	struct ending e = {t, at};
	if (!ts_vfork_child())
		each_live(finish_one, &e);
}
