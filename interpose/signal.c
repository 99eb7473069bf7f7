/* Crashes and fatal signals. The shim's handler sits in front of the
 * program's for every signal whose default action ends the process (the
 * crashes SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT; SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, ..., the real-time signals):
 * it records an `exception` event with the stack of the
 * interrupted code, then either runs the program's own handler, exactly as
 * the kernel would have, or, when the signal is fatal, flushes the trace
 * and lets the signal take its default course (same exit status, same core
 * dump). The program's sigaction() and signal() calls are kept in a table
 * and answered from it, so the program sees its own handlers and never ours.
 *
 * A disposition that is SIG_IGN when the shim starts, or that the program
 * sets to SIG_IGN, is left to the kernel: an ignored signal stays ignored in
 * the programs it execs. */
#include "crashstack.h"
#include "init.h"
#include "large.h"
#include "rawsys.h"
#include "sigtable.h"
#include "stmt.h"
#include "unwind.h"
#include "wrap.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Default action: terminate, with or without a core dump. The real-time
 * signals (SIGRTMIN..SIGRTMAX, known at run time) are added to these. */
static const int fatal_signals[] = {
	SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
	SIGUSR2, SIGPIPE, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS, SIGTRAP,
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
#ifdef SIGPWR
	SIGPWR,
#endif
	SIGIO,
};

static TS_LARGE struct sigaction prog[NSIG];     /* what the program asked for */
static _Atomic bool ours[NSIG];         /* the shim's handler is installed */
static __thread int in_handler __attribute__((tls_model("initial-exec")));

static int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static __typeof__(&sigaction) real;
	if (!real)
		real = (__typeof__(&sigaction))ts_resolve("sigaction", (const void *)sigaction);
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(sig, act, old);
}

static bool is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGABRT;
}

/* A fault raised by the instruction itself: returning re-executes it. */
static bool is_fault(int sig, const siginfo_t *si)
{
	return si && si->si_code > 0 && sig != SIGABRT && is_crash(sig);
}

static void record(int sig, siginfo_t *si, void *uc, bool fatal)
{
	struct ts_thread *t = ts_tls.thr;   /* no registration from a handler */
	if (!t || ts_tls.muted || !atomic_load(&ts_active))
		return;
	/* A fatal signal's stack always; one the program recovers from
	 * within the thread's budget of stacks (unwind.h). */
	uint64_t ips[TS_STACK_MAX];
	unsigned n = fatal || ts_unwind_budget() ? ts_unwind_context(uc, ips, TS_STACK_MAX, 300) : 0;
	ts_record_exception(t, sig, si ? si->si_code : 0, si ? (uint64_t)(uintptr_t)si->si_addr : 0,
			    fatal, ips, n, NULL);
	if (fatal) {
		/* Statements the crash cut short end here, as failures. */
		for (unsigned i = 0; i < TS_OPEN_CALLS; i++)
			if (t->open_calls[i].key)
				ts_stmt_end(t, &t->open_calls[i], 4 /* SQLITE_ABORT */, 0, ts_ticks(),
					    "interrupted by a fatal signal");
	}
}

/* What the shim does with a signal, all but running the program's handler:
 * the event, and for a fatal signal the flush and the way to its default
 * action. */
struct shim_part {
	int sig;
	siginfo_t *si;
	void *uc;
	bool handled;   /* the program's handler runs next */
	bool ignored;   /* the program asked for SIG_IGN */
};

static void do_shim_part(void *arg)
{
	struct shim_part *w = arg;
	if (in_handler) {
		w->handled = false;   /* crashed while recording: die at once */
	} else if (is_crash(w->sig) || !w->handled) {
		in_handler = 1;
		record(w->sig, w->si, w->uc, !w->handled);
		in_handler = 0;
	}
	if (w->handled)
		return;
	if (w->ignored) {
		/* Only a fault can get here ignored (it was set while ours was in):
		 * the kernel would kill the process, so let it. */
		if (!is_fault(w->sig, w->si))
			return;
	} else {
		ts_set_exit_status(TS_EXIT_SIGNAL | w->sig);
		ts_process_exit();   /* flush, bounded by TRACESHIM_EXIT_TIMEOUT_MS */
	}
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigemptyset(&dfl.sa_mask);
	real_sigaction(w->sig, &dfl, NULL);
	atomic_store(&ours[w->sig], false);
	if (!is_fault(w->sig, w->si))
		ts_syscall(SYS_tgkill, getpid(), ts_syscall(SYS_gettid), w->sig);   /* delivered on return */
	/* A fault re-executes the instruction and dies with its own siginfo. */
}

/* The shim's part, on a stack of its own when room is short
 * (crashstack.h); whether the program's handler runs next. Not inlined:
 * with no address of its own taken, on_signal can jump to the program's
 * handler rather than call it, which then has the stack on_signal had. */
__attribute__((noinline)) static bool run_shim_part(int sig, siginfo_t *si, void *uc, bool handled,
						    bool ignored)
{
	struct shim_part w = {.sig = sig, .si = si, .uc = uc, .handled = handled, .ignored = ignored};
	if (!handled || is_crash(sig) || in_handler)   /* else nothing to do */
		ts_crashstack_run(uc, do_shim_part, &w);
	return w.handled;
}

/* Runs on whatever stack the program gave its signals, which may be a small
 * alternate one nearly used up (a crash inside a handler). */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	/* The program's action as the signal found it: SA_RESETHAND, below,
	 * changes the table. */
	__sighandler_t handler = prog[sig].sa_handler;
	void (*action)(int, siginfo_t *, void *) = prog[sig].sa_sigaction;
	int flags = prog[sig].sa_flags;
	bool handled = run_shim_part(sig, si, uc, handler != SIG_DFL && handler != SIG_IGN,
				     handler == SIG_IGN);
	if ((flags & SA_RESETHAND) && handled && !ts_vfork_child())   /* the table is the parent's */
		prog[sig].sa_handler = SIG_DFL;
	errno = saved;
	if (!handled)
		return;
	if (flags & SA_SIGINFO)
		action(sig, si, uc);
	else
		handler(sig);
}

