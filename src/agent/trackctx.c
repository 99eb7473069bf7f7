/* The drainer's tracks (see trackctx.h). */
#include "trackctx.h"

#include "config.h"
#include "ids.h"
#include "large.h"
#include "procinfo.h"
#include "rawsys.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static TS_LARGE struct ts_track_ctx ctxs[TS_MAX_THREADS];
static struct ts_track proc_track;
static void *proc_state[TS_STATE_COUNT];
static char proc_name[64];
static int slots_used;   /* the slots below this may hold state */

const struct ts_track *ts_tracks_process(void)
{
	return &proc_track;
}

/* Writer sequence ids are unique across the processes of a run: pid and
 * thread index side by side. A program exec'd in the same pid takes the ids
 * over, which is sound: its predecessor wrote everything before the exec and
 * each sequence starts with its incremental state cleared. Beyond 2^21 pids
 * or 1024 threads, a hash with the top bit set. */
static uint32_t sequence_of(uint32_t index)
{
	uint32_t pid = (uint32_t)ts_proc_pid();
	if (pid < (1u << 21) && index < 1024)
		return pid << 10 | index;
	return (uint32_t)ts_mix64(ts_ids.seed ^ (0x5e9ull << 40) ^ index) | 0x80000000u;
}

static uint64_t uuid_of(uint32_t index)
{
	return ts_mix64(ts_ids.seed ^ (0x7ac4ull << 48) ^ index) | 1;
}

const struct ts_track *ts_track_process_describe(void)
{
	snprintf(proc_name, sizeof proc_name, "%s", ts_program_name());
	proc_track = (struct ts_track){
		.uuid = uuid_of(0), .sequence = sequence_of(0),
		.pid = ts_proc_pid(), .ppid = ts_proc_ppid(), .name = proc_name,
		.sink_state = proc_state,
	};
	return &proc_track;
}

struct ts_track_ctx *ts_track_slot(int slot)
{
	if (slot >= slots_used)
		slots_used = slot + 1;
	return &ctxs[slot];
}

void ts_track_describe(struct ts_track_ctx *c, struct ts_thread *t, uint64_t ts)
{
	c->name_gen = atomic_load(&t->name_gen);
	memcpy(c->name, t->name, sizeof c->name);
	c->name[15] = 0;
	if (t->foreign && !c->name[0]) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)proc_track.pid, (int)t->tid);
		int fd = (int)ts_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = ts_syscall(SYS_read, fd, c->name, sizeof c->name - 1);
			c->name[n > 0 ? n - 1 : 0] = 0;   /* drop the newline */
			ts_syscall(SYS_close, fd);
		}
	}
	if (!c->name[0])
		snprintf(c->name, sizeof c->name, "thread %d", (int)t->tid);
	ts_export_thread(&proc_track, &c->track, ts);
	c->described = true;
}

void ts_track_attach(struct ts_track_ctx *c, struct ts_thread *t)
{
	*c = (struct ts_track_ctx){.active = true, .index = t->index};
	c->track = (struct ts_track){
		.uuid = uuid_of(t->index), .parent_uuid = proc_track.uuid,
		.sequence = sequence_of(t->index), .pid = proc_track.pid, .tid = t->tid,
		.name = c->name, .sink_state = c->sink_state,
	};
}

struct ts_track_ctx *ts_tracks_by_index(uint32_t index)
{
	for (int i = 0; i < TS_MAX_THREADS; i++)
		if (ctxs[i].active && ctxs[i].index == index)
			return &ctxs[i];
	return NULL;
}

void ts_track_table_after_fork(void)
{
	memset(ctxs, 0, sizeof ctxs);
	memset(proc_state, 0, sizeof proc_state);
	slots_used = 0;
}

int ts_track_slots_used(void)
{
	return slots_used;
}

void ts_track_table_reset(void)
{
	/* Only the slots used: the others' pages were never touched. */
	memset(ctxs, 0, (size_t)slots_used * sizeof *ctxs);
	slots_used = 0;
	ts_export_forget(proc_state);
	memset(&proc_track, 0, sizeof proc_track);
}
