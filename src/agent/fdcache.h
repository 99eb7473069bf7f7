/* What the drainer knows of each descriptor generation (fdinfo.h fills it):
 * records name a descriptor by number and generation, and the drainer reads
 * the rings one thread after another, not in time order, so a thread's
 * records about an older generation of a number may come after another
 * thread's about a newer one. Each generation keeps its own description. */
#ifndef TS_FDCACHE_H
#define TS_FDCACHE_H

#include "fdinfo.h"

#include <stdbool.h>
#include <stdint.h>

/* The description of fd's generation gen; NULL when none was stored (or it
 * has been forgotten to make room). Valid until the next store. */
const struct ts_fdinfo *ts_fdcache_find(int fd, uint32_t gen);
/* Stores info as fd's generation gen, replacing what that generation had,
 * and returns the stored copy (NULL: fd out of range, or out of memory). */
const struct ts_fdinfo *ts_fdcache_store(int fd, uint32_t gen, const struct ts_fdinfo *info);
/* A generation of fd newer than gen has been stored: fd no longer is gen. */
bool ts_fdcache_newer_seen(int fd, uint32_t gen);
void ts_fdcache_reset(void);
/* Child after fork: forgets everything without touching the parent's memory. */
void ts_fdcache_after_fork(void);

#endif
