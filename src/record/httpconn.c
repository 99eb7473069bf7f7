/* HTTP/1 exchanges as spans (see httpconn.h).
 *
 * Each descriptor number has one entry: the generation it was made for, the
 * process's fork epoch, and what is known of it (nothing yet, not HTTP, or
 * the sniffer slot it uses). Slots come from a fixed pool taken and given
 * back with one atomic operation on a bitmap; a descriptor that turns out not
 * to be HTTP gives its slot back after its first call. The pool and the
 * entries are in .lbss: their pages are touched only when sockets are. */
#include "httpconn_int.h"

#include "clock.h"
#include "large.h"
#include "record.h"
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

bool ts_http_may_inject(int fd, uint64_t state)
{
	if ((unsigned)fd >= TS_FDGEN_MAX)
		return false;
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
	if (s->tls && !atomic_load_explicit(&tls_seen, memory_order_relaxed))
		atomic_store_explicit(&tls_seen, true, memory_order_relaxed);
	memset(s->handle, 0, sizeof s->handle);
	s->next_handle = 0;
	s->propagated = TS_PROP_NONE;
	s->pend = TS_PEND_NONE;
	return s;
}

/* The descriptor is done with: OFF for its generation, slot back. */
static void release(int fd, uint64_t state, struct slot *s)
{
	atomic_store_explicit(&entries[s->tls][fd], entry_of((uint32_t)state, OFF),
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

void ts_http_feed(struct ts_thread *t, int fd, uint64_t state, struct slot *s, int dir,
		  const void *buf, size_t done, uint64_t t0, uint64_t t1)
{
	feed(t, s, dir, buf, done, t0, t1);
	if (ts_http1_is_off(&s->conn))
		release(fd, state, s);
}

/* The peer closed, or the program did: what the connection had open ends. */
static void finish(struct ts_thread *t, int fd, uint64_t state, struct slot *s, uint64_t at)
{
	struct ts_http1_event ev[4];
	unsigned n = ts_http1_close(&s->conn, ev, 4);
	for (unsigned i = 0; i < n; i++)
		ts_http_event(t, s, &ev[i], at, at);
	ts_http_end_all(t, s, at, "connection_closed");
	release(fd, state, s);
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
		if (dir == TS_HTTP_IN && s->conn.state != TS_HTTP1_DETECT)
			finish(t, fd, state, s, t1);
		return;
	}
	feed(t, s, dir, buf, (size_t)done, t0, t1);
	if (ts_http1_is_off(&s->conn))
		release(fd, state, s);
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
