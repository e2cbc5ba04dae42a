// SPDX-License-Identifier: MIT
#include "reorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct afm_reorder_run {
	uint64_t next_ts;	/* time of the sample at pos */
	uint64_t seq;
	uint32_t pos;
	struct afm_event ev;	/* only the first ev.n samples are allocated */
};

static inline int before(const struct afm_reorder_run *a, const struct afm_reorder_run *b)
{
	return a->next_ts != b->next_ts ? a->next_ts < b->next_ts : a->seq < b->seq;
}

static void sift_down(struct afm_reorder *r, size_t i)
{
	struct afm_reorder_run *x = r->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= r->count)
			break;
		if (c + 1 < r->count && before(r->heap[c + 1], r->heap[c]))
			c++;
		if (!before(r->heap[c], x))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	r->heap[i] = x;
}

int afm_reorder_push(struct afm_reorder *r, const struct afm_event *ev)
{
	size_t size = offsetof(struct afm_reorder_run, ev.s) + ev->n * sizeof(ev->s[0]);
	struct afm_reorder_run *run;

	if (!ev->n)
		return 0;
	if (r->count == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4096;
		struct afm_reorder_run **heap = realloc(r->heap, cap * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		r->heap = heap;
		r->cap = cap;
	}
	run = malloc(size);
	if (!run)
		return -ENOMEM;
	memcpy(&run->ev, ev, size - offsetof(struct afm_reorder_run, ev));
	run->pos = 0;
	run->seq = r->runs++;
	run->next_ts = ev->base + ev->s[0].stamp;
	r->held += ev->n;

	size_t i = r->count++;

	while (i > 0 && before(run, r->heap[(i - 1) / 2])) {
		r->heap[i] = r->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	r->heap[i] = run;
	return 0;
}

void afm_reorder_release(struct afm_reorder *r, uint64_t horizon, afm_sample_fn fn, void *ctx)
{
	while (r->count && r->heap[0]->next_ts <= horizon) {
		struct afm_reorder_run *run = r->heap[0];

		if (run->next_ts < r->released_ts)
			r->late++;
		else
			r->released_ts = run->next_ts;
		fn(ctx, &run->ev, run->pos);
		r->held--;
		if (++run->pos < run->ev.n) {
			run->next_ts = run->ev.base + run->ev.s[run->pos].stamp;
		} else {
			free(run);
			r->heap[0] = r->heap[--r->count];
			if (!r->count)
				break;
		}
		sift_down(r, 0);
	}
}

void afm_reorder_free(struct afm_reorder *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->heap[i]);
	free(r->heap);
	memset(r, 0, sizeof(*r));
}
