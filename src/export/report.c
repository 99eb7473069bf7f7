/* The summary report: every process's block of the run's summary file
 * (summary.c) merged into one table, like strace -c but for spans, then the
 * slowest processes and spans and every failure, each with its process. */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

/* Last: the streams here are the shim's own, never traced. */
#define TS_OWNSTDIO_NAMES
#include "ownstdio.h"

#define MAX_ROWS 30
#define MAX_FAILED 40

struct row {
	char *name;
	const char *kind;
	uint64_t count, errors, total, max, bytes;
};

struct item {
	uint64_t dur;       /* failures: how many */
	int pid;
	int npids;          /* failures: in how many processes */
	char *what;     /* span or process name */
	char *proc;     /* the process it ran in */
	char *detail;   /* failures: error type and message */
};

struct report {
	struct row *rows;
	size_t nrows, caprows;
	struct item *slow, *slow_procs, *failed, *failed_procs;
	size_t nslow, nslow_procs, nfailed, nfailed_procs;
	size_t capslow, capslow_procs, capfailed, capfailed_procs;
	uint64_t processes, spans;
	int *pids;          /* a pid that ran exec has a block per program */
	size_t npids, cappids;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	size_t c = *cap ? *cap * 2 : 64;
	void *q = realloc(p, c * size);
	if (q)
		*cap = c;
	return q;
}

static const char *kind_name(unsigned kind)
{
	return kind == 2 ? "server" : kind == 3 ? "client" : "internal";
}

static void add_row(struct report *r, const char *kind, const char *name, uint64_t count,
		    uint64_t errors, uint64_t total, uint64_t max, uint64_t bytes)
{
	for (size_t i = 0; i < r->nrows; i++) {
		struct row *w = &r->rows[i];
		if (w->kind == kind && !strcmp(w->name, name)) {
			w->count += count;
			w->errors += errors;
			w->total += total;
			w->bytes += bytes;
			if (max > w->max)
				w->max = max;
			return;
		}
	}
	struct row *rows = grow(r->rows, &r->caprows, r->nrows, sizeof *rows);
	if (!rows)
		return;
	r->rows = rows;
	rows[r->nrows++] = (struct row){strdup(name), kind, count, errors, total, max, bytes};
}

static void add_item(struct item **list, size_t *n, size_t *cap, struct item it)
{
	struct item *l = grow(*list, cap, *n, sizeof **list);
	if (!l)
		return;
	*list = l;
	l[(*n)++] = it;
}

/* Failed spans of one name and error in processes of one name add up. */
static void add_failure(struct report *r, const char *what, const char *proc, const char *detail,
			int pid, uint64_t count)
{
	for (size_t i = 0; i < r->nfailed; i++) {
		struct item *it = &r->failed[i];
		if (!strcmp(it->what, what) && !strcmp(it->proc, proc) && !strcmp(it->detail, detail)) {
			it->dur += count;
			it->npids += it->pid != pid;
			return;
		}
	}
	add_item(&r->failed, &r->nfailed, &r->capfailed,
		 (struct item){count, pid, 1, strdup(what), strdup(proc), strdup(detail)});
}

/* Splits a line in place at tabs; returns the number of fields. */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

static void parse(struct report *r, FILE *in)
{
	char line[1024], proc[64] = "?";
	int pid = 0;
	while (fgets(line, sizeof line, in)) {
		line[strcspn(line, "\n")] = 0;
		char *f[8];
		int n = fields(line, f, 8);
		if (f[0][0] == 'P' && n == 8) {
			pid = atoi(f[1]);
			snprintf(proc, sizeof proc, "%s", f[7]);
			uint64_t end = strtoull(f[6], NULL, 10);
			uint64_t dur = strtoull(f[3], NULL, 10);
			bool failed = atoi(f[5]) != 0;
			int *pids = grow(r->pids, &r->cappids, r->npids, sizeof *pids);
			if (pids) {
				r->pids = pids;
				pids[r->npids++] = pid;
			}
			add_row(r, "process", proc, 1, failed, dur, dur, 0);
			add_item(&r->slow_procs, &r->nslow_procs, &r->capslow_procs,
				 (struct item){dur, pid, 1, strdup(proc), NULL, NULL});
			if (failed) {
				char detail[64];
				int code = atoi(f[4]);
				if (code >= 0)
					snprintf(detail, sizeof detail, "exit code %d", code);
				else
					snprintf(detail, sizeof detail, "failed");
				add_item(&r->failed_procs, &r->nfailed_procs, &r->capfailed_procs,
					 (struct item){end, pid, 1, strdup(proc), NULL, strdup(detail)});
			}
		} else if (f[0][0] == 'A' && n == 8) {
			uint64_t count = strtoull(f[2], NULL, 10);
			r->spans += count;
			add_row(r, kind_name((unsigned)atoi(f[1])), f[7], count, strtoull(f[3], NULL, 10),
				strtoull(f[4], NULL, 10), strtoull(f[5], NULL, 10),
				strtoull(f[6], NULL, 10));
		} else if (f[0][0] == 'S' && n == 3) {
			add_item(&r->slow, &r->nslow, &r->capslow,
				 (struct item){strtoull(f[1], NULL, 10), pid, 1, strdup(f[2]), strdup(proc), NULL});
		} else if (f[0][0] == 'F' && n == 5) {
			char detail[160];
			snprintf(detail, sizeof detail, "%s%s%s", f[2], *f[3] ? ": " : "", f[3]);
			add_failure(r, f[1], proc, detail, pid, strtoull(f[4], NULL, 10));
		}
	}
}

