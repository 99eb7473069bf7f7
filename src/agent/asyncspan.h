/* Spans that may end on another thread than the one that started them
 * (ts_span_start()). Their records come from several rings in any order, so
 * each is kept whole, keyed by handle, until both its start and its end have
 * been read. Then it goes out complete, in Perfetto on one of the process's
 * "async" lanes: the first lane free at its start, so spans never overlap on
 * a lane. Drainer thread only. */
#ifndef TS_ASYNCSPAN_H
#define TS_ASYNCSPAN_H

#include "notes.h"
#include "span.h"

#include <stdbool.h>
#include <stdint.h>

/* A copy of a span's start payload (len bytes), kept with the span: strings
 * unpacked from it are the span's own, with no copy each. NULL when there
 * is no room (the strings are copied then). */
const uint8_t *ts_async_payload(uint64_t handle, const uint8_t *payload, unsigned len);
/* The start: s's strings are copied, unless owned (each in the span's copy
 * of its payload, or a constant). */
void ts_async_begin(uint64_t handle, const struct ts_span *s, bool owned);
/* The end, at ns, with the status the program gave. */
void ts_async_end(uint64_t handle, uint64_t ns, int status);
/* The end of an HTTP span (role TS_USER_CLIENT or TS_USER_SERVER) on
 * connection fd (generation gen, kind), with its peer's address when the
 * process knew it (addr, alen bytes): the span goes out with its peer, at
 * the end of the cycle when the peer is not known yet. */
void ts_async_end_peer(uint64_t handle, uint64_t ns, int status, int fd, uint32_t gen,
		       uint8_t kind, uint8_t role, const uint8_t *addr, unsigned alen);
/* Where notes for the span go; NULL when no room is left. */
struct ts_notes *ts_async_notes(uint64_t handle);
/* The start of the span with this handle, when it has begun and not ended. */
bool ts_async_started(uint64_t handle, uint64_t *start_ns);
/* End of a drain cycle: ends and notes whose start never came are let go
 * (a span of another kind, ended twice, or dropped from a full buffer). */
void ts_async_cycle_end(void);
/* Process end: spans still open end at end_ns. Returns how many spans
 * found no room. */
uint64_t ts_async_end_all(uint64_t end_ns);
void ts_async_after_fork(void);
/* Frees every span and lane (and their exporter states). */
void ts_async_reset(void);

#endif
