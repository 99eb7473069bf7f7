/* The exporter thread of the OTLP module: a bounded queue of span batches,
 * each encoded and POSTed as one request on the module's own thread (in an
 * agent's worker, handed to the agent's relay: relay.h), so neither the
 * program nor the drainer ever waits for the network. */
#ifndef TS_OTLP_EXPORTER_H
#define TS_OTLP_EXPORTER_H

#include "batch.h"
#include "module.h"

#include <stdbool.h>
#include <stdint.h>

struct ts_otlp_send_ops;

/* send: the sender module's table, or NULL in an agent's worker, whose
 * requests go to core->relay_fd. */
void ts_exporter_init(const struct ts_core_api *core, const struct ts_otlp_send_ops *send);
/* Queues b (the queue owns it from now on). When the queue holds
 * OTEL_BSP_MAX_QUEUE_SIZE spans already, b is dropped and counted, except
 * at exit: the last batches carry the process span and the drop counts. */
void ts_exporter_push(struct ts_batch *b, bool at_exit);
/* Waits until everything queued is sent or given up, or deadline_ms
 * (CLOCK_MONOTONIC) passes; a request in flight is cut short then. Returns
 * how many spans were still queued. */
size_t ts_exporter_drain(uint64_t deadline_ms);
/* Spans dropped because the queue was full, and spans whose request failed. */
uint64_t ts_exporter_dropped(void);
uint64_t ts_exporter_failed(void);
/* Child after fork: the parent's queue, thread and connection are left behind. */
void ts_exporter_after_fork(void);

#endif
