// SPDX-License-Identifier: MIT
#include "flow/flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/pool.h"

static const char *const end_names[AFM_END_COUNT] = {
	[AFM_END_FIN] = "fin",	   [AFM_END_RST] = "rst",	    [AFM_END_IDLE] = "idle",
	[AFM_END_ACTIVE] = "active", [AFM_END_EOF] = "eof",	    [AFM_END_SHUTDOWN] = "shutdown",
	[AFM_END_EVICTED] = "evicted",
};

const char *afm_end_reason_name(int reason)
{
	return reason >= 0 && reason < AFM_END_COUNT ? end_names[reason] : "unknown";
}

/* A flow and its first chunk in one allocation: most flows need no other. */
struct flow_with_chunk {
	struct afm_flow f;
	struct afm_sample_chunk c;	/* followed by its AFM_CHUNK_FIRST samples (and details) */
};

/* One packet's bytes in a chunk. */
static size_t per_sample(int detailed)
{
	return sizeof(struct afm_sample) + (detailed ? sizeof(struct afm_sample_detail) : 0);
}

/* the first chunk's header is part of the flow's own allocation: only its samples count */
static size_t first_chunk_bytes(int detailed)
{
	return AFM_CHUNK_FIRST * per_sample(detailed);
}

static size_t flow_bytes(int detailed)
{
	return sizeof(struct flow_with_chunk) + first_chunk_bytes(detailed);
}

static size_t chunk_bytes(uint32_t cap, int detailed)
{
	return sizeof(struct afm_sample_chunk) + (size_t)cap * per_sample(detailed);
}

struct afm_flow *afm_flow_new(const struct afm_flow_key *key, uint64_t hash, int detailed)
{
	struct flow_with_chunk *fc = afm_pool_alloc(flow_bytes(detailed));
	struct afm_flow *f;

	if (!fc)
		return NULL;
	f = &fc->f;
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->hash = hash;
	f->detailed = detailed != 0;
	fc->c.next = NULL;
	fc->c.n = 0;
	fc->c.cap = AFM_CHUNK_FIRST;
	f->first = f->last = &fc->c;
	f->cap = AFM_CHUNK_FIRST;
	f->sample_bytes = first_chunk_bytes(detailed);
	return f;
}

int afm_flow_append(struct afm_flow *f, uint64_t ts_ns, uint32_t len_dir, const struct afm_sample_detail *d)
{
	struct afm_sample_chunk *c = f->last;

	if (c->n == c->cap) {
		uint32_t cap = f->cap / 2 < AFM_CHUNK_FIRST ? AFM_CHUNK_FIRST : f->cap / 2;
		uint32_t max = f->detailed ? AFM_CHUNK_MAX_DETAIL : AFM_CHUNK_MAX;

		if (cap > max)
			cap = max;
		if (f->cap + cap < f->cap)
			return -ENOMEM;
		size_t bytes = chunk_bytes(cap, f->detailed);

		c = afm_pool_alloc(bytes);
		if (!c)
			return -ENOMEM;
		c->next = NULL;
		c->n = 0;
		c->cap = cap;
		f->last->next = c;
		f->last = c;
		f->cap += cap;
		f->sample_bytes += bytes;
	}
	c->s[c->n].ts_ns = ts_ns;
	c->s[c->n].len_dir = len_dir;
	if (f->detailed && d)
		afm_chunk_details(c)[c->n] = *d;
	c->n++;
	f->n++;
	return 0;
}

void afm_flow_free(struct afm_flow *f)
{
	if (!f)
		return;
	free(f->tunnel);
	for (struct afm_sample_chunk *c = f->first->next, *next; c; c = next) {	/* the first is f's */
		next = c->next;
		afm_pool_free(c, chunk_bytes(c->cap, f->detailed));
	}
	afm_pool_free((struct flow_with_chunk *)(void *)f, flow_bytes(f->detailed));
}

const struct afm_sample *afm_flow_sample(const struct afm_flow *f, uint32_t i)
{
	for (const struct afm_sample_chunk *c = f->first; c; c = c->next) {
		if (i < c->n)
			return &c->s[i];
		i -= c->n;
	}
	return NULL;
}
