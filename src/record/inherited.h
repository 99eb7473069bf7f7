/* Descriptors the process had before the shim saw a call (stdin, stdout,
 * stderr), described on the program's side and handed to the drain side in
 * TS_REC_FD_INFO records, so it need not ask the process about them. */
#ifndef TS_INHERITED_H
#define TS_INHERITED_H

struct ts_thread;

/* Describes descriptors 0, 1 and 2 as they are now (at start, and in a
 * forked child); the next thread to register carries the description. */
void ts_inherited_describe(void);
/* The lowest of descriptors 0, 1 and 2 that is the same socket as fd (one of
 * them, as described last), or -1: an inetd-style server's stdin and stdout
 * are one connection. */
int ts_inherited_same_socket(int fd);
/* Notes the kind (a socket and its transport, a pipe, a file...) of every
 * other descriptor the process started with, for the wrappers; no record.
 * At the process's start only. */
void ts_inherited_kinds(void);
/* Notes the kind of each descriptor a message received carries
 * (SCM_RIGHTS: a listening socket handed to a worker, say), as of one just
 * made. */
struct msghdr;
void ts_fds_received(const struct msghdr *msg);
/* Appends the description to t's ring if no thread has carried it yet.
 * Async-signal-safe. */
void ts_inherited_record(struct ts_thread *t);

#endif
