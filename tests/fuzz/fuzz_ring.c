/* libFuzzer target: garbage in a ring. The input is a run of 64-byte
 * records (struct ts_rec, payload slots included), put into a thread's ring
 * where its producer would have put them, wrapping at the end, and read by
 * the drainer's own ring walk (ts_drain_ring): every record type, payload
 * extension and length goes through the decoding the drainer does. The walk
 * must stop only at a record that claims more slots than were published,
 * and the trace written must be well formed, the thread's slices all closed
 * once the thread ends. */
#include "asyncspan.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "exception.h"
#include "perfetto.h"
#include "fdinfo.h"
#include "fdstate.h"
#include "ids.h"
#include "thread.h"
#include "trace_check.h"
#include "tracks.h"
#include "userspan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 64
#define START 40   /* ring position of the first record: long inputs wrap */

static struct ts_rec slots[SLOTS];
static struct ts_thread thread;
static struct tc_ctx tc;   /* every batch of the run: one file */
static uint32_t next_index = 1;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_ring: %s\n", what);
	abort();
}

/* The core's own constructor would start tracing this process, with a
 * drainer thread of its own: it must find tracing disabled. */
__attribute__((constructor(101))) static void no_self_tracing(void)
{
	setenv("TRACESHIM_DISABLE", "1", 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ts_clock_init(false);
	ts_ids_init();
	ts_cfg.perfetto = true;
	snprintf(ts_cfg.output, sizeof ts_cfg.output, "/dev/null");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nrec = (size + TS_REC_SIZE - 1) / TS_REC_SIZE;
	if (nrec > SLOTS)
		nrec = SLOTS;
	memset(slots, 0, sizeof slots);
	for (size_t i = 0; i < nrec; i++) {
		size_t off = i * TS_REC_SIZE, n = size - off < TS_REC_SIZE ? size - off : TS_REC_SIZE;
		memcpy(&slots[(START + i) % SLOTS], data + off, n);
	}
	ts_fdinfo_reset();
	/* A new thread each time: the track of the last one is forgotten. */
	memset(&thread, 0, sizeof thread);
	thread.index = next_index++;
	thread.tid = getpid() + 1;
	snprintf(thread.name, sizeof thread.name, "fuzz");
	thread.ring.mask = SLOTS - 1;
	thread.ring.slots = slots;
	atomic_store(&thread.ring.tail, START);
	atomic_store(&thread.ring.head, START + nrec);
	atomic_store(&thread.state, TS_SLOT_LIVE);

	ts_clock_sync();
	ts_tracks_begin_process();
	struct ts_track_ctx *c = ts_tracks_of(0, &thread);
	unsigned n = ts_drain_ring(c, &thread);
	uint64_t tail = atomic_load(&thread.ring.tail), head = START + nrec;
	if (tail < START || tail > head || n > nrec)
		fail("the walk went outside what was published");
	if (tail < head) {
		const struct ts_rec *r = &slots[tail % SLOTS];
		if (r->ext > TS_PAYLOAD_MAX_SLOTS || tail + 1 + r->ext <= head)
			fail("the walk stopped before a record it could read");
	}
	ts_tracks_thread_end(c, c->last_ns, &thread);
	ts_async_cycle_end();
	ts_async_end_all(c->last_ns);

	struct pb *batch = ts_pf_batch();
	if (!pb_ok(batch))
		fail("the encoder ran out of memory");
	const char *err = tc_check(&tc, batch->data, batch->len);
	if (err)
		fail(err);
	for (size_t i = 0; i < tc.nseqs; i++)
		if (tc.seqs[i].id == c->track.sequence && tc.seqs[i].depth)
			fail("a slice left open on the thread's track after it ended");
	pb_clear(batch);

	/* The thread is gone: what the drainer frees then is freed now, so an
	 * input leaves little behind (libFuzzer looks for leaks after any input
	 * that did not free what it allocated, which is slow). */
	tc_forget(&tc, c->track.sequence);
	ts_export_forget(c->sink_state);
	ts_exception_forget(c);
	ts_user_forget(c);
	c->active = false;
	ts_fdinfo_reset();
	return 0;
}
