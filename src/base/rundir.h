/* The run directory (see rundir.c). */
#ifndef TS_RUNDIR_H
#define TS_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* The layout of a segment (segment.h, arena.h, ring.h, and the ops of
 * ops.h records name): any change to it
 * changes this, so an agent only ever reads segments of its own layout (an
 * older agent still running serves older processes, under other names). */
#define TS_SEG_FORMAT "11"
#define TS_SEG_SUFFIX ".v" TS_SEG_FORMAT ".seg"
#define TS_AGENT_LOCK "agent.v" TS_SEG_FORMAT ".lock"
/* `traceshim agent --detach` could not serve the directory (too few file
 * descriptors, say): the process that started it writes its own spans. */
#define TS_AGENT_EXIT_CANNOT_SERVE 3

/* "p<pid>.<stamp>" TS_SEG_SUFFIX: a segment of this layout. */
static inline bool ts_rundir_is_segment(const char *name)
{
	size_t len = 0, sl = sizeof TS_SEG_SUFFIX - 1;
	while (name[len])
		len++;
	if (name[0] != 'p' || len <= sl)
		return false;
	for (size_t i = 0; i < sl; i++)
		if (name[len - sl + i] != TS_SEG_SUFFIX[i])
			return false;
	return true;
}

/* A segment's pid and stamp (BOOTTIME ns when it was made) from its name. */
static inline bool ts_rundir_segment_of(const char *name, long *pid, unsigned long long *stamp)
{
	char *end;
	if (!ts_rundir_is_segment(name))
		return false;
	*pid = strtol(name + 1, &end, 10);
	if (*end != '.')
		return false;
	*stamp = strtoull(end + 1, &end, 10);
	return *end == '.';
}

/* TRACESHIM_RUN_DIR when set (it must be absolute), else the user's default. */
bool ts_rundir_path(char *out, size_t cap);
/* The user's default: /dev/shm/traceshim-UID, $XDG_RUNTIME_DIR/traceshim or
 * /tmp/traceshim-UID. */
bool ts_rundir_default(char *out, size_t cap);
/* Makes dir (mode 0700) when asked, then checks it is a directory of the
 * effective user that no one else may enter; the reason in `why` if not. */
bool ts_rundir_usable(const char *dir, bool create, char *why, size_t cap);

/* What the agent holding a run directory's lock says of itself there. */
struct ts_agent_seen {
	long pid;
	unsigned long long pidns;    /* its PID namespace (inode), 0 unknown */
};
/* True when an agent holds dir's lock (the lock file is made when create);
 * what it says of itself in *seen when seen is not NULL. */
bool ts_rundir_agent(const char *dir, bool create, struct ts_agent_seen *seen);
/* The calling process's PID namespace (its inode), 0 when /proc does not say. */
unsigned long long ts_rundir_pidns(void);

#endif
