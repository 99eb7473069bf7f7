/* Trace and span identifiers (W3C trace context): random per process, span ids
 * derived from (thread index, span sequence) so the hot path stores two small
 * integers and the drainer computes the 64-bit id. */
#ifndef TS_IDS_H
#define TS_IDS_H

#include <stddef.h>
#include <stdint.h>

struct ts_ids {
	uint8_t trace_id[16];
	uint64_t seed;          /* mixes every span id of this process */
	uint64_t start_ns;      /* process start, BOOTTIME: part of track uuids */
};

extern struct ts_ids ts_ids;

/* Fills trace id and seed from getrandom(), with a time/pid fallback. */
void ts_ids_init(void);
/* A new seed (span ids, track uuids) in the same trace: a forked child. */
void ts_ids_reseed(void);

/* A bijective 64-bit mixer (splitmix64 finaliser). */
static inline uint64_t ts_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Span id of span number `seq` of thread `index` (index 0 is the process).
 * Never 0. Inline: the drainer makes two for every span. */
static inline uint64_t ts_span_id(uint32_t index, uint32_t seq)
{
	uint64_t id = ts_mix64(ts_ids.seed ^ (((uint64_t)index << 32) | seq));
	return id ? id : 1;
}

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void ts_hex(const uint8_t *bytes, size_t n, char *out);

/* W3C traceparent "00-<trace>-<span>-<flags>" (56 bytes incl. NUL). */
void ts_traceparent_format(const uint8_t trace_id[16], uint64_t span_id, uint8_t flags,
			   char out[56]);

#endif
