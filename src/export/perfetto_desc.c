/* Perfetto packets that describe rather than record: the clock snapshot,
 * the process and its place in the process tree, threads and named tracks.
 * They go to the same batch as the events (perfetto.c). */
#include "perfetto.h"

#include "perfetto_fields.h"

#include <string.h>

static void descriptor_packet_begin(const struct ts_track *proc, uint64_t ts, size_t *pkt, size_t *td)
{
	struct pb *b = ts_pf_batch();
	*pkt = pb_begin(b, F_TRACE_PACKET);
	pb_uint(b, F_PKT_TIMESTAMP, ts);
	pb_uint(b, F_PKT_SEQ_ID, proc->sequence);
	*td = pb_begin(b, F_PKT_TRACK_DESC);
}

void ts_pf_clock_snapshot(struct pb *out, uint32_t sequence, uint64_t boot_ns, uint64_t real_ns)
{
	size_t pkt = pb_begin(out, F_TRACE_PACKET);
	pb_uint(out, F_PKT_TIMESTAMP, boot_ns);
	pb_uint(out, F_PKT_SEQ_ID, sequence);
	size_t cs = pb_begin(out, F_PKT_CLOCK_SNAPSHOT);
	size_t c = pb_begin(out, F_CS_CLOCKS);
	pb_uint(out, F_CLK_ID, CLOCK_BOOTTIME_ID);
	pb_uint(out, F_CLK_TS, boot_ns);
	pb_end(out, c);
	c = pb_begin(out, F_CS_CLOCKS);
	pb_uint(out, F_CLK_ID, CLOCK_REALTIME_ID);
	pb_uint(out, F_CLK_TS, real_ns);
	pb_end(out, c);
	pb_end(out, cs);
	pb_end(out, pkt);
}

void ts_pf_process(const struct ts_track *proc, uint64_t boot_ns, uint64_t real_ns,
		   const char *cmdline, size_t cmdline_len)
{
	struct pb *b = ts_pf_batch();
	ts_pf_clock_snapshot(b, proc->sequence, boot_ns, real_ns);
	ts_pf_process_track(proc, boot_ns, cmdline, cmdline_len);
}

void ts_pf_process_track(const struct ts_track *proc, uint64_t ts_ns, const char *cmdline,
			 size_t cmdline_len)
{
	struct pb *b = ts_pf_batch();
	size_t pkt, td;
	ts_pf_flows_process(proc);
	descriptor_packet_begin(proc, ts_ns, &pkt, &td);
	pb_uint(b, F_TD_UUID, proc->uuid);
	size_t pd = pb_begin(b, F_TD_PROCESS);
	pb_int(b, F_PD_PID, proc->pid);
	/* cmdline is NUL-separated, as in /proc/PID/cmdline. */
	for (size_t i = 0; i < cmdline_len;) {
		size_t n = strnlen(cmdline + i, cmdline_len - i);
		pb_bytes(b, F_PD_CMDLINE, cmdline + i, n);
		i += n + 1;
	}
	pb_string(b, F_PD_NAME, proc->name);
	pb_end(b, pd);
	pb_end(b, td);
	pb_end(b, pkt);

	/* The process tree: the descriptor has no parent pid, this packet does. */
	pkt = pb_begin(b, F_TRACE_PACKET);
	pb_uint(b, F_PKT_TIMESTAMP, ts_ns);
	pb_uint(b, F_PKT_SEQ_ID, proc->sequence);
	size_t tree = pb_begin(b, F_PKT_PROCESS_TREE);
	size_t p = pb_begin(b, F_PT_PROCESSES);
	pb_int(b, F_PTP_PID, proc->pid);
	pb_int(b, F_PTP_PPID, proc->ppid);
	pb_string(b, F_PTP_CMDLINE, proc->name);
	pb_end(b, p);
	pb_end(b, tree);
	pb_end(b, pkt);
}

void ts_pf_thread(const struct ts_track *proc, const struct ts_track *thread, uint64_t ts_ns)
{
	struct pb *b = ts_pf_batch();
	size_t pkt, td;
	descriptor_packet_begin(proc, ts_ns, &pkt, &td);
	pb_uint(b, F_TD_UUID, thread->uuid);
	pb_uint(b, F_TD_PARENT, proc->uuid);
	size_t thd = pb_begin(b, F_TD_THREAD);
	pb_int(b, F_THD_PID, thread->pid);
	pb_int(b, F_THD_TID, thread->tid);
	pb_string(b, F_THD_NAME, thread->name);
	pb_end(b, thd);
	pb_end(b, td);
	pb_end(b, pkt);
}

void ts_pf_named_track(const struct ts_track *proc, const struct ts_track *track, uint64_t ts_ns)
{
	struct pb *b = ts_pf_batch();
	size_t pkt, td;
	descriptor_packet_begin(proc, ts_ns, &pkt, &td);
	pb_uint(b, F_TD_UUID, track->uuid);
	pb_uint(b, F_TD_PARENT, proc->uuid);
	pb_string(b, F_TD_NAME, track->name);
	pb_end(b, td);
	pb_end(b, pkt);
}

void ts_pf_counter_track(const struct ts_track *proc, const struct ts_track *parent, uint64_t uuid,
			 const char *name, uint64_t ts_ns)
{
	struct pb *b = ts_pf_batch();
	size_t pkt, td;
	descriptor_packet_begin(proc, ts_ns, &pkt, &td);
	pb_uint(b, F_TD_UUID, uuid);
	pb_uint(b, F_TD_PARENT, parent->uuid);
	pb_string(b, F_TD_NAME, name);
	/* Present, even empty: it is what makes the track a counter track. */
	size_t cd = pb_begin(b, F_TD_COUNTER);
	pb_end(b, cd);
	pb_end(b, td);
	pb_end(b, pkt);
}
