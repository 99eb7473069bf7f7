/* vfork's side of the process wrappers (see vfork.c). */
#ifndef TS_VFORK_H
#define TS_VFORK_H

#include "ops.h"

#include <stdint.h>
#include <sys/types.h>

/* fork with its span (spawn.c); also vfork where it runs as fork. */
pid_t ts_traced_fork(enum ts_op op);

/* In a vfork child: the id of the parent's vfork span, the span that
 * starts whatever the child execs (0: none). */
uint64_t ts_vfork_span_id(void);

#endif
