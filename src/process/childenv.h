/* The environment a child process is started with: the trace context of the
 * span that starts it (TRACEPARENT, TRACESTATE) and, while following is on,
 * what it takes to trace it too (LD_PRELOAD and the TRACESHIM_* / OTEL_*
 * settings this process started with), also when the program passes an
 * environment of its own that lacks them. */
#ifndef TS_CHILDENV_H
#define TS_CHILDENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records what children inherit: the library's path and the settings in the
 * environment now. Called once at start-up. */
void ts_childenv_init(void);

/* A copy of envp (NULL: empty) for a child started by span `span_id` (0: no
 * span, the context in envp is left as it is), in one malloc'd block for
 * free(); NULL when out of memory (pass envp as is). */
char **ts_childenv(char *const envp[], uint64_t span_id);
/* The same in a block of ts_childenv_size(envp) bytes the caller provides
 * (a vfork child must not allocate: the heap is its parent's). */
size_t ts_childenv_size(char *const envp[]);
char **ts_childenv_in(char *const envp[], uint64_t span_id, void *block);

/* True once ts_childenv_init() ran (tracing was set up in this process, even
 * if it is off now, as in a child when following is off). */
bool ts_childenv_ready(void);

/* For tests: what ts_childenv_init() would find. follow: TRACESHIM_FOLLOW;
 * lib: the library's path; settings: NULL-terminated "NAME=value" strings. */
void ts_childenv_setup(bool follow, const char *lib, char *const settings[]);

#endif
