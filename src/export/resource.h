/* The resource every exported span belongs to: service.name and the
 * process/host/SDK attributes, merged with OTEL_RESOURCE_ATTRIBUTES. */
#ifndef TS_RESOURCE_H
#define TS_RESOURCE_H

#include "span.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_process_info {
	pid_t pid, ppid;
	const char *exe_name;        /* e.g. "cat" */
	const char *exe_path;        /* e.g. "/usr/bin/cat", or NULL */
	uint64_t start_unix_ns;      /* process.creation.time */
	const char *host_name;       /* or NULL */
	const char *command_args;    /* NUL-separated, only when the user opted in */
	size_t command_args_len;
};

#define TS_RESOURCE_MAX 48

struct ts_resource {
	unsigned n;
	struct ts_attr attrs[TS_RESOURCE_MAX];
	char text[8192];             /* the strings the attributes point to */
	size_t used;
};

/* Builds the resource; getenv_fn reads OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES (a malformed list is reported and ignored). */
void ts_resource_build(struct ts_resource *r, const struct ts_process_info *p,
		       const char *(*getenv_fn)(const char *));

/* The value of attribute key, or NULL. */
const struct ts_attr *ts_resource_find(const struct ts_resource *r, const char *key);

#endif
