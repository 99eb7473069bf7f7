/* The table behind fdwake.h. Every entry is checked against the
 * descriptor generations (fdkind.h), so a number closed and reused for
 * something else is no longer taken for the pipe it was. */
#include "fdwake.h"

#include "record.h"
#include "wake.h"

_Atomic uint32_t ts_fdwake_polling;
_Atomic uint32_t ts_fdwake_known;

static _Atomic uint32_t reader_gen[TS_FDWAKE_MAX];   /* a readable end: its generation */
static _Atomic uint32_t writer_of[TS_FDWAKE_MAX];    /* a write end: its readable end + 1 */
static _Atomic uint32_t writer_gen[TS_FDWAKE_MAX];   /* ...and its own generation */
static _Atomic uint32_t pollers[TS_FDWAKE_MAX];      /* polls of a readable end now */
/* The first write since its polls began: valid bit 63, bits 48-62 the
 * readable end's generation (low bits, a check), 32-47 the writing
 * thread's index, 0-31 its span number. */
static _Atomic uint64_t waker[TS_FDWAKE_MAX];
/* When the first of the polls now on a readable end began (ticks). */
static _Atomic uint64_t since[TS_FDWAKE_MAX];

#define VALID (1ull << 63)
#define CHECK(gen) ((uint64_t)((gen) & 0x7fff) << 48)

static bool known(int rfd, uint32_t *gen)
{
	if ((unsigned)rfd >= TS_FDWAKE_MAX)
		return false;
	uint32_t g = atomic_load_explicit(&reader_gen[rfd], memory_order_relaxed);
	*gen = g;
	return g && g == ts_fd_gen(rfd);
}

static void made(int rfd, int wfd)
{
	if ((unsigned)rfd >= TS_FDWAKE_MAX || (unsigned)wfd >= TS_FDWAKE_MAX)
		return;
	atomic_store_explicit(&reader_gen[rfd], ts_fd_gen(rfd), memory_order_relaxed);
	atomic_store_explicit(&writer_gen[wfd], ts_fd_gen(wfd), memory_order_relaxed);
	atomic_store_explicit(&writer_of[wfd], (uint32_t)rfd + 1, memory_order_relaxed);
	if (!atomic_load_explicit(&ts_fdwake_known, memory_order_relaxed))
		atomic_store_explicit(&ts_fdwake_known, 1, memory_order_relaxed);
}

void ts_fdwake_pipe(int rfd, int wfd)
{
	made(rfd, wfd);
}

void ts_fdwake_eventfd(int fd)
{
	made(fd, fd);
}

bool ts_fdwake_enter(int fd)
{
	uint32_t gen;
	if (!known(fd, &gen))
		return false;
	/* The first poller forgets what woke the polls before it. */
	if (atomic_fetch_add(&pollers[fd], 1) == 0) {
		atomic_store(&waker[fd], 0);
		atomic_store_explicit(&since[fd], ts_ticks(), memory_order_relaxed);
	}
	atomic_fetch_add(&ts_fdwake_polling, 1);
	return true;
}

uint64_t ts_fdwake_leave(int fd, bool readable)
{
	uint64_t res = 0;
	if (readable) {
		uint64_t w = atomic_load(&waker[fd]);
		uint32_t gen = atomic_load_explicit(&reader_gen[fd], memory_order_relaxed);
		if ((w & VALID) && (w & CHECK(0x7fff)) == CHECK(gen))
			res = (((w >> 32) & 0xffff) + 1) << 32 | (uint32_t)w;
	}
	atomic_fetch_sub(&pollers[fd], 1);
	atomic_fetch_sub(&ts_fdwake_polling, 1);
	return res;
}

uint64_t ts_fdwake_post(int fd, const struct ts_thread *t, int *rfd)
{
	if ((unsigned)fd >= TS_FDWAKE_MAX)
		return 0;
	uint32_t r1 = atomic_load_explicit(&writer_of[fd], memory_order_relaxed);
	if (!r1 || atomic_load_explicit(&writer_gen[fd], memory_order_relaxed) != ts_fd_gen(fd))
		return 0;
	int r = (int)r1 - 1;
	uint32_t gen;
	if (!known(r, &gen) || !atomic_load(&pollers[r]))
		return 0;
	/* A poll that has not waited the threshold yet may end as no span:
	 * an arrow from this write would then point at nothing. */
	if (ts_ticks() - atomic_load_explicit(&since[r], memory_order_relaxed) < ts_wait_min_ticks())
		return 0;
	uint64_t w = VALID | CHECK(gen) | (uint64_t)(t->index & 0xffff) << 32 | t->next_span;
	uint64_t none = 0;
	if (!atomic_compare_exchange_strong(&waker[r], &none, w))
		return 0;   /* an earlier write woke it */
	*rfd = r;
	return w;
}

void ts_fdwake_retract(int rfd, uint64_t word)
{
	atomic_compare_exchange_strong(&waker[rfd], &word, 0);
}
