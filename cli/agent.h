/* The agent's loop (agent.c), for `traceshim agent` and `traceshim run`. */
#ifndef TS_CLI_AGENT_H
#define TS_CLI_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct ts_otlp_ops;

struct ts_agent {
	char dir[4096];
	int lock_fd;
	int keep_fds[3];          /* the agent's own: closed in workers */
	bool stop_when_idle;      /* a detached agent */
	pid_t child;              /* traceshim run: its command, while it runs */
	bool child_started;
	int child_status;
	unsigned end_bound_ms;    /* after the command: how long to wait for workers */
	unsigned long served_total, failed;
	unsigned long forked;     /* worker processes started */
	char module_dir[4096];    /* where libtraceshim-otlp.so is */
	const struct ts_otlp_ops *otlp;   /* the loaded module's, for its relay */
	/* The OTLP relay process (otlprelay.c), 0 while there is none. */
	pid_t relay_pid;
	bool relay_off;           /* it could not load the sender: none is started */
	int relay_ctl;
	uint32_t relay_passed, relay_idle;   /* connections passed; as of its last "idle" */
	bool relay_undelivered;   /* a relay ended with spans it did not deliver */
};

/* Where the OTLP module is: loaded once, here, before the first worker that
 * needs it is forked; its sender (libcurl) is loaded by the relay alone. */
void ts_agent_set_module_dir(struct ts_agent *a, const char *dir);

/* A segment of the run directory (agentdir.c): "p<pid>.<stamp>" and a suffix. */
struct ts_seg_found {
	char name[NAME_MAX + 1];
	long pid;
	unsigned long long stamp;
};
/* The directory's segments, at most max, oldest first (a segment file left
 * half-made long ago by a process that died is removed on the way). */
size_t ts_agent_list_segments(struct ts_agent *a, struct ts_seg_found *list, size_t max);
/* A process that executed a program with the execve system call itself
 * (Go's syscall.Exec) went on without the shim's seeing it: its new image
 * made a segment (later) while its old one still says it lives. When the
 * process is still the one that made old, old's image is over: marked so,
 * ended where later starts, its worker woken (later is served once old's
 * worker is done). */
void ts_agent_end_replaced(struct ts_agent *a, const struct ts_seg_found *old,
			   const struct ts_seg_found *later);

/* Takes the run directory's lock; false when another agent holds it. */
bool ts_agent_lock(struct ts_agent *a);
void ts_agent_unlock(struct ts_agent *a);
/* Writes the agent's pid and its relay's into the lock (for --status). */
void ts_agent_note(struct ts_agent *a);
/* Makes what serving a->dir takes (its signalfd and inotify watch) once the
 * descriptor limit is known to be enough; false, with the reason in why,
 * when the agent cannot serve: traced processes must write their own spans.
 * ts_agent_serve() calls it when it was not called before. */
bool ts_agent_prepare(struct ts_agent *a, char *why, size_t cap);
/* Serves a->dir: until idle (stop_when_idle), until the command is done and
 * its processes' spans are written (child_started), or until SIGTERM. */
int ts_agent_serve(struct ts_agent *a);
/* Workers serving a segment now (idle ones kept for the next are not). */
unsigned ts_agent_workers(void);
/* In a process forked from the agent: closes its copies of the workers'
 * control connections (a worker ends when the agent closes its own). */
void ts_agent_close_workers(void);

/* traceshim agent [--dir DIR] [--detach] [--status] */
int ts_agent_main(int argc, char **argv);
void ts_agent_usage(FILE *to);

#endif
