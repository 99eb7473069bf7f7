/* The background thread's own descriptor table. The thread takes it first
 * thing, holding none of the program's descriptors; what it opens there
 * (the trace file, the OTLP exporter's sockets, /proc and summary files)
 * the program never sees in /proc/self/fd, never closes, dup2()s over or
 * gets the number of, and never passes on at exec. The program's
 * descriptors are reached from there through a pidfd. */
#ifndef TS_FDTABLE_H
#define TS_FDTABLE_H

#include <stdbool.h>

/* Gives the calling thread a table of its own. False when the kernel or a
 * sandbox refuses (the table stays the program's). borrow: the program's
 * descriptors may be reached through a pidfd. */
bool ts_fd_table_private(bool borrow);

/* On the background thread's own table, when a descriptor it needs could not
 * be had for the descriptor limit (EMFILE: a program started with a limit of
 * a few): gives up a filler of the table, so one more can be opened. False
 * when there is none to give up. */
bool ts_fd_make_room(void);
/* True on the thread that has a table of its own. */
bool ts_fd_private(void);

/* The program's descriptor fd as one this thread can use: fd itself on the
 * program's threads; on the background thread a duplicate, or -1 when none
 * can be had (pidfd_getfd needs Linux 5.6, and a sandbox may refuse it).
 * Hand it back with ts_fd_give_back(). */
int ts_fd_borrow(int fd);
/* An agent's worker: the program is process pid, and its descriptors are
 * borrowed from there (a pidfd; -1 when it cannot be had: then only what
 * /proc/<pid>/fd says is known). stderr stays the worker's own. */
void ts_fd_borrow_from(int pid);
/* The program's stderr, to write to: as ts_fd_borrow(2), else reopened
 * through /proc (a terminal, pipe or file; not a socket). -1 when
 * descriptor 2 is no longer the file it was at the start (noted by
 * ts_fd_note_stderr()): a program that closed it and opened a file that got
 * number 2 (a daemon, a test harness) never finds the shim's lines there. */
int ts_fd_stderr(void);
void ts_fd_note_stderr(void);
void ts_fd_give_back(int local);

#endif
