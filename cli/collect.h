/* `traceshim collect`: an OTLP/HTTP receiver that writes what it receives as
 * a Perfetto trace. */
#ifndef TS_COLLECT_H
#define TS_COLLECT_H

#include <stddef.h>

struct ts_collect_opts {
	const char *listen;     /* "host:port", default 127.0.0.1:4318 */
	const char *output;     /* .pftrace path */
	size_t max_body;        /* bigger bodies get 413 */
	unsigned timeout_s;     /* a connection silent this long is closed */
};

/* Serves until SIGINT/SIGTERM; returns the process exit status (2: bad
 * --listen). */
int ts_collect_run(const struct ts_collect_opts *opts);

#endif
