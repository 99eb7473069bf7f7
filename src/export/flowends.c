/* Arrows inside a process whose start may never be written (see
 * flowends.h). */
#include "flowends.h"

#include "ids.h"
#include "perfetto.h"

#include <stdbool.h>
#include <string.h>

/* The starts written, in sets of WAYS by hash, each set first in first
 * out: a start is forgotten only after WAYS later ones fell in its set,
 * far more than are written before a wait's end, its wake's often coming
 * a few records later. */
#define SET_BITS 11
#define SETS (1u << SET_BITS)
#define WAYS 8

static uint64_t started[SETS][WAYS];   /* 0: free */
static uint8_t next_way[SETS];
static bool any_started;
/* Ends waiting for their start: only those whose release was lost stay. */
#define PENDING_MAX 256
static struct {
	uint64_t id, ts;
} pending[PENDING_MAX];
static unsigned npending;
static const struct ts_track *proc;

static unsigned set_of(uint64_t id)
{
	return (unsigned)(ts_mix64(id) >> (64 - SET_BITS));
}

void ts_pf_flows_process(const struct ts_track *p)
{
	proc = p;
}

/* Writes the start of pending[i]'s flow and drops the entry. */
static void give_start(unsigned i)
{
	uint64_t id = pending[i].id, ts = pending[i].ts;
	pending[i] = pending[--npending];
	if (proc)
		ts_pf_instant(proc, ts ? ts - 1 : 0, "flow start not recorded", false, NULL, id);
}

void ts_pf_flow_begun(uint64_t id)
{
	/* A start written after its end (the release's record came later):
	 * the importer orders them by time, the end needs nothing more. */
	for (unsigned i = 0; i < npending; i++) {
		if (pending[i].id == id) {
			pending[i] = pending[--npending];
			return;
		}
	}
	unsigned set = set_of(id);
	started[set][next_way[set]] = id;
	next_way[set] = (uint8_t)((next_way[set] + 1) % WAYS);
	any_started = true;
}

void ts_pf_flow_ended(const struct ts_track *track, uint64_t id, uint64_t ts_ns)
{
	if (!track->tid)
		return;   /* a process's or a lane's: its start may be another process's */
	uint64_t *ways = started[set_of(id)];
	for (unsigned w = 0; w < WAYS; w++) {
		if (ways[w] == id) {
			ways[w] = 0;
			return;
		}
	}
	if (npending == PENDING_MAX)
		give_start(0);
	pending[npending].id = id;
	pending[npending].ts = ts_ns;
	npending++;
}

void ts_pf_flows_close(void)
{
	while (npending)
		give_start(npending - 1);
	if (any_started) {
		memset(started, 0, sizeof started);
		memset(next_way, 0, sizeof next_way);
	}
	any_started = false;
}

void ts_pf_flows_after_fork(void)
{
	npending = 0;
	proc = NULL;
	if (any_started) {
		memset(started, 0, sizeof started);
		memset(next_way, 0, sizeof next_way);
	}
	any_started = false;
}
