/* The traceshim command: `collect` (an OTLP/HTTP receiver writing Perfetto)
 * and `convert` (a saved OTLP request body to Perfetto). */
#include "collect.h"
#include "convert.h"
#include "export/perfetto.h"
#include "inflate.h"
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_version.h"

#define MAX_BODY_DEFAULT (16u << 20)

static int usage(FILE *to, int status)
{
	fprintf(to,
		"usage: traceshim run [-o FILE] [--otlp URL] [--summary] [--no-follow] -- CMD [ARGS...]\n"
		"       traceshim collect [--listen HOST:PORT] [-o FILE] [--max-body BYTES]\n"
		"       traceshim convert IN.pb OUT.pftrace\n"
		"\n");
	ts_run_usage(to);
	fprintf(to,
		"\n"
		"collect   receive OTLP/HTTP protobuf on /v1/traces (default 127.0.0.1:4318) and\n"
		"          append it to a Perfetto trace (default collected.pftrace); bodies over\n"
		"          --max-body (default %u bytes) get 413. Stops on SIGINT or SIGTERM.\n"
		"convert   turn a saved ExportTraceServiceRequest body (gzip or not) into a\n"
		"          Perfetto trace.\n",
		MAX_BODY_DEFAULT);
	return status;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *grown = cap < (1u << 30) ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static int convert(const char *in, const char *out_path)
{
	size_t len;
	uint8_t *body = read_file(in, &len);
	if (!body) {
		fprintf(stderr, "traceshim convert: cannot read %s: %s\n", in, strerror(errno));
		return 1;
	}
	if (len >= 2 && body[0] == 0x1f && body[1] == 0x8b) {
		uint8_t *plain;
		size_t plain_len;
		if (ts_inflate_bounded(body, len, 1u << 30, &plain, &plain_len) != TS_INFLATE_OK) {
			fprintf(stderr, "traceshim convert: %s is not valid gzip\n", in);
			free(body);
			return 1;
		}
		free(body);
		body = plain;
		len = plain_len;
	}
	struct ts_convert *cv = ts_convert_new();
	long spans = cv ? ts_convert_request(cv, body, len) : -1;
	free(body);
	ts_convert_free(cv);
	if (spans < 0) {
		fprintf(stderr, "traceshim convert: %s is not an OTLP ExportTraceServiceRequest\n", in);
		return 1;
	}
	FILE *out = fopen(out_path, "wb");
	struct pb *b = ts_pf_batch();
	if (!out || fwrite(b->data, 1, b->len, out) != b->len || fclose(out) != 0) {
		fprintf(stderr, "traceshim convert: cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	fprintf(stderr, "traceshim convert: %ld spans written to %s\n", spans, out_path);
	return 0;
}

static int collect(int argc, char **argv)
{
	struct ts_collect_opts o = {"127.0.0.1:4318", "collected.pftrace", MAX_BODY_DEFAULT};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--listen") && v) {
			o.listen = v;
			i++;
		} else if (!strcmp(a, "-o") && v) {
			o.output = v;
			i++;
		} else if (!strcmp(a, "--max-body") && v) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);
			if (*end || !n || n > (1ul << 30)) {
				fprintf(stderr, "traceshim collect: --max-body wants bytes in [1, 2^30]\n");
				return 2;
			}
			o.max_body = n;
			i++;
		} else {
			return usage(stderr, 2);
		}
	}
	return ts_collect_run(&o);
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
	if (!strcmp(argv[1], "collect"))
		return collect(argc - 2, argv + 2);
	if (!strcmp(argv[1], "convert") && argc == 4)
		return convert(argv[2], argv[3]);
	return usage(stderr, 2);
}
