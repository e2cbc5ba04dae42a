/* SPDX-License-Identifier: MIT */
/*
 * Min-heap of open flows ordered by (key, seq). Each flow knows its position in each
 * heap it is in (heap_idx[which]), so it can be removed or re-keyed in O(log n). The
 * engine keeps two: by deadline, and by last activity (for --max-flows).
 */
#ifndef AFM_DEADLINE_HEAP_H
#define AFM_DEADLINE_HEAP_H

#include <stddef.h>

#include "flow/flow.h"

struct afm_heap_item {
	uint64_t key;		/* a deadline, or a last-activity time */
	uint64_t seq;		/* the flow's creation order: ties go in that order */
	struct afm_flow *flow;
};

struct afm_heap {
	struct afm_heap_item *items;
	size_t count, cap;
	int which;		/* index into afm_flow.heap_idx */
};

/* Room for `more` pushes: 0 or -ENOMEM. A push needs the room (it cannot fail). */
int afm_heap_reserve(struct afm_heap *h, size_t more);
void afm_heap_push(struct afm_heap *h, struct afm_flow *f, uint64_t key);
void afm_heap_remove(struct afm_heap *h, struct afm_flow *f);
void afm_heap_rekey(struct afm_heap *h, struct afm_flow *f, uint64_t key);
static inline struct afm_flow *afm_heap_top(const struct afm_heap *h)
{
	return h->count ? h->items[0].flow : NULL;
}
static inline uint64_t afm_heap_key(const struct afm_heap *h, const struct afm_flow *f)
{
	return h->items[f->heap_idx[h->which]].key;
}
void afm_heap_free(struct afm_heap *h);

#endif
