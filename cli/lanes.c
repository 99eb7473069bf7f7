/* Greedy lane packing (see lanes.h). Each lane keeps the stack of intervals
 * still open at the current start time; an interval fits a lane when, after
 * popping what ended, it lies inside the top of the stack (or the stack is
 * empty) and is not too deep. n log n for the sort plus a bounded scan over
 * lanes. */
#include "lanes.h"

#include <stdlib.h>

struct lane {
	uint64_t *ends;      /* stack of open intervals' ends (starts are earlier) */
	size_t depth, cap;
};

static struct ts_interval *sort_base;

static int by_start(const void *a, const void *b)
{
	const struct ts_interval *x = &sort_base[*(const size_t *)a];
	const struct ts_interval *y = &sort_base[*(const size_t *)b];
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;   /* the enclosing one first */
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int push(struct lane *l, uint64_t end)
{
	if (l->depth == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		uint64_t *grown = realloc(l->ends, cap * sizeof *grown);
		if (!grown)
			return 0;
		l->ends = grown;
		l->cap = cap;
	}
	l->ends[l->depth++] = end;
	return 1;
}

size_t ts_pack_lanes(struct ts_interval *iv, size_t n)
{
	size_t *order = malloc((n ? n : 1) * sizeof *order);
	struct lane *lanes = NULL;
	size_t nlanes = 0, lanes_cap = 0, result = 0;
	if (!order)
		return 0;
	for (size_t i = 0; i < n; i++) {
		order[i] = i;
		if (iv[i].end < iv[i].start)
			iv[i].end = iv[i].start;
	}
	sort_base = iv;
	qsort(order, n, sizeof *order, by_start);
	for (size_t k = 0; k < n; k++) {
		struct ts_interval *s = &iv[order[k]];
		size_t chosen = nlanes;
		for (size_t l = 0; l < nlanes && l < TS_LANES_SCANNED; l++) {
			struct lane *ln = &lanes[l];
			while (ln->depth && ln->ends[ln->depth - 1] <= s->start)
				ln->depth--;
			if (ln->depth < TS_LANE_MAX_DEPTH &&
			    (!ln->depth || s->end <= ln->ends[ln->depth - 1])) {
				chosen = l;
				break;
			}
		}
		if (chosen == nlanes) {
			if (nlanes == lanes_cap) {
				size_t cap = lanes_cap ? lanes_cap * 2 : 8;
				struct lane *grown = realloc(lanes, cap * sizeof *grown);
				if (!grown)
					goto done;
				lanes = grown;
				lanes_cap = cap;
			}
			lanes[nlanes++] = (struct lane){0};
		}
		if (!push(&lanes[chosen], s->end))
			goto done;
		s->lane = chosen;
	}
	result = n ? nlanes : 0;
done:
	for (size_t l = 0; l < nlanes; l++)
		free(lanes[l].ends);
	free(lanes);
	free(order);
	return result;
}
