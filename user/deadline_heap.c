// SPDX-License-Identifier: MIT
#include "deadline_heap.h"

#include <errno.h>
#include <stdlib.h>

/* The keys live in the heap array, so sifting does not touch the flows' memory. */
static inline int before(const struct afm_heap_item *a, const struct afm_heap_item *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static inline void place(struct afm_heap *h, size_t i, struct afm_heap_item it)
{
	h->items[i] = it;
	it.flow->heap_idx = (uint32_t)i;
}

static void sift_up(struct afm_heap *h, size_t i)
{
	struct afm_heap_item it = h->items[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(&it, &h->items[parent]))
			break;
		place(h, i, h->items[parent]);
		i = parent;
	}
	place(h, i, it);
}

static void sift_down(struct afm_heap *h, size_t i)
{
	struct afm_heap_item it = h->items[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->count)
			break;
		if (child + 1 < h->count && before(&h->items[child + 1], &h->items[child]))
			child++;
		if (!before(&h->items[child], &it))
			break;
		place(h, i, h->items[child]);
		i = child;
	}
	place(h, i, it);
}

int afm_heap_push(struct afm_heap *h, struct afm_flow *f)
{
	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct afm_heap_item *items = realloc(h->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		h->items = items;
		h->cap = cap;
	}
	h->items[h->count] = (struct afm_heap_item){ f->heap_deadline, f->seq, f };
	sift_up(h, h->count++);
	return 0;
}

void afm_heap_update(struct afm_heap *h, struct afm_flow *f)
{
	h->items[f->heap_idx].deadline = f->heap_deadline;
	sift_up(h, f->heap_idx);
	sift_down(h, f->heap_idx);
}

void afm_heap_remove(struct afm_heap *h, struct afm_flow *f)
{
	size_t i = f->heap_idx;

	if (i != --h->count) {
		struct afm_flow *moved = h->items[h->count].flow;

		place(h, i, h->items[h->count]);
		sift_up(h, i);
		if (moved->heap_idx == i)
			sift_down(h, i);
	}
}

void afm_heap_free(struct afm_heap *h)
{
	free(h->items);
	h->items = NULL;
	h->count = h->cap = 0;
}
