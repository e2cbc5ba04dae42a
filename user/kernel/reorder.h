/* SPDX-License-Identifier: MIT */
/*
 * Live mode: the kernel's samples back in time order. Each ring buffer event is a run
 * of samples in time order (one flow, one CPU); the runs of different CPUs and flows
 * interleave, and a run can wait in its CPU's table for a while. Samples wait here
 * until they are older than a horizon that trails real time by more than the longest
 * wait; then those released together are sorted by time (stably: equal times keep
 * their arrival order) and handed on.
 */
#ifndef AFM_REORDER_H
#define AFM_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "afm_event.h"

struct afm_reorder_run;

struct afm_pending {
	uint64_t ts;
	struct afm_reorder_run *run;
	uint32_t idx;		/* the sample's index in its run */
	uint32_t pad;
};

struct afm_reorder {
	struct afm_pending *wait, *out, *tmp;	/* waiting (arrival order); released; scratch */
	size_t n_wait, cap;
	uint64_t released_ts;	/* time of the last sample released */
	uint64_t late;		/* samples that came after the horizon had passed them */
};

typedef void (*afm_sample_fn)(void *ctx, const struct afm_event *ev, uint32_t i);

/* Keep a copy of the event's samples. 0 or -ENOMEM. */
int afm_reorder_push(struct afm_reorder *r, const struct afm_event *ev);
/* Hand over, in time order, every sample whose time is <= horizon. */
void afm_reorder_release(struct afm_reorder *r, uint64_t horizon, afm_sample_fn fn, void *ctx);
/* Samples waiting. */
static inline size_t afm_reorder_held(const struct afm_reorder *r)
{
	return r->n_wait;
}
void afm_reorder_free(struct afm_reorder *r);

#endif
