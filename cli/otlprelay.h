/* The agent's OTLP relay (otlprelay.c): one process that posts the spans of
 * every worker exporting over OTLP, over one keep-alive connection. */
#ifndef TS_CLI_OTLPRELAY_H
#define TS_CLI_OTLPRELAY_H

#include "agent.h"

#include <stdbool.h>
#include <stdint.h>

/* A connection to the relay for the worker about to be forked (its end; the
 * agent closes it once the worker is forked), starting the relay first if
 * there is none; -1 when there can be none: the worker posts itself.
 * seg_fd is the segment's descriptor, not to be kept by the relay. */
int ts_relay_connect(struct ts_agent *a, int seg_fd);
/* True while the relay has connections or requests left. */
bool ts_relay_busy(const struct ts_agent *a);
/* What to poll for the relay's reports (-1: none); read them when it is readable. */
int ts_relay_ctl(const struct ts_agent *a);
void ts_relay_read(struct ts_agent *a);
/* A child ended: true when it was the relay. */
bool ts_relay_reaped(struct ts_agent *a, pid_t pid, int status);
/* The agent is ending: what the relay holds now is given up at cutoff_ms
 * (CLOCK_MONOTONIC); waits for it to leave until then, unless !wait. A relay
 * still serving workers that outlive the agent goes on with them. */
void ts_relay_end(struct ts_agent *a, uint64_t cutoff_ms, bool wait);

#endif
