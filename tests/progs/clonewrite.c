/* clonewrite: target program for the safety tests.
 *
 * A thread made with raw clone() and no CLONE_SETTLS shares the TLS block of
 * the thread that created it, and pthread_create never ran for it. A tracer
 * that keys per-thread state off TLS alone would have two threads scribbling
 * over one buffer at once, and would attribute the child's calls to the
 * parent. Runtimes (Go, some JITs, old threading libraries) do create threads
 * this way. The child writes to stdout while the parent writes to stderr at
 * the same time, so each stream alone is deterministic.
 *
 * Exit status: 0 after the child finished; the last stdout line is
 * "parent done".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHILD_WRITES 200
#define PARENT_WRITES 200
#define STACK_SIZE (256 * 1024)

static const char child_msg[] = "child: hello from a clone() thread\n";
static const char parent_msg[] = "parent: writing while the child runs\n";

/* The kernel writes the child's tid here (CLONE_PARENT_SETTID) and clears it
 * plus wakes futex waiters when the child exits (CLONE_CHILD_CLEARTID). */
static volatile pid_t child_tid;
static volatile int child_failed;

static int child_main(void *arg)
{
	(void)arg;
	/* Only async-signal-safe calls: this thread has no TLS of its own, so
	 * anything touching errno or stdio locks would race with the parent. */
	for (int i = 0; i < CHILD_WRITES; i++)
		if (write(1, child_msg, sizeof child_msg - 1) !=
		    (ssize_t)(sizeof child_msg - 1))
			child_failed = 1;
	return 0;
}

int main(void)
{
	char *stack = malloc(STACK_SIZE);
	if (!stack) {
		perror("malloc");
		return 2;
	}
	/* Stacks grow down on every architecture this runs on; keep the top
	 * 16-byte aligned as the ABI wants. */
	char *top = (char *)(((unsigned long)(stack + STACK_SIZE)) & ~15UL);

	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
		    CLONE_CHILD_CLEARTID;
	int ret = clone(child_main, top, flags, NULL, (pid_t *)&child_tid, NULL,
			(pid_t *)&child_tid);
	if (ret == -1) {
		perror("clone");
		return 2;
	}

	for (int i = 0; i < PARENT_WRITES; i++)
		if (write(2, parent_msg, sizeof parent_msg - 1) !=
		    (ssize_t)(sizeof parent_msg - 1))
			return 1;

	for (;;) {
		pid_t t = __atomic_load_n(&child_tid, __ATOMIC_ACQUIRE);
		if (t == 0)
			break;
		syscall(SYS_futex, &child_tid, FUTEX_WAIT, t, NULL, NULL, 0);
	}
	/* Safe only now: the kernel cleared the tid after the child left its
	 * stack for good. */
	free(stack);

	if (child_failed)
		return 1;
	static const char done[] = "parent done\n";
	if (write(1, done, sizeof done - 1) != (ssize_t)(sizeof done - 1))
		return 1;
	return 0;
}
