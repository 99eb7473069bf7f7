/* Recording a TLS library's plaintext call, and the sessions' sockets (see
 * tlscall.h). Runs in the program's threads: no allocation, no lock. */
#include "tlscall.h"

#include "httpconn.h"
#include "large.h"
#include "record.h"

/* Session address -> its socket and that descriptor's generation, by open
 * addressing. An entry is written like a sequence lock: its key becomes BUSY,
 * then the value changes, then the key is set; a reader takes the value only
 * when it saw the same key before and after. An entry whose descriptor was
 * closed since (its generation moved on) is free to take. Full: a session
 * not kept is found again by its next call that moves bytes. */
#define SESSIONS 4096
#define PROBE 32
#define BUSY ((uintptr_t)1)

struct session {
	_Atomic uintptr_t key;
	_Atomic uint64_t val;     /* generation << 32 | fd */
};
static TS_LARGE struct session sessions[SESSIONS];

static unsigned hash(uintptr_t key)
{
	return (unsigned)((key >> 4) * 0x9E3779B97F4A7C15ull >> 52) % SESSIONS;
}

static uint64_t value_of(int fd)
{
	return (uint64_t)(uint32_t)ts_fd_state(fd) << 32 | (uint32_t)fd;
}

/* The entry's descriptor still refers to what it did when the entry was made. */
static bool current(uint64_t val)
{
	return val && (uint32_t)ts_fd_state((int)(uint32_t)val) == (uint32_t)(val >> 32);
}

static int lookup(uintptr_t key)
{
	unsigned h = hash(key);
	for (unsigned n = 0; n < PROBE; n++, h = (h + 1) % SESSIONS) {
		struct session *s = &sessions[h];
		uintptr_t k = atomic_load_explicit(&s->key, memory_order_acquire);
		if (!k)
			return -1;
		if (k != key)
			continue;
		uint64_t v = atomic_load_explicit(&s->val, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->key, memory_order_relaxed) != key || !current(v))
			return -1;
		return (int)(uint32_t)v;
	}
	return -1;
}

static void put(struct session *s, uintptr_t seen, uintptr_t key, uint64_t val)
{
	if (!atomic_compare_exchange_strong_explicit(&s->key, &seen, BUSY, memory_order_relaxed,
						     memory_order_relaxed))
		return;   /* another thread took it: this session is seen again later */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->val, val, memory_order_relaxed);
	atomic_store_explicit(&s->key, key, memory_order_release);
}

static void remember(uintptr_t key, int fd)
{
	uint64_t val = value_of(fd);
	unsigned h = hash(key);
	struct session *stale = NULL;
	uintptr_t stale_key = 0;
	for (unsigned n = 0; n < PROBE; n++, h = (h + 1) % SESSIONS) {
		struct session *s = &sessions[h];
		uintptr_t k = atomic_load_explicit(&s->key, memory_order_acquire);
		if (k == key) {
			if (atomic_load_explicit(&s->val, memory_order_relaxed) != val)
				put(s, key, key, val);
			return;
		}
		if (!k) {
			/* The key is in no entry further on. */
			put(stale ? stale : s, stale ? stale_key : 0, key, val);
			return;
		}
		if (!stale && k != BUSY && !current(atomic_load_explicit(&s->val, memory_order_relaxed))) {
			stale = s;
			stale_key = k;
		}
	}
	if (stale)
		put(stale, stale_key, key, val);
}

void ts_tls_learn_leave(struct ts_thread *t, const void *session)
{
	if (!t)
		return;
	if (t->tls_sock >= 0)
		remember((uintptr_t)session, t->tls_sock);   /* errno untouched */
	t->tls_depth = 0;
}

int ts_tls_known_socket(const void *session)
{
	return lookup((uintptr_t)session);
}

bool ts_tls_usable(int fd)
{
	return fd >= 0 && ts_http_watched(ts_fd_state(fd));
}

int ts_tls_socket(const struct ts_tls_call *c, const void *session)
{
	int fd = c->t->tls_sock;
	if (fd >= 0) {
		remember((uintptr_t)session, fd);
		return fd;
	}
	/* None, or several sockets (a signal handler's own I/O among them):
	 * what an earlier call showed. */
	return lookup((uintptr_t)session);
}

void ts_tls_leave(struct ts_tls_call *c, int fd, const struct ts_tls_io *io)
{
	int saved = errno;
	uint64_t t1 = ts_ticks();
	struct ts_thread *t = c->t;
	t->cur_span = c->parent;
	t->tls_depth = 0;
	struct ts_rec *r = ts_ring_reserve(&t->ring, 0, 0);
	if (r) {
		ts_rec_fill(r, t, io->op, fd, io->done, io->done < 0 ? io->err : 0, c->t0, t1);
		r->span = c->span;
		r->arg = io->requested;
		r->aux2 = io->done < 0 ? (uint32_t)io->code : 0;
		ts_ring_commit(&t->ring, 1);
	}
	if (fd >= 0 && !io->no_feed && io->done >= 0) {
		uint64_t st = ts_fd_state(fd);
		/* done 0 is the end of the peer's data only on a read. */
		if (ts_http_watched(st) && (io->done > 0 || io->dir == TS_HTTP_IN))
			ts_http_bytes(t, fd, st, TS_HTTP_TLS, io->dir, io->buf, io->done, c->t0, t1);
	}
	errno = saved;
}
