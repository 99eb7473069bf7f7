/* Arrows inside a process whose start may never be written (see
 * flowends.h). */
#include "flowends.h"

#include "ids.h"

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
static struct ts_flow_end pending[PENDING_MAX];
static unsigned npending;

static unsigned set_of(uint64_t id)
{
	return (unsigned)(ts_mix64(id) >> (64 - SET_BITS));
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

bool ts_pf_flow_ended(const struct ts_track *track, uint64_t id, uint64_t ts_ns,
		      struct ts_flow_end *evicted)
{
	if (!track->tid)
		return false;   /* a process's or a lane's: its start may be another process's */
	uint64_t *ways = started[set_of(id)];
	for (unsigned w = 0; w < WAYS; w++) {
		if (ways[w] == id) {
			ways[w] = 0;
			return false;
		}
	}
	bool full = npending == PENDING_MAX;
	if (full)
		ts_pf_flow_unmatched(evicted);
	pending[npending].id = id;
	pending[npending].ts = ts_ns;
	npending++;
	return full;
}

bool ts_pf_flow_unmatched(struct ts_flow_end *end)
{
	if (!npending)
		return false;
	npending--;
	end->id = pending[npending].id;
	end->ts = pending[npending].ts;
	return true;
}

void ts_pf_flows_reset(void)
{
	npending = 0;
	if (any_started) {
		memset(started, 0, sizeof started);
		memset(next_way, 0, sizeof next_way);
	}
	any_started = false;
}
