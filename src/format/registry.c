/* The thread registry's shared parts (see registry.h). */
#include "registry.h"

#include "large.h"
#include "rawsys.h"
#include "segment.h"

#include <sys/syscall.h>
#include <unistd.h>

__thread struct ts_tls ts_tls __attribute__((tls_model("initial-exec")));
_Atomic int ts_active;
TS_LARGE struct ts_thread *_Atomic ts_threads[TS_MAX_THREADS];
_Atomic uint64_t ts_threads_untraced;
struct ts_seg_header *ts_seg;

static TS_LARGE _Atomic uint32_t private_claimed[TS_MAX_THREADS];

_Atomic uint32_t *ts_registry_claims(void)
{
	return ts_seg ? ts_seg->claimed : private_claimed;
}

void ts_registry_after_fork(void)
{
	for (int i = 0; i < TS_MAX_THREADS; i++)
		atomic_store(&private_claimed[i], 0);
}

void ts_thread_release(int slot)
{
	struct ts_thread *t = atomic_load(&ts_threads[slot]);
	atomic_store(&t->state, TS_SLOT_FREE);
	atomic_store(&ts_registry_claims()[slot], 0);
}

#define SHIM_TIDS 16
static _Atomic pid_t shim_tids[SHIM_TIDS];

void ts_shim_thread_begin(void)
{
	pid_t tid = (pid_t)ts_syscall(SYS_gettid);
	for (int i = 0; i < SHIM_TIDS; i++) {
		pid_t free_slot = 0;
		if (atomic_compare_exchange_strong(&shim_tids[i], &free_slot, tid))
			return;
	}
}

void ts_thread_mute(void)
{
	ts_tls.muted = 1;
	ts_tls.thr = NULL;
	ts_shim_thread_begin();
}

void ts_shim_thread_end(void)
{
	pid_t tid = (pid_t)ts_syscall(SYS_gettid);
	for (int i = 0; i < SHIM_TIDS; i++) {
		pid_t mine = tid;
		if (atomic_compare_exchange_strong(&shim_tids[i], &mine, 0))
			return;
	}
}

bool ts_shim_tid(pid_t tid)
{
	for (int i = 0; i < SHIM_TIDS; i++)
		if (atomic_load(&shim_tids[i]) == tid)
			return true;
	return false;
}

unsigned ts_shim_tids_count(void)
{
	unsigned n = 0;
	for (int i = 0; i < SHIM_TIDS; i++)
		n += atomic_load(&shim_tids[i]) != 0;
	return n;
}

void ts_shim_tids_after_fork(void)
{
	for (int i = 0; i < SHIM_TIDS; i++)
		atomic_store(&shim_tids[i], 0);
}
