/* sigcompat: the program's signal handlers as it set them, whichever call
 * set them, under the shim as without it.
 *
 * - A handler installed without SA_ONSTACK runs on the thread's stack while
 *   an alternate stack is there (a small one, meant for a crash handler):
 *   it uses more stack than the alternate one has.
 * - sigset(), bsd_signal(), sysv_signal(), ssignal(), sigignore() and
 *   siginterrupt() are glibc's own ways to set a disposition: what sigaction()
 *   then reads back, saves and restores is what they set.
 *
 * - What sigaction() reads back is what the kernel keeps: no SIGKILL or
 *   SIGSTOP in the mask, glibc's restorer flag.
 *
 * Usage: sigcompat
 * Prints one line per fact; exit status 0 when every handler ran. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Old calls, deprecated: still in programs, and what is tested here. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

extern __sighandler_t bsd_signal(int, __sighandler_t);
extern __sighandler_t sysv_signal(int, __sighandler_t);
extern __sighandler_t ssignal(int, __sighandler_t);

static volatile sig_atomic_t on_alt = -1, hits;
static volatile char sink;

static void deep(int sig)
{
	(void)sig;
	stack_t ss;
	sigaltstack(NULL, &ss);
	on_alt = (ss.ss_flags & SS_ONSTACK) != 0;
	volatile char big[64 * 1024];   /* more than the alternate stack */
	memset((char *)big, 1, sizeof big);
	sink = big[100];
}

static void crash(int sig)
{
	(void)sig;
	_exit(99);   /* the deep handler overflowed the alternate stack */
}

static void count(int sig)
{
	(void)sig;
	hits++;
}

static __sighandler_t now_of(int sig)
{
	struct sigaction cur;
	sigaction(sig, NULL, &cur);
	return cur.sa_handler;
}

/* Set by how, then saved, ignored a while and restored with sigaction(). */
static void round_trip(const char *how, __sighandler_t (*set)(int, __sighandler_t))
{
	hits = 0;
	set(SIGUSR1, count);
	struct sigaction ign, old;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &ign, &old);
	sigaction(SIGUSR1, &old, NULL);
	raise(SIGUSR1);
	printf("%s: saved %s, ran %d\n", how, old.sa_handler == count ? "the handler" : "another",
	       (int)hits);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	stack_t ss = {.ss_sp = malloc(16384), .ss_size = 16384, .ss_flags = 0};
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = crash;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_handler = deep;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("handler without SA_ONSTACK on the alternate stack: %d\n", (int)on_alt);

	round_trip("sigset", sigset);
	round_trip("bsd_signal", bsd_signal);
	round_trip("sysv_signal", sysv_signal);
	round_trip("ssignal", ssignal);

	/* System V semantics: back to the default once delivered. */
	sysv_signal(SIGUSR1, count);
	raise(SIGUSR1);
	printf("sysv_signal after delivery: %s\n", now_of(SIGUSR1) == SIG_DFL ? "default" : "kept");

	/* sigset(SIG_HOLD): blocked; the handler set next says it was held. */
	sigset(SIGUSR1, count);
	__sighandler_t was = sigset(SIGUSR1, SIG_HOLD);
	__sighandler_t held = sigset(SIGUSR1, count);
	printf("sigset hold: was %s, then %s\n", was == count ? "the handler" : "other",
	       held == SIG_HOLD ? "held" : "not held");

	sigignore(SIGUSR1);
	printf("sigignore: %s\n", now_of(SIGUSR1) == SIG_IGN ? "ignored" : "not ignored");

	signal(SIGUSR1, count);
	siginterrupt(SIGUSR1, 1);
	struct sigaction cur;
	sigaction(SIGUSR1, NULL, &cur);
	printf("siginterrupt 1: restart %d\n", (cur.sa_flags & SA_RESTART) != 0);
	siginterrupt(SIGUSR1, 0);
	sigaction(SIGUSR1, NULL, &cur);
	printf("siginterrupt 0: restart %d, handler %s\n", (cur.sa_flags & SA_RESTART) != 0,
	       cur.sa_handler == count ? "kept" : "lost");

	struct sigaction full, back;
	memset(&full, 0, sizeof full);
	full.sa_handler = count;
	sigfillset(&full.sa_mask);
	sigaction(SIGUSR1, &full, NULL);
	sigaction(SIGUSR1, NULL, &back);
	printf("read back: SIGKILL in the mask %d, SIGSTOP %d, SIGTERM %d, flags %#x\n",
	       sigismember(&back.sa_mask, SIGKILL), sigismember(&back.sa_mask, SIGSTOP),
	       sigismember(&back.sa_mask, SIGTERM), (unsigned)back.sa_flags);
	return 0;
}
