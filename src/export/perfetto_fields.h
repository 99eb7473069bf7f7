/* Field numbers of Perfetto's trace proto that the encoder writes, shared
 * by its files (perfetto.c: events; perfetto_desc.c: descriptors). */
#ifndef TS_PERFETTO_FIELDS_H
#define TS_PERFETTO_FIELDS_H

enum {
	/* Trace / TracePacket */
	F_TRACE_PACKET = 1,
	F_PKT_TIMESTAMP = 8, F_PKT_SEQ_ID = 10, F_PKT_SEQ_FLAGS = 13, F_PKT_INTERNED = 12,
	F_PKT_TRACK_EVENT = 11, F_PKT_TRACK_DESC = 60, F_PKT_CLOCK_SNAPSHOT = 6,
	F_PKT_DEFAULTS = 59, F_PKT_PROCESS_TREE = 2,
	/* ProcessTree, ProcessTree.Process */
	F_PT_PROCESSES = 1, F_PTP_PID = 1, F_PTP_PPID = 2, F_PTP_CMDLINE = 3,
	/* TracePacketDefaults / TrackEventDefaults */
	F_DEF_TRACK_EVENT = 11, F_TED_TRACK_UUID = 11,
	/* TrackDescriptor, ProcessDescriptor, ThreadDescriptor */
	F_TD_UUID = 1, F_TD_NAME = 2, F_TD_PROCESS = 3, F_TD_THREAD = 4, F_TD_PARENT = 5,
	F_TD_COUNTER = 8,   /* a CounterDescriptor: the track holds counter values */
	F_PD_PID = 1, F_PD_CMDLINE = 2, F_PD_NAME = 6,
	F_THD_PID = 1, F_THD_TID = 2, F_THD_NAME = 5,
	/* TrackEvent */
	F_TE_ANNOTATION = 4, F_TE_TYPE = 9, F_TE_NAME_IID = 10, F_TE_NAME = 23,
	F_TE_FLOW = 47, F_TE_TERM_FLOW = 48,
	F_TE_TRACK_UUID = 11, F_TE_DOUBLE_COUNTER = 44,
	/* DebugAnnotation */
	F_DA_NAME_IID = 1, F_DA_BOOL = 2, F_DA_INT = 4, F_DA_DOUBLE = 5, F_DA_STRING = 6,
	F_DA_STRING_IID = 17, F_DA_NAME = 10,
	/* InternedData */
	F_ID_EVENT_NAMES = 2, F_ID_ANNOTATION_NAMES = 3, F_ID_STRING_VALUES = 29,
	F_IE_IID = 1, F_IE_NAME = 2,
	/* ClockSnapshot */
	F_CS_CLOCKS = 1, F_CLK_ID = 1, F_CLK_TS = 2,
};
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };
enum { SEQ_CLEARED = 1, SEQ_NEEDS = 2 };
enum { CLOCK_REALTIME_ID = 1, CLOCK_BOOTTIME_ID = 6 };

/* One-byte tags of the fields written most (field numbers below 16). */
#define TAG(field, wire) ((uint8_t)((field) << 3 | (wire)))

#endif
