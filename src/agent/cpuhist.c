/* A thread's CPU samples and what is read from them (see cpuhist.h). */
#include "cpuhist.h"

#include <string.h>

static const char *number(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = p;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return NULL;   /* overflow */
		v = v * 10 + d;
		p++;
	}
	if (p == start || p - start > 20)
		return NULL;
	*out = v;
	return p;
}

bool ts_schedstat_parse(const char *buf, size_t len, struct ts_schedstat *out)
{
	const char *p = buf, *end = buf + len;
	uint64_t v[3];
	for (int i = 0; i < 3; i++) {
		if (i) {
			if (p >= end || *p != ' ')
				return false;
			p++;
		}
		if (!(p = number(p, end, &v[i])))
			return false;
	}
	if (p < end && *p == '\n')
		p++;
	if (p != end)
		return false;
	*out = (struct ts_schedstat){v[0], v[1], v[2]};
	return true;
}

/* Full: every second sample of the older half goes (the first stays). */
static void thin(struct ts_cpu_hist *h)
{
	unsigned half = h->n / 2, k = 0;
	for (unsigned i = 0; i < half; i += 2, k++) {
		h->t[k] = h->t[i];
		h->cpu[k] = h->cpu[i];
	}
	memmove(&h->t[k], &h->t[half], (h->n - half) * sizeof h->t[0]);
	memmove(&h->cpu[k], &h->cpu[half], (h->n - half) * sizeof h->cpu[0]);
	h->n = k + (h->n - half);
}

void ts_cpu_hist_add(struct ts_cpu_hist *h, uint64_t t, uint64_t cpu)
{
	unsigned n = h->n;
	if (n && (t <= h->t[n - 1] || cpu < h->cpu[n - 1]))
		return;
	/* Idle since the one before the last: the last moves, exactly as
	 * interpolation would have it. */
	if (n >= 2 && cpu == h->cpu[n - 1] && cpu == h->cpu[n - 2]) {
		h->t[n - 1] = t;
		return;
	}
	if (n == TS_CPU_HIST) {
		thin(h);
		n = h->n;
	}
	h->t[n] = t;
	h->cpu[n] = cpu;
	h->n = n + 1;
}

void ts_cpu_hist_front(struct ts_cpu_hist *h, uint64_t t, uint64_t cpu)
{
	if (h->n && (t >= h->t[0] || cpu > h->cpu[0]))
		return;
	if (h->n == TS_CPU_HIST)
		thin(h);
	memmove(&h->t[1], &h->t[0], h->n * sizeof h->t[0]);
	memmove(&h->cpu[1], &h->cpu[0], h->n * sizeof h->cpu[0]);
	h->t[0] = t;
	h->cpu[0] = cpu;
	h->n++;
}

bool ts_cpu_hist_at(const struct ts_cpu_hist *h, uint64_t t, uint64_t *cpu)
{
	unsigned n = h->n;
	if (!n || t < h->t[0] || t > h->t[n - 1])
		return false;
	/* The last sample at or before t. */
	unsigned lo = 0, hi = n - 1;
	while (lo < hi) {
		unsigned mid = (lo + hi + 1) / 2;
		if (h->t[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (h->t[lo] == t || lo == n - 1) {
		*cpu = h->cpu[lo];
		return true;
	}
	uint64_t dt = h->t[lo + 1] - h->t[lo], dc = h->cpu[lo + 1] - h->cpu[lo];
	/* In double: dc * (t - t0) overflows 64 bits past a few seconds. */
	*cpu = h->cpu[lo] + (uint64_t)((double)dc * (double)(t - h->t[lo]) / (double)dt);
	return true;
}

bool ts_cpu_hist_span(const struct ts_cpu_hist *h, uint64_t start, uint64_t end, uint64_t *cpu)
{
	uint64_t a, b;
	if (end < start || !ts_cpu_hist_at(h, start, &a) || !ts_cpu_hist_at(h, end, &b))
		return false;
	uint64_t d = b > a ? b - a : 0;
	*cpu = d < end - start ? d : end - start;   /* one thread: no more than the time */
	return true;
}
