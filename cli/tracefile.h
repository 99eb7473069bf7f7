/* The Perfetto file collect and convert write: opened for appending, what an
 * existing one already says about the clock, and whole writes that never
 * leave a torn packet behind. */
#ifndef TS_TRACEFILE_H
#define TS_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

/* Opens path for appending (created 0644 when missing); -1 with errno set
 * on failure. *latest_boottime: the latest BOOTTIME of the ClockSnapshots
 * the file already holds (0: none), as later ones must not go back. */
int ts_tracefile_open_append(const char *path, uint64_t *latest_boottime);
/* Writes data[0..len) whole: 0, or an errno. A regular file that took only
 * part is cut back to its size before, so no torn packet stays in the
 * middle of the trace. */
int ts_tracefile_write(int fd, const uint8_t *data, size_t len);

#endif
