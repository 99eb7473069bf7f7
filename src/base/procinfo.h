/* The traced process as the consumer of its records sees it: its ids, its
 * program, how it started and how it ended. In the process itself these are
 * read from the process; an agent's worker sets them from the process's
 * segment, so the same drain code serves both. */
#ifndef TS_PROCINFO_H
#define TS_PROCINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

pid_t ts_proc_pid(void);
pid_t ts_proc_ppid(void);
/* The executable's path ("" when unknown). */
const char *ts_proc_exe(void);
/* This image's executable into buf ("" when unknown): read from /proc once
 * per image, async-signal-safe. */
void ts_proc_self_exe(char *buf, size_t cap);
/* The command line, NUL-separated as /proc/PID/cmdline; its length in *len. */
const char *ts_proc_args(size_t *len);

/* A worker consuming another process's records: these values from now on
 * (pid 0: this process's own again). */
void ts_proc_set(pid_t pid, pid_t ppid, const char *exe, const char *args, size_t args_len);

/* How the process is ending, for the process span: -1 not known yet, an exit
 * code (0-255), or TS_EXIT_SIGNAL | the number of the signal that ends it. The
 * last one set wins (an atexit handler may call _exit with another code). */
#define TS_EXIT_SIGNAL 0x100
void ts_set_exit_status(int status);
int ts_exit_status(void);
/* Set by the process itself only: a vfork child shares its memory. A
 * forked child sets itself as owner with the parent it was forked by: that
 * is its parent pid from then on, even once the parent has exited (a
 * daemon's double fork) and getppid() says the reaper. */
void ts_proc_set_owner(pid_t pid);
void ts_proc_forked(pid_t pid, pid_t parent);

/* Ticks when the process span began. */
extern uint64_t ts_process_start_ticks;

#endif
