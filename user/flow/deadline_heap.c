// SPDX-License-Identifier: MIT
#include "flow/deadline_heap.h"

#include <errno.h>
#include <stdlib.h>

/* The keys live in the heap array, so comparing does not touch the flows' memory. */
static inline int before(const struct afm_heap_item *a, const struct afm_heap_item *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->seq < b->seq;
}

static inline void place(struct afm_heap *h, size_t i, struct afm_heap_item it)
{
	h->items[i] = it;
	it.flow->heap_idx[h->which] = (uint32_t)i;
}

/*
 * A 4-ary heap: half the levels of a binary one, so half the flows whose heap_idx a
 * sift rewrites (each a cache miss); the four children sit in one or two cache lines.
 */
#define ARITY 4

static void sift_up(struct afm_heap *h, size_t i)
{
	struct afm_heap_item it = h->items[i];

	while (i > 0) {
		size_t parent = (i - 1) / ARITY;

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
		size_t first = ARITY * i + 1, best = first;

		if (first >= h->count)
			break;
		size_t last = first + ARITY < h->count ? first + ARITY : h->count;

		for (size_t c = first + 1; c < last; c++)
			if (before(&h->items[c], &h->items[best]))
				best = c;
		if (!before(&h->items[best], &it))
			break;
		place(h, i, h->items[best]);
		i = best;
	}
	place(h, i, it);
}

int afm_heap_reserve(struct afm_heap *h, size_t more)
{
	if (h->count + more <= h->cap)
		return 0;
	size_t cap = h->cap ? h->cap : 1024;

	while (cap < h->count + more)
		cap *= 2;
	struct afm_heap_item *items = realloc(h->items, cap * sizeof(*items));

	if (!items)
		return -ENOMEM;
	h->items = items;
	h->cap = cap;
	return 0;
}

void afm_heap_push(struct afm_heap *h, struct afm_flow *f, uint64_t key)
{
	h->items[h->count] = (struct afm_heap_item){ key, f->seq, f };
	sift_up(h, h->count++);
}

void afm_heap_rekey(struct afm_heap *h, struct afm_flow *f, uint64_t key)
{
	uint32_t i = f->heap_idx[h->which];

	h->items[i].key = key;
	sift_up(h, i);
	sift_down(h, f->heap_idx[h->which]);
}

void afm_heap_remove(struct afm_heap *h, struct afm_flow *f)
{
	size_t i = f->heap_idx[h->which];

	if (i != --h->count) {
		struct afm_flow *moved = h->items[h->count].flow;

		place(h, i, h->items[h->count]);
		sift_up(h, i);
		if (moved->heap_idx[h->which] == i)
			sift_down(h, i);
	}
}

void afm_heap_free(struct afm_heap *h)
{
	free(h->items);
	h->items = NULL;
	h->count = h->cap = 0;
}
