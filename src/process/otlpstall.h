/* One wait for a receiver that does not answer, per run, with the
 * in-process writer: each process waits at exit for its last spans to be
 * sent, and a tree of many short processes would wait that long for each
 * (with an agent, its relay waits once for all). A process whose last
 * spans were not all sent by its bound leaves a mark in the run directory
 * (one per endpoint); for a minute after, the processes that end give the
 * receiver only a short grace. A process that sends everything removes it. */
#ifndef TS_OTLPSTALL_H
#define TS_OTLPSTALL_H

#include <stddef.h>
#include <stdint.h>

/* The time (monotonic ms) the exit's export may last, given its bound. */
uint64_t ts_otlp_stall_deadline(uint64_t deadline_ms);
/* How many spans the exit's export did not send (failed, or left). */
void ts_otlp_stall_outcome(size_t left);

#endif
