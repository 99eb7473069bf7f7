/* The run directory (see rundir.c). */
#ifndef TS_RUNDIR_H
#define TS_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>

#define TS_AGENT_LOCK "agent.lock"

/* TRACESHIM_RUN_DIR when set (it must be absolute), else the user's default. */
bool ts_rundir_path(char *out, size_t cap);
/* The user's default: /dev/shm/traceshim-UID, $XDG_RUNTIME_DIR/traceshim or
 * /tmp/traceshim-UID. */
bool ts_rundir_default(char *out, size_t cap);
/* Makes dir (mode 0700) when asked, then checks it is a directory of the
 * effective user that no one else may enter; the reason in `why` if not. */
bool ts_rundir_usable(const char *dir, bool create, char *why, size_t cap);

#endif
