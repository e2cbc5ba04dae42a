// SPDX-License-Identifier: MIT
#include "kernel/reorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "features/sort.h"
#include "kernel/loader.h"

struct afm_reorder_run {
	uint32_t left;		/* samples not yet released */
	uint32_t pad;
	struct afm_event ev;	/* only the first ev.n samples are allocated (all, and the details, if detailed) */
};

static int reserve(struct afm_reorder *r, size_t more)
{
	if (r->n_wait + more <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 65536;

	while (cap < r->n_wait + more)
		cap *= 2;
	struct afm_pending *w = realloc(r->wait, cap * sizeof(*w));

	if (!w)
		return -ENOMEM;
	r->wait = w;
	struct afm_pending *o = realloc(r->out, cap * sizeof(*o));

	if (!o)
		return -ENOMEM;
	r->out = o;
	struct afm_pending *t = realloc(r->tmp, cap * sizeof(*t));

	if (!t)
		return -ENOMEM;
	r->tmp = t;
	r->cap = cap;
	return 0;
}

int afm_reorder_push(struct afm_reorder *r, const struct afm_event *ev)
{
	/* a detailed event's details follow its whole sample array: then all of it */
	size_t size = (ev->reason & AFM_EVENT_DETAILED)
			      ? offsetof(struct afm_reorder_run, ev) + sizeof(struct afm_event_detailed)
			      : offsetof(struct afm_reorder_run, ev.s) + ev->n * sizeof(ev->s[0]);
	struct afm_reorder_run *run;

	if (!ev->n)
		return 0;
	if (reserve(r, ev->n) != 0 || !(run = malloc(size)))
		return -ENOMEM;
	memcpy(&run->ev, ev, size - offsetof(struct afm_reorder_run, ev));
	run->left = 0;
	for (uint32_t i = 0; i < ev->n; i++)	/* not a super-frame's extension (--segments) */
		if (afm_kevent_packets(ev, i)) {
			r->wait[r->n_wait++] = (struct afm_pending){ ev->base + ev->s[i].stamp, run, i, 0 };
			run->left++;
		}
	return 0;
}

AFM_DEFINE_TIME_SORT(sort_by_time, struct afm_pending, ts)

void afm_reorder_release(struct afm_reorder *r, uint64_t horizon, afm_sample_fn fn, void *ctx)
{
	size_t keep = 0, n_out = 0;

	/* Split, keeping arrival order on both sides. */
	for (size_t i = 0; i < r->n_wait; i++) {
		if (r->wait[i].ts <= horizon)
			r->out[n_out++] = r->wait[i];
		else
			r->wait[keep++] = r->wait[i];
	}
	r->n_wait = keep;

	struct afm_pending *sorted = sort_by_time(r->out, r->tmp, n_out);

	for (size_t i = 0; i < n_out; i++) {
		struct afm_reorder_run *run = sorted[i].run;

		if (sorted[i].ts < r->released_ts)
			r->late++;
		else
			r->released_ts = sorted[i].ts;
		fn(ctx, &run->ev, sorted[i].idx);
		if (--run->left == 0)
			free(run);
	}
}

void afm_reorder_free(struct afm_reorder *r)
{
	/* Runs still waiting: free each once, when its last sample is met. */
	for (size_t i = 0; i < r->n_wait; i++)
		if (--r->wait[i].run->left == 0)
			free(r->wait[i].run);
	free(r->wait);
	free(r->out);
	free(r->tmp);
	memset(r, 0, sizeof(*r));
}
