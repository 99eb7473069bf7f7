/* Waits for child processes as spans (waitwrap.h): waitpid, wait, wait4
 * and waitid, with the pid waited for, the child reaped and how it ended.
 * A status the caller does not ask for (NULL) is read into one of the
 * wrapper's own: the kernel does the same either way. The shim's own waits
 * (system() and pclose() waiting for their child, spawn.c) are system
 * calls of its own (rawsys.h) and never come here. */
#include "waitwrap.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* How a wait status changed: the record's aux_kind and aux2. */
static void child_status(struct ts_wait_info *w, pid_t got, const int *status)
{
	if (got <= 0)
		return;   /* *status was not written (EFAULT: it cannot be) */
	int st = *status;
	w->aux = (uint32_t)got;
	if (WIFEXITED(st)) {
		w->aux_kind = TS_WAIT_CHILD_EXITED;
		w->aux2 = (uint32_t)WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		w->aux_kind = TS_WAIT_CHILD_KILLED;
		w->aux2 = (uint32_t)WTERMSIG(st);
	} else if (WIFSTOPPED(st)) {
		w->aux_kind = TS_WAIT_CHILD_STOPPED;
		w->aux2 = (uint32_t)WSTOPSIG(st);
	} else if (WIFCONTINUED(st)) {
		w->aux_kind = TS_WAIT_CHILD_CONTINUED;
	}
}

TS_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	TS_REAL(waitpid, -1);
	int own = 0, *st = status ? status : &own;
	TS_WAIT_BODY(TS_OP_WAITPID, real(pid, st, options),
		     (w_.arg = (uint64_t)(int64_t)pid, child_status(&w_, r_, st)));
}

TS_EXPORT pid_t wait(int *status)
{
	TS_REAL(wait, -1);
	int own = 0, *st = status ? status : &own;
	TS_WAIT_BODY(TS_OP_WAIT, real(st),
		     (w_.arg = (uint64_t)(int64_t)-1, child_status(&w_, r_, st)));
}

TS_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	TS_REAL(wait4, -1);
	int own = 0, *st = status ? status : &own;
	TS_WAIT_BODY(TS_OP_WAIT4, real(pid, st, options, ru),
		     (w_.arg = (uint64_t)(int64_t)pid, child_status(&w_, r_, st)));
}

/* The id waited for, as waitpid would name it. */
static int64_t waitid_pid(idtype_t type, id_t id)
{
	return type == P_PID ? (int64_t)id : type == P_PGID ? -(int64_t)id : -1;
}

static void waitid_status(struct ts_wait_info *w, int r, const siginfo_t *si)
{
	if (r != 0 || si->si_pid <= 0)
		return;
	w->aux = (uint32_t)si->si_pid;
	w->aux2 = (uint32_t)si->si_status;
	switch (si->si_code) {
	case CLD_EXITED: w->aux_kind = TS_WAIT_CHILD_EXITED; break;
	case CLD_KILLED: case CLD_DUMPED: w->aux_kind = TS_WAIT_CHILD_KILLED; break;
	case CLD_STOPPED: case CLD_TRAPPED: w->aux_kind = TS_WAIT_CHILD_STOPPED; break;
	case CLD_CONTINUED: w->aux_kind = TS_WAIT_CHILD_CONTINUED; break;
	default: break;
	}
}

TS_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	TS_REAL(waitid, -1);
	/* With WNOHANG and no child ready, si_pid is left as it was: zeroed
	 * here when the info is the wrapper's own. */
	siginfo_t own = {0}, *si = info ? info : &own;
	TS_WAIT_BODY(TS_OP_WAITID, real(type, id, si, options),
		     (w_.arg = (uint64_t)waitid_pid(type, id), waitid_status(&w_, r_, si)));
}