static const char *duration(uint64_t ns, char *buf, size_t cap)
{
	if (ns < 1000)
		snprintf(buf, cap, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, cap, "%.1f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, cap, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, cap, "%.2f s", ns / 1e9);
	return buf;
}

static int by_total(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return x->total < y->total ? 1 : x->total > y->total ? -1 : strcmp(x->name, y->name);
}

static int by_end(const void *a, const void *b)
{
	const struct item *x = a, *y = b;   /* dur holds the end time here */
	return x->dur < y->dur ? -1 : x->dur > y->dur;
}

static int by_duration(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->dur < y->dur ? 1 : x->dur > y->dur ? -1 : 0;
}

static int by_pid(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void print(struct report *r, FILE *out)
{
	char a[24], b[24], c[24];
	qsort(r->pids, r->npids, sizeof *r->pids, by_pid);
	for (size_t i = 0; i < r->npids; i++)
		r->processes += i == 0 || r->pids[i] != r->pids[i - 1];
	uint64_t failed_spans = 0;
	for (size_t i = 0; i < r->nfailed; i++)
		failed_spans += r->failed[i].dur;
	fprintf(out, "\ntraceshim summary: %llu process%s (%zu failed), %llu spans (%llu failed)\n\n",
		(unsigned long long)r->processes, r->processes == 1 ? "" : "es", r->nfailed_procs,
		(unsigned long long)r->spans, (unsigned long long)failed_spans);
	qsort(r->rows, r->nrows, sizeof *r->rows, by_total);
	fprintf(out, "%9s %7s %11s %11s %11s %12s  %-8s  %s\n", "count", "errors", "total", "avg",
		"max", "bytes", "kind", "name");
	for (size_t i = 0; i < r->nrows && i < MAX_ROWS; i++) {
		const struct row *w = &r->rows[i];
		char bytes[24] = "-";
		if (w->bytes)
			snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)w->bytes);
		fprintf(out, "%9llu %7llu %11s %11s %11s %12s  %-8s  %s\n",
			(unsigned long long)w->count, (unsigned long long)w->errors,
			duration(w->total, a, sizeof a), duration(w->total / (w->count ? w->count : 1), b, sizeof b),
			duration(w->max, c, sizeof c), bytes, w->kind, w->name);
	}
	if (r->nrows > MAX_ROWS)
		fprintf(out, "%9s (%zu more names)\n", "", r->nrows - MAX_ROWS);

	qsort(r->slow_procs, r->nslow_procs, sizeof *r->slow_procs, by_duration);
	fprintf(out, "\nslowest processes:\n");
	for (size_t i = 0; i < r->nslow_procs && i < 5; i++)
		fprintf(out, "  %11s  %s (pid %d)\n", duration(r->slow_procs[i].dur, a, sizeof a),
			r->slow_procs[i].what, r->slow_procs[i].pid);
	qsort(r->slow, r->nslow, sizeof *r->slow, by_duration);
	fprintf(out, "\nslowest spans:\n");
	for (size_t i = 0; i < r->nslow && i < 10; i++)
		fprintf(out, "  %11s  %s in %s (pid %d)\n", duration(r->slow[i].dur, a, sizeof a),
			r->slow[i].what, r->slow[i].proc, r->slow[i].pid);
	if (r->nfailed_procs) {
		/* In the order they ended (their blocks come in the order they
		 * were written, which an agent's workers do not keep). */
		qsort(r->failed_procs, r->nfailed_procs, sizeof *r->failed_procs, by_end);
		fprintf(out, "\nfailed processes:\n");
		for (size_t i = 0; i < r->nfailed_procs && i < MAX_FAILED; i++)
			fprintf(out, "  %s (pid %d): %s\n", r->failed_procs[i].what,
				r->failed_procs[i].pid, r->failed_procs[i].detail);
		if (r->nfailed_procs > MAX_FAILED)
			fprintf(out, "  (%zu more)\n", r->nfailed_procs - MAX_FAILED);
	}
	if (r->nfailed) {
		qsort(r->failed, r->nfailed, sizeof *r->failed, by_duration);   /* most first */
		fprintf(out, "\nfailed spans:\n");
		for (size_t i = 0; i < r->nfailed && i < MAX_FAILED; i++) {
			const struct item *it = &r->failed[i];
			if (it->npids > 1)
				fprintf(out, "  %7llu  %s in %s (%d processes): %s\n",
					(unsigned long long)it->dur, it->what, it->proc, it->npids, it->detail);
			else
				fprintf(out, "  %7llu  %s in %s (pid %d): %s\n", (unsigned long long)it->dur,
					it->what, it->proc, it->pid, it->detail);
		}
		if (r->nfailed > MAX_FAILED)
			fprintf(out, "  (%zu more)\n", r->nfailed - MAX_FAILED);
	}
	fputc('\n', out);
	fflush(out);
}

static void free_items(struct item *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].what);
		free(l[i].proc);
		free(l[i].detail);
	}
	free(l);
}

bool ts_summary_report(const char *path, FILE *out)
{
	FILE *in = fopen(path, "re");
	if (!in)
		return false;
	struct report r = {0};
	parse(&r, in);
	fclose(in);
	print(&r, out);
	for (size_t i = 0; i < r.nrows; i++)
		free(r.rows[i].name);
	free(r.rows);
	free(r.pids);
	free_items(r.slow, r.nslow);
	free_items(r.slow_procs, r.nslow_procs);
	free_items(r.failed, r.nfailed);
	free_items(r.failed_procs, r.nfailed_procs);
	return true;
}
