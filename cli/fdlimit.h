/* The agent's descriptor limit (fdlimit.c): an agent holds a descriptor per
 * worker, and a worker several per process it serves, so it must not run on
 * the few a traced program may have been started with. */
#ifndef TS_CLI_FDLIMIT_H
#define TS_CLI_FDLIMIT_H

#include <stdbool.h>
#include <sys/resource.h>

/* Fewer than this, and the agent does not serve: traced processes write
 * their own spans instead. */
#define TS_AGENT_MIN_FDS 64

/* Raises this process's soft RLIMIT_NOFILE to its hard limit (the agent is a
 * process of its own: the program it serves keeps its limits). The limits it
 * had are left in *was when was is not NULL. Returns the soft limit now. */
unsigned long ts_fdlimit_raise(struct rlimit *was);
/* The soft limit now. */
unsigned long ts_fdlimit_now(void);

#endif
