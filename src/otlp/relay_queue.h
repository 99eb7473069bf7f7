/* The relay's requests and the worker connections they came on
 * (relay_queue.c): filled by the relay's reading loop (relay.c), emptied by
 * its sender thread. */
#ifndef TS_OTLP_RELAY_QUEUE_H
#define TS_OTLP_RELAY_QUEUE_H

#include "relay.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_relay_key;

/* One worker's connection. The reading loop alone reads from it; it is
 * freed once read to its end with nothing of it left to answer. */
struct ts_relay_conn {
	struct ts_relay_conn *next;
	int fd;
	struct ts_relay_key *key;   /* from its HELLO */
	uint32_t seq;               /* DATA messages read */
	unsigned pending;           /* of them queued or in flight */
	bool eof;                   /* read to its end */
	/* The message being read (reading loop only). */
	struct ts_relay_msg hdr;
	size_t got;
	uint8_t *body;
};

/* Starts the sender thread; the agent hears on ctl when nothing is left. */
bool ts_relay_queue_start(int ctl);

/* The reading loop's side; each takes the queue's lock. */
/* The connections to read now (at most cap, into out); their count. */
size_t ts_relay_conns_open(struct ts_relay_conn **out, size_t cap);
/* A new worker connection: fd is the queue's from now on. */
void ts_relay_conn_add(int fd);
/* The whole message c->hdr, c->body was read (the body is taken); false
 * when it is not one a worker sends. */
bool ts_relay_take_message(struct ts_relay_conn *c);
/* c was read to its end (or sent what no worker sends). */
void ts_relay_conn_ended(struct ts_relay_conn *c);
/* The agent ends: everything is given up at end_ms at the latest. */
void ts_relay_bound_all(uint64_t end_ms);
/* The agent closed its side; true once nothing is left to read or send. */
void ts_relay_ctl_ended(void);
bool ts_relay_finished(void);
/* Spans given to the relay and not delivered, so far. */
unsigned long ts_relay_undelivered(void);

#endif
