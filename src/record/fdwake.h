/* Which write woke a poll: a small per-process table, keyed by descriptor
 * number, of the readable ends of pipes and eventfds the program made
 * (pipe(): its write end points at its read end; an eventfd is both), of
 * how many polls of them are in progress, and of the first write that came
 * while one was (the writing thread's index and span number, packed in one
 * word). A poll that returns with such a descriptor readable links to that
 * write: a Perfetto flow, an OTLP span link. Writes pay one relaxed load
 * while no poll of a known descriptor is in progress in the process. Only
 * the descriptors made by pipe, pipe2 and eventfd themselves (not their
 * duplicates) below TS_FDWAKE_MAX take part. */
#ifndef TS_FDWAKE_H
#define TS_FDWAKE_H

#include "fdkind.h"
#include "ops.h"
#include "registry.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TS_FDWAKE_MAX 1024

/* Polls of known descriptors in progress, process-wide (the writers' test). */
extern _Atomic uint32_t ts_fdwake_polling;
/* Some descriptor was made known (the pollers' test). */
extern _Atomic uint32_t ts_fdwake_known;

static inline bool ts_fdwake_any_polling(void)
{
	return __builtin_expect(atomic_load_explicit(&ts_fdwake_polling, memory_order_relaxed) != 0, 0);
}

static inline bool ts_fdwake_any_known(void)
{
	return __builtin_expect(atomic_load_explicit(&ts_fdwake_known, memory_order_relaxed) != 0, 0);
}

/* pipe()/pipe2() made (rfd, wfd); eventfd() made fd (both ends at once). */
void ts_fdwake_pipe(int rfd, int wfd);
void ts_fdwake_eventfd(int fd);

/* A poll is about to wait for fd to become readable: true when fd is a
 * known readable end, which is then registered (ts_fdwake_leave after). */
bool ts_fdwake_enter(int fd);
/* The poll is over; readable: it said fd is readable. Returns the waking
 * write as (thread index + 1) << 32 | span number, or 0 when none. */
uint64_t ts_fdwake_leave(int fd, bool readable);

/* A write on fd is about to be made by thread t as its next span: when fd
 * is the write end of a known descriptor a poll waits on, and no write
 * came first, it is noted as the waking one. Returns the word noted (and
 * the readable end in *rfd), to be taken back with ts_fdwake_retract when
 * the write failed; 0 when nothing was noted. */
uint64_t ts_fdwake_post(int fd, const struct ts_thread *t, int *rfd);
void ts_fdwake_retract(int rfd, uint64_t word);

#endif
