/* The descriptors `traceshim run` was given beyond stdin, stdout and stderr
 * (its caller's, for the command to inherit). The processes run forks for
 * itself (the workers, the OTLP relay) close them: a worker can outlive the
 * command, and must not hold its caller's pipe open. */
#ifndef TS_CALLERFDS_H
#define TS_CALLERFDS_H

/* Notes them; called first thing, before run opens anything. */
void ts_callerfds_note(void);
/* In a child run forked for itself: closes them. */
void ts_callerfds_close(void);

#endif
