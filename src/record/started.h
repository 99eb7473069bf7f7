/* Whether the tracer has started in this process. The process's start-up
 * (process/init.c) starts it, on the first traced call or in the library
 * constructor, whichever comes first; the recording side only asks. */
#ifndef TS_STARTED_H
#define TS_STARTED_H

#include <stdbool.h>

enum ts_start_state { TS_START_NONE, TS_START_RUNNING, TS_START_DONE };
extern _Atomic int ts_start_state;

/* Whether calls are traced now: start-up is done and tracing is on. A call
 * that comes while start-up runs (lock-free: another thread's, or one made
 * by start-up itself) is not traced. */
bool ts_init_for_call(void);

#endif
