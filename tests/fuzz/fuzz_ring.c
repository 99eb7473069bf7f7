/* libFuzzer target: garbage in a ring. The input's first 16 bytes say which
 * pool chunk each of the ring's four chunks is (damaged numbers included);
 * the rest is a run of 64-byte records (struct ts_rec, payload slots
 * included), put where a producer would have put them, and read by the
 * drainer's own ring walk (ts_drain_ring): every record type, payload
 * extension, length and chunk number goes through the checks the drainer
 * makes. The walk must stop only at a record that claims more slots than
 * were published, and the trace written must be well formed, the thread's
 * slices all closed once the thread ends. */
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

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNKS 4
#define SLOTS (CHUNKS * TS_CHUNK_RECS)
#define START 40   /* ring position of the first record: inputs cross chunks */

static struct ts_rec chunks[SLOTS];
static _Atomic uint32_t links[CHUNKS];
static struct ts_pool pool;
static struct ts_pool_view view = {&pool, links, chunks, CHUNKS};
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
	/* Which pool chunk each chunk of the ring is: usually the next one,
	 * sometimes a number the pool does not have. */
	uint32_t which[CHUNKS];
	for (unsigned k = 0; k < CHUNKS; k++) {
		uint8_t b = size > k ? data[k] : 0;
		which[k] = b < 0xf0 ? k : (uint32_t)b << 20;
	}
	size_t skip = size < CHUNKS ? size : CHUNKS;
	data += skip;
	size -= skip;
	size_t nrec = (size + TS_REC_SIZE - 1) / TS_REC_SIZE;
	if (nrec > SLOTS - START)
		nrec = SLOTS - START;
	memset(chunks, 0, sizeof chunks);
	memset(&pool, 0, sizeof pool);
	pool.nchunks = CHUNKS;
	atomic_store(&pool.fresh, CHUNKS);   /* all held by the ring */
	atomic_store(&pool.out, CHUNKS);
	for (size_t i = 0; i < nrec; i++) {
		size_t off = i * TS_REC_SIZE, n = size - off < TS_REC_SIZE ? size - off : TS_REC_SIZE;
		memcpy(&chunks[START + i], data + off, n);
	}
	ts_fdinfo_reset();
	/* A new thread each time: the track of the last one is forgotten. */
	memset(&thread, 0, sizeof thread);
	thread.index = next_index++;
	thread.tid = getpid() + 1;
	snprintf(thread.name, sizeof thread.name, "fuzz");
	thread.ring.pool = &view;
	thread.ring.cap = (TS_RING_CHUNKS - 1) * TS_CHUNK_RECS;
	for (unsigned k = 0; k < CHUNKS; k++)
		atomic_store(&thread.ring.table[k], which[k]);
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
		uint32_t k = which[tail / TS_CHUNK_RECS];
		const struct ts_rec *r = &chunks[tail];
		unsigned room = TS_CHUNK_RECS - (unsigned)(tail % TS_CHUNK_RECS);
		bool readable = k < CHUNKS && r->ext < room &&
				(r->type == TS_REC_PAD || r->ext <= TS_PAYLOAD_MAX_SLOTS);
		if (readable && tail + 1 + r->ext <= head)
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
