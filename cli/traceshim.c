/* The traceshim command: run and agent here; collect (an OTLP/HTTP receiver
 * writing Perfetto) and convert (a saved OTLP request body to Perfetto) in
 * the module libtraceshim-collect.so (collectcmd.h), opened for them only. */
#include "agent.h"
#include "collectcmd.h"
#include "run.h"

#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ts_version.h"

/* Exported (meson.build): libtraceshim.so, preloaded by a traced program
 * that starts this command, sees it and stays out of the way in the
 * command's processes (src/process/init.c). The command traces what it
 * runs itself; traced in turn, its own I/O would be recorded into the rings
 * it drains. */
__attribute__((visibility("default"), used)) const int ts_in_traceshim_command = 1;

static int usage(FILE *to, int status)
{
	fprintf(to,
		"usage: traceshim run [-o FILE] [--otlp URL] [--summary] [--no-follow] -- CMD [ARGS...]\n"
		"       traceshim collect [--listen HOST:PORT] [-o FILE] [--max-body BYTES] [--timeout S]\n"
		"       traceshim convert IN.pb OUT.pftrace\n"
		"       traceshim agent [--dir DIR] [--detach | --status | --wait [SECONDS]]\n"
		"\n");
	ts_run_usage(to);
	ts_agent_usage(to);
	fprintf(to,
		"\n"
		"collect   receive OTLP/HTTP protobuf on /v1/traces (default 127.0.0.1:4318) and\n"
		"          append it to a Perfetto trace (default collected.pftrace); bodies over\n"
		"          --max-body (default %u bytes) get 413; a connection silent for\n"
		"          --timeout seconds (default %u) is closed. Stops on SIGINT or SIGTERM.\n"
		"convert   turn a saved ExportTraceServiceRequest body (gzip or not, at most\n"
		"          %u MiB) into a Perfetto trace.\n",
		TS_COLLECT_MAX_BODY_DEFAULT, TS_COLLECT_TIMEOUT_DEFAULT, TS_CONVERT_INPUT_MAX >> 20);
	return status;
}

/* An entry point of libtraceshim-collect.so, found next to libtraceshim.so;
 * NULL after saying why. */
static void *collect_entry(const char *cmd, const char *name)
{
	char lib[PATH_MAX], path[PATH_MAX + sizeof TS_COLLECT_MODULE_NAME + 1];
	if (!ts_find_library(lib, sizeof lib)) {
		fprintf(stderr, "traceshim %s: cannot find libtraceshim.so, next to which "
			TS_COLLECT_MODULE_NAME " is\n", cmd);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/" TS_COLLECT_MODULE_NAME, dirname(lib));
	void *m = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	void *fn = m ? dlsym(m, name) : NULL;
	if (!fn) {
		const char *why = dlerror();
		fprintf(stderr, "traceshim %s: cannot load %s: %s\n", cmd, path, why ? why : "no entry");
	}
	return fn;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);
	if (!strcmp(argv[1], "--version")) {
		printf("traceshim %s\n", TS_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return ts_run_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "agent"))
		return ts_agent_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "collect")) {
		ts_collect_cmd_fn collect = (ts_collect_cmd_fn)collect_entry("collect", "ts_collect_cmd");
		int status = collect ? collect(argc - 2, argv + 2) : 2;
		return status < 0 ? usage(stderr, 2) : status;
	}
	if (!strcmp(argv[1], "convert") && argc == 4) {
		ts_convert_cmd_fn convert = (ts_convert_cmd_fn)collect_entry("convert", "ts_convert_cmd");
		return convert ? convert(argv[2], argv[3]) : 2;
	}
	return usage(stderr, 2);
}
