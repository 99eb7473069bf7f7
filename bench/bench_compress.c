/* bench_compress: what each trace compressor costs and saves on a real trace.
 * The trace (a .pftrace written uncompressed, TRACESHIM_COMPRESS=false) is
 * cut at packet boundaries into batches of about BATCH bytes, as the writer
 * cuts what it drains, and each library that is there compresses all of them
 * again and again. Prints, per library, MB of batch compressed per second of
 * CPU time (this thread's user+sys, which a busy machine disturbs less than
 * wall-clock time; the median of 7 rounds) and the ratio of batch bytes to
 * written bytes.
 * Usage: bench_compress TRACE [BATCH_KIB] */
#include "compress.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rounds per library, and the CPU time of each. */
#define ROUNDS 7
#define ROUND_CPU_S 0.25

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One Trace.packet field's length at p (tag, length, body), 0 if malformed. */
static size_t packet_len(const uint8_t *p, const uint8_t *end)
{
	if (p >= end || *p != 0x0a)
		return 0;
	const uint8_t *q = p + 1;
	uint64_t n = 0;
	for (int shift = 0; q < end && shift < 64; shift += 7) {
		uint8_t b = *q++;
		n |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return n <= (uint64_t)(end - q) ? (size_t)(q - p) + (size_t)n : 0;
	}
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_compress TRACE [BATCH_KIB]\n");
		return 2;
	}
	size_t batch_bytes = (argc > 2 ? (size_t)atol(argv[2]) : 128) * 1024;
	size_t len;
	uint8_t *trace = read_file(argv[1], &len);
	if (!trace || !len || !batch_bytes) {
		fprintf(stderr, "bench_compress: cannot read %s\n", argv[1]);
		return 2;
	}
	/* The batches: packets taken whole until the batch reaches its size. */
	size_t nb = 0, cap = 16, total = 0;
	struct pb *batches = malloc(cap * sizeof *batches);
	for (const uint8_t *p = trace, *end = trace + len; p < end;) {
		size_t n = packet_len(p, end);
		if (!n) {
			fprintf(stderr, "bench_compress: %s: not an uncompressed trace at byte %zu\n",
				argv[1], (size_t)(p - trace));
			return 2;
		}
		if (!nb || batches[nb - 1].len >= batch_bytes) {
			if (nb == cap)
				batches = realloc(batches, (cap *= 2) * sizeof *batches);
			batches[nb++] = (struct pb){0};
		}
		struct pb *b = &batches[nb - 1];
		if (!pb_reserve(b, n))
			return 2;
		memcpy(b->data + b->len, p, n);
		b->len += n;
		total += n;
		p += n;
	}
	printf("%zu batches of about %zu KiB, %.1f MB in all\n", nb, batch_bytes / 1024,
	       (double)total / 1e6);
	static const struct {
		enum ts_compressor which;
		const char *name;
	} libs[] = {{TS_COMPRESS_IGZIP, "igzip"},
		    {TS_COMPRESS_LIBDEFLATE, "libdeflate"},
		    {TS_COMPRESS_ZLIB, "zlib"}};
	enum { NLIBS = sizeof libs / sizeof *libs };
	/* Rounds of every library in turn, so that whatever else the machine
	 * does falls on all of them alike; the median round is reported. */
	double speed[NLIBS][ROUNDS];
	size_t out[NLIBS] = {0};
	bool there[NLIBS];
	for (size_t l = 0; l < NLIBS; l++)
		there[l] = ts_compress_use(libs[l].which);
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t l = 0; l < NLIBS; l++) {
			if (!there[l] || !ts_compress_use(libs[l].which))
				continue;
			size_t in = 0;
			out[l] = 0;
			double t0 = cpu_s(), t = 0;
			while (t < ROUND_CPU_S) {
				for (size_t i = 0; i < nb; i++) {
					in += batches[i].len;
					out[l] += ts_compress_batch(&batches[i])->len;
				}
				t = cpu_s() - t0;
			}
			speed[l][r] = (double)in / t / 1e6;
			/* The ratio: one pass over the trace. */
			out[l] = (size_t)((double)out[l] * (double)total / (double)in);
		}
	}
	for (size_t l = 0; l < NLIBS; l++) {
		if (!there[l]) {
			printf("  %-10s  not there (not built in, or not installed)\n", libs[l].name);
			continue;
		}
		qsort(speed[l], ROUNDS, sizeof speed[l][0], by_value);
		printf("  %-10s  %5.0f MB/s of CPU time, ratio %.2f (%.1f%% of the batch)\n",
		       libs[l].name, speed[l][ROUNDS / 2], (double)total / (double)out[l],
		       100.0 * (double)out[l] / (double)total);
	}
	ts_compress_use(TS_COMPRESS_ANY);
	return 0;
}
