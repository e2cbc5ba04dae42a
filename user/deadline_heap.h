/* SPDX-License-Identifier: MIT */
/*
 * Binary min-heap of open flows ordered by (heap_deadline, seq). Each flow knows its
 * position (heap_idx), so a flow can be removed or re-keyed in O(log n).
 */
#ifndef AFM_DEADLINE_HEAP_H
#define AFM_DEADLINE_HEAP_H

#include <stddef.h>

#include "flow.h"

struct afm_heap_item {
	uint64_t deadline;	/* the flow's heap_deadline */
	uint64_t seq;		/* the flow's creation order: ties end in that order */
	struct afm_flow *flow;
};

struct afm_heap {
	struct afm_heap_item *items;
	size_t count, cap;
};

int afm_heap_push(struct afm_heap *h, struct afm_flow *f);	/* 0 or -ENOMEM */
void afm_heap_remove(struct afm_heap *h, struct afm_flow *f);
/* Call after f->heap_deadline changed, in either direction. */
void afm_heap_update(struct afm_heap *h, struct afm_flow *f);
static inline struct afm_flow *afm_heap_top(const struct afm_heap *h)
{
	return h->count ? h->items[0].flow : NULL;
}
void afm_heap_free(struct afm_heap *h);

#endif
