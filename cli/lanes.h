/* Lane packing for spans received over OTLP: Perfetto nests slices per
 * track by time, so spans that overlap without nesting (concurrent children,
 * async work) must go to different tracks. Each span gets the first lane
 * where it nests inside what is open there, less than TS_LANE_MAX_DEPTH deep
 * (Perfetto drops slices 512 deep), or a new lane. Only the first
 * TS_LANES_SCANNED lanes are looked at, which keeps hostile input (a
 * staircase of overlapping spans) from costing time quadratic in spans. */
#ifndef TS_LANES_H
#define TS_LANES_H

#include <stddef.h>
#include <stdint.h>

#define TS_LANE_MAX_DEPTH 500
#define TS_LANES_SCANNED 256

struct ts_interval {
	uint64_t start, end;
	size_t lane;          /* output */
};

/* Assigns a lane to every interval; returns the number of lanes, or 0 when
 * memory ran out. Intervals are taken in start order (ties: longer first),
 * so the caller's array order does not matter; it is not reordered. */
size_t ts_pack_lanes(struct ts_interval *iv, size_t n);

#endif
