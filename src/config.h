/* Settings read once from the environment (TRACESHIM_* and OTEL_*). */
#ifndef TS_CONFIG_H
#define TS_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct ts_config {
	bool disabled;              /* OTEL_SDK_DISABLED=true or TRACESHIM_DISABLE=1 */
	bool compress;              /* zlib-compressed packet batches */
	bool cmdline;               /* record the command line (may hold secrets) */
	bool force_clock_gettime;   /* TRACESHIM_CLOCK=boottime */
	unsigned buffer_records;    /* per-thread ring size, a power of two */
	unsigned flush_ms;          /* longest pause between two drains */
	unsigned exit_timeout_ms;   /* bound on the flush at exit */
	char output[PATH_MAX];      /* absolute path of the .pftrace file */
};

extern struct ts_config ts_cfg;

/* Reads the environment; called once, before any span is recorded. */
void ts_config_load(void);

/* The program's short name (argv[0] without directories). */
const char *ts_program_name(void);

/* Parsing helpers, exposed for the unit tests. Each returns false and leaves
 * *out alone when the text is not a valid value. */
bool ts_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
bool ts_parse_bool(const char *s, bool *out);

#endif
