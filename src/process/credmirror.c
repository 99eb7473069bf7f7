/* Capabilities, the keep-capabilities flag, securebits and the bounding and
 * ambient sets are each thread's own, while glibc applies setuid, setgid,
 * setgroups and their kin to every thread of the process and aborts it when
 * one thread fails where another succeeded (nptl's setxid). A program that
 * keeps its capabilities across a change of user on the one thread it has
 * (prctl(PR_SET_KEEPCAPS), setresuid, capset, then setresgid: setpriv and
 * libcap-ng's capng_change_id do this) would die of the in-process writer's
 * thread lacking them. So each such call of the program's that succeeds is
 * made on the writer's thread too, before the program goes on: one request
 * at a time, through a slot the writer looks at when its doorbell rings.
 * The wait is bounded; a writer stuck in a write lets the program go on, and
 * the request it took too long for is dropped, never made late. */
#include "credmirror.h"

#include "doorbell.h"
#include "rawsys.h"
#include "registry.h"
#include "vforkstate.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The slot's states (a futex word). */
enum { IDLE, ASKED, TAKEN, DONE, DROPPED };
#define WAIT_MS 1000

static _Atomic int owner;   /* a program thread is using the slot */
static _Atomic int state;
static long call_nr;
static unsigned long args[4];
static uint32_t cap_version;
static struct __user_cap_data_struct caps[2];   /* capset's data: one (version 1) or two */
static __thread bool in_mirror __attribute__((tls_model("initial-exec")));
static _Atomic bool serving;   /* the writer runs and takes requests */

static long futex(_Atomic int *word, int op, int val, const struct timespec *timeout)
{
	return ts_syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* Whether the call set a credential of the calling thread's alone. The
 * set*id calls get here only made through syscall() (glibc's functions
 * apply them to every thread themselves). */
static bool per_thread(long nr, unsigned long a, unsigned long b)
{
	if (nr == SYS_capset) {
		const struct __user_cap_header_struct *h = (const void *)a;
		/* On this thread (pid 0, or its own tid): another thread's
		 * is left as it is. */
		return h && b && (h->pid == 0 || h->pid == (int)ts_syscall(SYS_gettid)) &&
		       (h->version == _LINUX_CAPABILITY_VERSION_1 || h->version == _LINUX_CAPABILITY_VERSION_2 ||
			h->version == _LINUX_CAPABILITY_VERSION_3);
	}
	if (nr == SYS_prctl)
		return a == PR_SET_KEEPCAPS || a == PR_SET_SECUREBITS || a == PR_CAPBSET_DROP ||
		       a == PR_CAP_AMBIENT;
	return ts_cred_call(nr);
}

void ts_cred_serving(bool on)
{
	atomic_store(&serving, on);
}

bool ts_cred_pending(void)
{
	return atomic_load(&state) == ASKED;
}

void ts_cred_mirror(long nr, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
	/* The shim's own threads (the writer among them) are left alone; so
	 * is a vfork child's call (the writer is its parent's), and one made
	 * by a signal handler that interrupted this thread's own request. */
	if (in_mirror || !per_thread(nr, a, b) || ts_tls.muted || ts_vfork_child() || !atomic_load(&serving))
		return;
	int saved = errno;
	in_mirror = true;
	int expected = 0;
	for (int tries = 0; !atomic_compare_exchange_strong(&owner, &expected, 1); tries++) {
		if (tries == WAIT_MS) {   /* cannot happen but for a stuck writer */
			in_mirror = false;
			errno = saved;
			return;
		}
		struct timespec nap = {0, 1000000};   /* another thread's request: rare */
		ts_sys_nanosleep(&nap, NULL);
		expected = 0;
	}
	call_nr = nr;
	args[0] = a;
	args[1] = b;
	args[2] = c;
	args[3] = d;
	if (nr == SYS_capset) {
		cap_version = ((const struct __user_cap_header_struct *)a)->version;
		memcpy(caps, (const void *)b, (cap_version == _LINUX_CAPABILITY_VERSION_1 ? 1 : 2) * sizeof *caps);
	}
	atomic_store(&state, ASKED);
	ts_doorbell_ring();
	struct timespec step = {0, 10000000};
	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		int s = atomic_load(&state);
		if (s == DONE)
			break;
		futex(&state, FUTEX_WAIT_PRIVATE, s, &step);
	}
	/* Not made yet: never later (a writer taking it now finishes first). */
	int asked = ASKED;
	if (!atomic_compare_exchange_strong(&state, &asked, DROPPED)) {
		while (atomic_load(&state) == TAKEN)
			futex(&state, FUTEX_WAIT_PRIVATE, TAKEN, &step);
	}
	atomic_store(&state, IDLE);
	atomic_store(&owner, 0);
	in_mirror = false;
	errno = saved;
}

void ts_cred_serve(void)
{
	int asked = ASKED;
	if (atomic_load(&state) != ASKED || !atomic_compare_exchange_strong(&state, &asked, TAKEN))
		return;
	if (call_nr == SYS_capset) {
		struct __user_cap_header_struct h = {cap_version, 0};
		ts_syscall(SYS_capset, &h, caps);
	} else {
		ts_syscall(call_nr, args[0], args[1], args[2], args[3], 0);
	}
	atomic_store(&state, DONE);
	futex(&state, FUTEX_WAKE_PRIVATE, 1, NULL);
}

void ts_cred_after_fork(void)
{
	atomic_store(&serving, false);
	atomic_store(&owner, 0);
	atomic_store(&state, IDLE);
}
