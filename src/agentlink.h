/* The traced process's tie to its agent: the agent of the run directory is
 * found by the lock it holds, or started (`traceshim agent`, fully detached)
 * when there is none. Nothing stays open in the program afterwards. */
#ifndef TS_AGENTLINK_H
#define TS_AGENTLINK_H

#include <stdbool.h>
#include <stddef.h>

/* Fills dir with the run directory; true when an agent serves it (found or
 * started). False means the in-process writer must do the work. */
bool ts_agent_link(char *dir, size_t cap);

#endif
