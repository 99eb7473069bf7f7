/* The process whose records the drain side reads. In the fallback writer
 * thread that is the process the drain side runs in; a consumer in another
 * process names it, so that what it still asks the kernel about (a
 * descriptor no record described) is the traced process's, not its own. */
#ifndef TS_TARGET_H
#define TS_TARGET_H

#include <sys/types.h>

/* The traced process's pid: getpid() unless ts_target_set_pid() said
 * otherwise. */
pid_t ts_target_pid(void);
/* A consumer in another process: the records are pid's (0: back to getpid()). */
void ts_target_set_pid(pid_t pid);

#endif
