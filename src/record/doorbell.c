/* The in-process writer's doorbell (see doorbell.h). */
#include "doorbell.h"

#include "rawsys.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic int word;        /* futex: bumped to wake the writer */
static _Atomic int listening;   /* the writer runs */

void ts_doorbell_ring(void)
{
	atomic_fetch_add(&word, 1);
	ts_syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

bool ts_drain_wake(void)
{
	if (!atomic_load(&listening))
		return false;
	ts_doorbell_ring();
	return true;
}

void ts_doorbell_listen(bool on)
{
	atomic_store(&listening, on);
}

bool ts_doorbell_listened(void)
{
	return atomic_load(&listening);
}

int ts_doorbell_seen(void)
{
	return atomic_load(&word);
}

void ts_doorbell_wait(int seen, const struct timespec *timeout)
{
	ts_syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, seen, timeout, NULL, 0);
}

void ts_doorbell_after_fork(void)
{
	atomic_store(&word, 0);
	atomic_store(&listening, 0);
}
