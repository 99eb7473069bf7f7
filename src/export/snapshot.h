/* The process's ClockSnapshot in a trace file shared with other processes:
 * its clocks are read and written under a lock on the file, so snapshots
 * never go back in file order (see snapshot.c). Drainer side. */
#ifndef TS_SNAPSHOT_H
#define TS_SNAPSHOT_H

#include <stdint.h>

/* The process began (or began again after fork or exec): its next write
 * carries a snapshot on this writer sequence. */
void ts_snapshot_owe(uint32_t sequence);
/* Nothing owed (the process it was owed for is done). */
void ts_snapshot_reset(void);
/* The sink calls this with the trace file's descriptor just before writing a
 * batch: writes the owed snapshot, if the file lock can be had now. */
void ts_snapshot_write(int fd);

#endif
