// SPDX-License-Identifier: MIT
#include "deadline_heap.h"

#include <errno.h>
#include <stdlib.h>

static inline int before(const struct afm_flow *a, const struct afm_flow *b)
{
	if (a->heap_deadline != b->heap_deadline)
		return a->heap_deadline < b->heap_deadline;
	return a->seq < b->seq;
}

static inline void place(struct afm_heap *h, size_t i, struct afm_flow *f)
{
	h->items[i] = f;
	f->heap_idx = (uint32_t)i;
}

static void sift_up(struct afm_heap *h, size_t i)
{
	struct afm_flow *f = h->items[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(f, h->items[parent]))
			break;
		place(h, i, h->items[parent]);
		i = parent;
	}
	place(h, i, f);
}

static void sift_down(struct afm_heap *h, size_t i)
{
	struct afm_flow *f = h->items[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->count)
			break;
		if (child + 1 < h->count && before(h->items[child + 1], h->items[child]))
			child++;
		if (!before(h->items[child], f))
			break;
		place(h, i, h->items[child]);
		i = child;
	}
	place(h, i, f);
}

int afm_heap_push(struct afm_heap *h, struct afm_flow *f)
{
	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct afm_flow **items = realloc(h->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		h->items = items;
		h->cap = cap;
	}
	place(h, h->count++, f);
	sift_up(h, h->count - 1);
	return 0;
}

void afm_heap_update(struct afm_heap *h, struct afm_flow *f)
{
	sift_up(h, f->heap_idx);
	sift_down(h, f->heap_idx);
}

void afm_heap_remove(struct afm_heap *h, struct afm_flow *f)
{
	size_t i = f->heap_idx;
	struct afm_flow *last = h->items[--h->count];

	if (i == h->count)
		return;
	place(h, i, last);
	afm_heap_update(h, last);
}

void afm_heap_free(struct afm_heap *h)
{
	free(h->items);
	h->items = NULL;
	h->count = h->cap = 0;
}
