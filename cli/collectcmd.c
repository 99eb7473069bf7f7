/* traceshim collect and traceshim convert, in the module
 * libtraceshim-collect.so (see collectcmd.h): the HTTP server and the OTLP
 * decoder they need are loaded only by these two commands, never by
 * traceshim run or the agent, whose workers are forks of it. */
#include "collectcmd.h"

#include "collect.h"
#include "convert.h"
#include "inflate.h"
#include "perfetto.h"
#include "tracefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONVERT_INPUT_MAX TS_CONVERT_INPUT_MAX
#define CONVERT_INFLATED_MAX (1u << 30)

/* Reads a whole regular file of at most CONVERT_INPUT_MAX bytes; NULL after
 * saying why. */
static uint8_t *read_input(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "traceshim convert: cannot read %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "traceshim convert: %s is a directory, not a saved request body\n", path);
		close(fd);
		return NULL;
	}
	/* Devices and pipes have no size to trust: read until the limit. */
	size_t cap = S_ISREG(st.st_mode) && (uint64_t)st.st_size <= CONVERT_INPUT_MAX ?
		(size_t)st.st_size + 1 : 1u << 16, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			size_t grown_cap = cap * 2 > CONVERT_INPUT_MAX + 1 ? CONVERT_INPUT_MAX + 1 : cap * 2;
			uint8_t *grown = realloc(buf, grown_cap);
			if (!grown) {
				fprintf(stderr, "traceshim convert: out of memory reading %s\n", path);
				break;
			}
			buf = grown;
			cap = grown_cap;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fprintf(stderr, "traceshim convert: cannot read %s: %s\n", path, strerror(errno));
			break;
		}
		if (got == 0) {
			close(fd);
			*len = n;
			return buf;
		}
		n += (size_t)got;
		if (n > CONVERT_INPUT_MAX) {
			fprintf(stderr, "traceshim convert: %s is larger than %u MiB, not a saved OTLP "
				"request body\n", path, CONVERT_INPUT_MAX >> 20);
			break;
		}
	}
	free(buf);
	close(fd);
	return NULL;
}

TS_COLLECT_API int ts_convert_cmd(const char *in, const char *out_path)
{
	size_t len;
	uint8_t *body = read_input(in, &len);
	if (!body)
		return 1;
	if (len >= 2 && body[0] == 0x1f && body[1] == 0x8b) {
		uint8_t *plain;
		size_t plain_len;
		enum ts_inflate_result z = ts_inflate_bounded(body, len, CONVERT_INFLATED_MAX, &plain,
							      &plain_len);
		free(body);
		if (z != TS_INFLATE_OK) {
			fprintf(stderr, "traceshim convert: %s is %s\n", in, z == TS_INFLATE_TOO_LARGE ?
				"gzip inflating past 1 GiB" : "not valid gzip");
			return 1;
		}
		body = plain;
		len = plain_len;
	}
	struct ts_convert *cv = ts_convert_new();
	bool no_memory = !cv;
	long spans = cv ? ts_convert_request(cv, body, len) : -1;
	free(body);
	struct ts_convert_stats st = {0};
	if (cv)
		ts_convert_stats(cv, &st);
	ts_convert_free(cv);
	struct pb *b = ts_pf_batch();
	if (spans < 0 || b->failed) {
		fprintf(stderr, "traceshim convert: %s\n", spans < 0 && !no_memory ?
			"the input is not an OTLP ExportTraceServiceRequest" : "out of memory");
		return 1;
	}
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err = fd < 0 ? errno : ts_tracefile_write(fd, b->data, b->len);
	if (fd >= 0 && close(fd) != 0 && !err)
		err = errno;
	if (err) {
		fprintf(stderr, "traceshim convert: cannot write %s: %s\n", out_path, strerror(err));
		return 1;
	}
	fprintf(stderr, "traceshim convert: %ld spans written to %s", spans, out_path);
	if (st.spans_skipped || st.ends_clamped)
		fprintf(stderr, " (%llu spans skipped: start time 0 or past 2^63 ns; %llu end times "
			"clamped to the start)", (unsigned long long)st.spans_skipped,
			(unsigned long long)st.ends_clamped);
	fputc('\n', stderr);
	return 0;
}

TS_COLLECT_API int ts_collect_cmd(int argc, char **argv)
{
	struct ts_collect_opts o = {"127.0.0.1:4318", "collected.pftrace", TS_COLLECT_MAX_BODY_DEFAULT,
				    TS_COLLECT_TIMEOUT_DEFAULT};
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
		} else if (!strcmp(a, "--timeout") && v) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);
			if (*end || !n || n > 3600 || *v == '-') {
				fprintf(stderr, "traceshim collect: --timeout wants seconds in [1, 3600]\n");
				return 2;
			}
			o.timeout_s = (unsigned)n;
			i++;
		} else {
			return -1;
		}
	}
	return ts_collect_run(&o);
}
