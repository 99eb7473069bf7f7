/* The wrappers' side of the descriptor generations (fdkind.h): a descriptor
 * number starts to refer to something new. */
#ifndef TS_FDSTATE_H
#define TS_FDSTATE_H

#include "fdkind.h"
#include "registry.h"
#include "vforkstate.h"

#include <stdint.h>

static inline uint32_t ts_fd_made_kind(int fd, uint8_t kind)
{
	if ((unsigned)fd >= TS_FDGEN_MAX)
		return 0;
	/* A vfork child's descriptors are not the parent's, nor are those of
	 * the shim's background thread (a table of its own, fdtable.h). */
	if (ts_vfork_child() || ts_tls.muted)
		return (uint32_t)ts_fd_state(fd);
	uint64_t old = atomic_load_explicit(&ts_fdstate[fd], memory_order_relaxed), next;
	do {
		next = ((uint64_t)kind << 32) | (uint32_t)(old + 1);
	} while (!atomic_compare_exchange_weak_explicit(&ts_fdstate[fd], &old, next,
							memory_order_relaxed, memory_order_relaxed));
	return (uint32_t)next;
}

static inline uint32_t ts_fd_changed(int fd)
{
	return ts_fd_made_kind(fd, 0);
}

static inline uint32_t ts_fd_made(int fd, int type, int transport)
{
	return ts_fd_made_kind(fd, ts_fd_kind(type, transport));
}

#endif
