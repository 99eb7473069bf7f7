/* Process start-up and shut-down of the tracer. */
#ifndef TS_INIT_H
#define TS_INIT_H

#include <stdbool.h>
#include <stdint.h>

/* Makes sure the tracer is initialised (wrappers can run before the library
 * constructor); returns whether calls should be traced. Lock-free: a call that
 * races an initialisation in progress is simply not traced. */
bool ts_init_for_call(void);

/* True when the run's agent consumes this process's rings (no background
 * thread in the process). */
bool ts_agent_mode(void);

/* The process is ending without running exit handlers (_exit): flush. */
void ts_process_exit(void);

/* True in the process the tracer started in (false in a vfork child, which
 * shares its memory). */
bool ts_own_process(void);
/* exec is about to replace this process: every span so far is ended and
 * written, as at exit. */
void ts_process_exec(void);
/* ...and it failed: tracing goes on where it can, as a new process span in
 * the same trace, child of the exec span. */
void ts_process_exec_failed(uint64_t exec_span);

#include "procinfo.h"

void ts_thread_setup_key(void);

#endif
