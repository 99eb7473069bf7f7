/* traceshim collect and traceshim convert (collectcmd.c), built as the
 * module libtraceshim-collect.so next to libtraceshim.so. The traceshim
 * program opens it for these two commands only: libmicrohttpd, its TLS
 * libraries and protobuf-c stay out of traceshim run and the agent, which
 * fork a worker per traced process and would copy their mappings each time. */
#ifndef TS_CLI_COLLECTCMD_H
#define TS_CLI_COLLECTCMD_H

#define TS_COLLECT_MODULE_NAME "libtraceshim-collect.so"

#define TS_COLLECT_MAX_BODY_DEFAULT (16u << 20)
#define TS_COLLECT_TIMEOUT_DEFAULT 10
/* OTLP senders never send a body over 64 MiB: a saved one is no bigger. */
#define TS_CONVERT_INPUT_MAX (64u << 20)

#define TS_COLLECT_API __attribute__((visibility("default")))

/* The arguments after "collect"; -1 when they are not collect's (the
 * caller shows the usage), else the exit status. */
TS_COLLECT_API int ts_collect_cmd(int argc, char **argv);
typedef int (*ts_collect_cmd_fn)(int argc, char **argv);
/* IN.pb to OUT.pftrace; the exit status. */
TS_COLLECT_API int ts_convert_cmd(const char *in, const char *out_path);
typedef int (*ts_convert_cmd_fn)(const char *in, const char *out_path);

#endif
