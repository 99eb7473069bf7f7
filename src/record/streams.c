/* The per-descriptor counts of stdio's per-character calls, and the records
 * of stream opens and closes, which carry them (streams.h, stdiorec.h). */
#include "streams.h"

#include "large.h"

#include <string.h>

TS_LARGE struct ts_stream_slot ts_stream_slots[TS_STREAM_FDS];
_Atomic unsigned ts_stream_top;

void ts_stream_raise_top(unsigned top)
{
	unsigned cur = atomic_load_explicit(&ts_stream_top, memory_order_relaxed);
	while (cur < top && !atomic_compare_exchange_weak_explicit(&ts_stream_top, &cur, top,
								   memory_order_relaxed,
								   memory_order_relaxed))
		;
}

bool ts_stream_take(int fd, struct ts_stdio_counts *out)
{
	if (out)
		*out = (struct ts_stdio_counts){0};
	if ((unsigned)fd >= atomic_load_explicit(&ts_stream_top, memory_order_relaxed))
		return false;   /* never counted (nor its page touched) */
	struct ts_stream_slot *s = &ts_stream_slots[fd];
	if (!atomic_load_explicit(&s->getc_calls, memory_order_relaxed) &&
	    !atomic_load_explicit(&s->putc_calls, memory_order_relaxed))
		return false;
	uint64_t gc = atomic_exchange_explicit(&s->getc_calls, 0, memory_order_relaxed);
	uint64_t gf = atomic_exchange_explicit(&s->getc_fails, 0, memory_order_relaxed);
	uint64_t pc = atomic_exchange_explicit(&s->putc_calls, 0, memory_order_relaxed);
	uint64_t pf = atomic_exchange_explicit(&s->putc_fails, 0, memory_order_relaxed);
	if (out)
		/* A call counted between two of the exchanges may show as a
		 * failure without its call: never more failures than calls. */
		*out = (struct ts_stdio_counts){gc, gc - (gf < gc ? gf : gc), pc, pc - (pf < pc ? pf : pc)};
	return gc || pc;
}

/* The record with the counts (when any) and then `len` bytes of text as payload. */
static void put(struct ts_thread *t, struct ts_rec *rec, const struct ts_stdio_counts *counts,
		const char *text, size_t len)
{
	uint8_t buf[TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE];
	size_t n = 0;
	if (counts) {
		memcpy(buf, counts, sizeof *counts);
		n = sizeof *counts;
		rec->aux2 |= TS_STDIO_COUNTS;
	}
	if (len > sizeof buf - n)
		len = sizeof buf - n;
	if (len)
		memcpy(buf + n, text, len);
	rec->span = t->next_span++;
	ts_record_put(t, rec, buf, (unsigned)(n + len), 0);
}

void ts_record_stream_open(struct ts_thread *t, enum ts_op op, int fd, const char *path,
			   const char *mode, int ret, const struct ts_stdio_counts *closed,
			   uint64_t t0, uint64_t t1)
{
	int err = ret < 0 ? errno : 0;
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, fd, ret, err, t0, t1);
	rec.arg = ts_stdio_mode_pack(mode);
	if (path && ret >= 0) {
		rec.fdgen = ts_fd_changed(ret);
		rec.kind = 0;
	}
	put(t, &rec, closed, path, path ? strnlen(path, TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE) : 0);
}

void ts_record_stream_close(struct ts_thread *t, int fd, uint64_t state, int ret,
			    const struct ts_stdio_counts *counts, uint64_t t0, uint64_t t1)
{
	int err = ret < 0 ? errno : 0;
	struct ts_rec rec;
	ts_rec_fill(&rec, t, TS_OP_FCLOSE, fd, ret, err, t0, t1);
	rec.fdgen = (uint32_t)state;
	rec.kind = ts_fd_state_kind(state);
	put(t, &rec, counts, NULL, 0);
}

void ts_record_streams_at_exit(struct ts_thread *t)
{
	int saved = errno;
	unsigned top = atomic_load_explicit(&ts_stream_top, memory_order_relaxed);
	for (unsigned fd = 0; fd < top && fd < TS_STREAM_FDS; fd++) {
		struct ts_stdio_counts counts;
		if (!ts_stream_take((int)fd, &counts))
			continue;
		uint64_t now = ts_ticks();
		struct ts_rec rec;
		ts_rec_fill(&rec, t, TS_OP_STDIO_EXIT, (int)fd, 0, 0, now, now);
		put(t, &rec, &counts, NULL, 0);
	}
	errno = saved;
}

void ts_streams_after_fork(void)
{
	unsigned top = atomic_load_explicit(&ts_stream_top, memory_order_relaxed);
	for (unsigned fd = 0; fd < top && fd < TS_STREAM_FDS; fd++)
		ts_stream_take((int)fd, NULL);
}
