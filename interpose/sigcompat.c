/* The program's other calls that set a signal's disposition: signal() and
 * glibc's older ways (sigset, bsd_signal, sysv_signal, ssignal, sigignore,
 * siginterrupt), which inside glibc call its own sigaction, not the
 * program's. Each is made here of the calls it stands for, through the
 * shim's table (signal.c), so that what sigaction() reads back, saves and
 * restores is what the program set. None calls the exported sigaction: a
 * library preloaded before this one (the JVM's libjsig) may hold that
 * symbol and take a lock around its call to ours. */
#include "sigtable.h"
#include "wrap.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>

/* Sets handler with flags (and sig itself in the mask, with `self`); the
 * handler there was, or SIG_ERR. */
static __sighandler_t set_handler(int sig, __sighandler_t handler, int flags, bool self)
{
	struct sigaction act, old;
	if (sig <= 0 || sig >= NSIG || handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	memset(&act, 0, sizeof act);
	act.sa_handler = handler;
	sigemptyset(&act.sa_mask);
	if (self)
		sigaddset(&act.sa_mask, sig);
	act.sa_flags = flags;
	if (ts_program_sigaction(sig, &act, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* glibc's signal(): BSD semantics, the signal blocked in its handler. */
static __sighandler_t signal_bsd(int sig, __sighandler_t handler)
{
	return set_handler(sig, handler, SA_RESTART, true);
}

TS_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	return signal_bsd(sig, handler);
}

/* System V semantics: reset to the default when delivered, not blocked in
 * its handler, no restart. */
static __sighandler_t signal_sysv(int sig, __sighandler_t handler)
{
	return set_handler(sig, handler, SA_RESETHAND | SA_NODEFER, false);
}

TS_EXPORT __sighandler_t __sysv_signal(int sig, __sighandler_t handler)
{
	return signal_sysv(sig, handler);
}

TS_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
	return signal_sysv(sig, handler);
}

TS_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
	return signal_bsd(sig, handler);
}

TS_EXPORT __sighandler_t ssignal(int sig, __sighandler_t handler)
{
	return signal_bsd(sig, handler);
}

/* The signal's disposition, or SIG_HOLD (blocked): POSIX's sigset(). */
TS_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
	if (sig <= 0 || sig >= NSIG || disp == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigset_t one, before;
	sigemptyset(&one);
	sigaddset(&one, sig);
	struct sigaction act, old;
	if (disp == SIG_HOLD) {
		if (sigprocmask(SIG_BLOCK, &one, &before) != 0)
			return SIG_ERR;
		if (sigismember(&before, sig))
			return SIG_HOLD;
		return ts_program_sigaction(sig, NULL, &old) != 0 ? SIG_ERR : old.sa_handler;
	}
	memset(&act, 0, sizeof act);
	act.sa_handler = disp;
	sigemptyset(&act.sa_mask);
	if (ts_program_sigaction(sig, &act, &old) != 0 ||
	    sigprocmask(SIG_UNBLOCK, &one, &before) != 0)
		return SIG_ERR;
	return sigismember(&before, sig) ? SIG_HOLD : old.sa_handler;
}

TS_EXPORT int sigignore(int sig)
{
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_handler = SIG_IGN;
	sigemptyset(&act.sa_mask);
	return ts_program_sigaction(sig, &act, NULL);
}

/* Whether the signal interrupts system calls (flag) or restarts them. */
TS_EXPORT int siginterrupt(int sig, int flag)
{
	struct sigaction act;
	if (ts_program_sigaction(sig, NULL, &act) != 0)
		return -1;
	if (flag)
		act.sa_flags &= ~SA_RESTART;
	else
		act.sa_flags |= SA_RESTART;
	return ts_program_sigaction(sig, &act, NULL);
}