/* The kernel action for sig: the shim's handler with the program's mask and
 * flags (all signals blocked while nothing of the program's runs). The
 * program's handler runs on the alternate stack only when it asked for it
 * (a small one may be meant for a crash handler alone); with no handler of
 * the program's, the shim's part takes the alternate stack there is, to
 * record a stack overflow. */
static int install(int sig, const struct sigaction *p, struct sigaction *old)
{
	struct sigaction k;
	memset(&k, 0, sizeof k);
	k.sa_sigaction = on_signal;
	k.sa_flags = SA_SIGINFO;
	if (p->sa_handler == SIG_DFL) {
		sigfillset(&k.sa_mask);
		k.sa_flags |= SA_ONSTACK;
	} else {
		k.sa_mask = p->sa_mask;
		k.sa_flags |= p->sa_flags & (SA_RESTART | SA_NODEFER | SA_ONSTACK);
	}
	return real_sigaction(sig, &k, old);
}

static bool watched(int sig)
{
	for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
		if (fatal_signals[i] == sig)
			return true;
	return sig >= SIGRTMIN && sig <= SIGRTMAX;
}

static void take_over(int sig)
{
	struct sigaction cur;
	if (real_sigaction(sig, NULL, &cur) != 0 || cur.sa_handler != SIG_DFL)
		return;   /* ignored, or a handler is already there: left alone */
	prog[sig] = cur;
	if (install(sig, &cur, NULL) == 0)
		atomic_store(&ours[sig], true);
}

/* At start, one system call per signal instead of take_over()'s two: the
 * shim's handler goes in and the disposition it replaced comes back from
 * the same call; the rare one that was not the default (an inherited
 * SIG_IGN) is put back. Every signal is blocked meanwhile, so none meets
 * the wrong action; one sent to an ignored signal in between is discarded
 * by the kernel when SIG_IGN is put back, as it would have been. */
static void take_over_all(void)
{
	static const struct sigaction dfl = {.sa_handler = SIG_DFL};
	const int nfixed = (int)(sizeof fatal_signals / sizeof *fatal_signals);
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	for (int i = 0;; i++) {
		int sig = i < nfixed ? fatal_signals[i] : SIGRTMIN + (i - nfixed);
		if (sig > SIGRTMAX || sig >= NSIG)
			break;
		/* prog[sig] stays as the image began, zero, which is SIG_DFL:
		 * writing it would fault in the table's pages for nothing. */
		struct sigaction cur;
		if (install(sig, &dfl, &cur) != 0)
			continue;
		if (cur.sa_handler == SIG_DFL)
			atomic_store(&ours[sig], true);
		else
			real_sigaction(sig, &cur, NULL);   /* ignored, or a handler already there */
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

__attribute__((constructor)) static void install_handlers(void)
{
	if (!ts_start())
		return;
	take_over_all();
}

/* A vfork child has a signal table of its own in the kernel but shares the
 * parent's memory, the table of the program's handlers included: its calls
 * go to the kernel, and only read that table (where the kernel holds the
 * shim's handler, the program's view is what the parent set). */
static int vfork_child_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	int rc = real_sigaction(sig, act, old);
	if (rc == 0 && old && sig > 0 && sig < NSIG && (old->sa_flags & SA_SIGINFO) &&
	    old->sa_sigaction == on_signal)
		*old = prog[sig];
	return rc;
}

/* What the kernel would report back for act, as glibc set it: SIGKILL and
 * SIGSTOP are never in a mask, and glibc adds its restorer. */
static struct sigaction as_kept(const struct sigaction *act)
{
	struct sigaction k = *act;
	sigdelset(&k.sa_mask, SIGKILL);
	sigdelset(&k.sa_mask, SIGSTOP);
#ifdef SA_RESTORER
	k.sa_flags |= SA_RESTORER;
#endif
	return k;
}

int ts_program_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (ts_vfork_child())
		return vfork_child_sigaction(sig, act, old);
	if (sig <= 0 || sig >= NSIG || !atomic_load(&ours[sig])) {
		int rc = real_sigaction(sig, act, old);
		/* Back to the default after being ignored (system() does that to
		 * SIGINT and SIGQUIT): the shim's handler goes in front again. */
		if (rc == 0 && act && act->sa_handler == SIG_DFL && watched(sig) &&
		    atomic_load(&ts_active))
			take_over(sig);
		return rc;
	}
	if (act && act->sa_handler == SIG_IGN) {
		/* Ignoring is the kernel's business (it survives exec): step aside. */
		struct sigaction before = prog[sig];
		int rc = real_sigaction(sig, act, NULL);
		if (rc == 0) {
			atomic_store(&ours[sig], false);
			if (old)
				*old = before;
		}
		return rc;
	}
	/* The program installing a crash handler may rely on it: have stacks
	 * ready for when it runs. */
	if (act && act->sa_handler != SIG_DFL && is_crash(sig) && !in_handler)
		(void)ts_unwind_load();
	sigset_t block, saved;
	sigemptyset(&block);
	sigaddset(&block, sig);
	pthread_sigmask(SIG_BLOCK, &block, &saved);
	struct sigaction before = prog[sig];
	int rc = 0;
	if (act) {
		rc = install(sig, act, NULL);
		if (rc == 0)
			prog[sig] = as_kept(act);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc == 0 && old)
		*old = before;
	return rc;
}

TS_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return ts_program_sigaction(sig, act, old);
}
