/* Recording blocking waits (family wait) and the releases that end them:
 * called by the wrappers of interpose/sync.c and interpose/syncwait.c on
 * their slow path only, once a call has blocked. */
#ifndef TS_RECORDWAIT_H
#define TS_RECORDWAIT_H

#include "ops.h"
#include "registry.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What a wait was on and how it ended. */
struct ts_wait {
	const void *addr;       /* the object waited on */
	bool counted;           /* counted in addr's wake slot (ts_wake_enter) */
	uint64_t before;        /* ts_wake_enter()'s word */
	uint32_t who;           /* a mutex's owner tid when the wait began, a joined thread's tid */
	uint32_t joined_index;  /* a join: the joined thread's index (0: not traced) */
	int64_t timeout_ms;     /* -1: untimed */
	int err;                /* 0: got it / woken; else the error number (ETIMEDOUT...) */
};

/* A wait of op from t0 to t1 (ticks): leaves the object's wake slot and, when
 * it lasted at least TRACESHIM_WAIT_MIN_US, records a span saying who woke
 * it. Keeps errno. */
void ts_record_wait(struct ts_thread *t, enum ts_op op, const struct ts_wait *w, uint64_t t0,
		    uint64_t t1);

/* A release of addr by op while a waiter is counted on it: takes the span
 * number and publishes it (ts_wake_publish) before the real call. */
uint32_t ts_wake_begin(struct ts_thread *t, const void *addr);
/* ...and records the release's span once the real call returned err. */
void ts_record_wake(struct ts_thread *t, enum ts_op op, const void *addr, uint32_t span, int err,
		    uint64_t t0, uint64_t t1);

/* Milliseconds from now (clock `clock`) to abstime, 0 when past; -1 when
 * abstime is NULL. */
int64_t ts_wait_timeout_ms(clockid_t clock, const struct timespec *abstime);

#endif
