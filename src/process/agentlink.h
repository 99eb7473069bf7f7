/* The traced process's tie to its agent: the agent of the run directory is
 * found by the lock it holds, or started (`traceshim agent`, fully detached)
 * when there is none. Nothing stays open in the program afterwards. */
#ifndef TS_AGENTLINK_H
#define TS_AGENTLINK_H

#include <stdbool.h>
#include <stddef.h>

/* Fills dir with the run directory (TRACESHIM_RUN_DIR or the user's), made
 * if needed; false (said once) when it is not usable. */
bool ts_agent_dir(char *dir, size_t cap);
/* True when the agent holding dir is in another PID namespace than this
 * process (a container's, unshare -p's): the pids this process would give
 * it are not the ones it sees, so it could not watch this process. */
bool ts_agent_elsewhere(const char *dir);
/* True when an agent serves dir (found, or started now). False means the
 * in-process writer must do the work. Call it once this process's segment
 * is in dir: an agent that is about to leave looks for segments after it
 * lets go of its lock. */
bool ts_agent_ensure(const char *dir);

#endif
