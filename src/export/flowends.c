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
/* Ends waiting for their start: only those whose release was lost stay.
 * As many as a busy process's threads may have between their rings'
 * turns (thousands of short threads joined, each end written before the
 * thread's last records), in sets by hash; a full set puts out its oldest,
 * the one least likely to be matched yet. */
#define PENDING_SET_BITS 11
#define PENDING_SETS (1u << PENDING_SET_BITS)
static struct ts_flow_end pending[PENDING_SETS][WAYS];   /* id 0: free */
static uint8_t pending_next[PENDING_SETS];
static unsigned npending, unmatched_at;

static unsigned set_of(uint64_t id)
{
	return (unsigned)(ts_mix64(id) >> (64 - SET_BITS));
}

static struct ts_flow_end *pending_of(uint64_t id)
{
	return pending[ts_mix64(id) >> (64 - PENDING_SET_BITS)];
}

void ts_pf_flow_begun(uint64_t id)
{
	/* A start written after its end (the release's record came later):
	 * the importer orders them by time, the end needs nothing more. */
	if (npending) {
		struct ts_flow_end *ways = pending_of(id);
		for (unsigned w = 0; w < WAYS; w++) {
			if (ways[w].id == id) {
				ways[w].id = 0;
				npending--;
				return;
			}
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
	struct ts_flow_end *set = pending_of(id);
	unsigned set_index = (unsigned)(set - pending[0]) / WAYS;
	for (unsigned w = 0; w < WAYS; w++) {
		if (!set[w].id) {
			set[w] = (struct ts_flow_end){id, ts_ns};
			npending++;
			return false;
		}
	}
	/* Full: the oldest put in goes out (the ways are filled in turn). */
	unsigned w = pending_next[set_index];
	pending_next[set_index] = (uint8_t)((w + 1) % WAYS);
	*evicted = set[w];
	set[w] = (struct ts_flow_end){id, ts_ns};
	return true;
}

bool ts_pf_flow_unmatched(struct ts_flow_end *end)
{
	for (; npending && unmatched_at < PENDING_SETS * WAYS; unmatched_at++) {
		struct ts_flow_end *e = &pending[0][0] + unmatched_at;
		if (e->id) {
			*end = *e;
			e->id = 0;
			npending--;
			return true;
		}
	}
	unmatched_at = 0;
	return false;
}

void ts_pf_flows_reset(void)
{
	if (npending)
		memset(pending, 0, sizeof pending);
	npending = 0;
	unmatched_at = 0;
	memset(pending_next, 0, sizeof pending_next);
	if (any_started) {
		memset(started, 0, sizeof started);
		memset(next_way, 0, sizeof next_way);
	}
	any_started = false;
}
