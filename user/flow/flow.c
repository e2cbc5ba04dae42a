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
	struct afm_sample_chunk c;	/* followed by its AFM_CHUNK_FIRST samples */
};

/* the first chunk's header is part of the flow's own allocation: only its samples count */
#define FIRST_CHUNK_BYTES (AFM_CHUNK_FIRST * sizeof(struct afm_sample))
#define FLOW_BYTES (sizeof(struct flow_with_chunk) + FIRST_CHUNK_BYTES)

static size_t chunk_bytes(uint32_t cap)
{
	return sizeof(struct afm_sample_chunk) + (size_t)cap * sizeof(struct afm_sample);
}

struct afm_flow *afm_flow_new(const struct afm_flow_key *key, uint64_t hash)
{
	struct flow_with_chunk *fc = afm_pool_alloc(FLOW_BYTES);
	struct afm_flow *f;

	if (!fc)
		return NULL;
	f = &fc->f;
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->hash = hash;
	fc->c.next = NULL;
	fc->c.n = 0;
	fc->c.cap = AFM_CHUNK_FIRST;
	f->first = f->last = &fc->c;
	f->cap = AFM_CHUNK_FIRST;
	f->sample_bytes = FIRST_CHUNK_BYTES;
	return f;
}

int afm_flow_append(struct afm_flow *f, uint64_t ts_ns, uint32_t len_dir)
{
	struct afm_sample_chunk *c = f->last;

	if (c->n == c->cap) {
		uint32_t cap = f->cap / 2 < AFM_CHUNK_FIRST ? AFM_CHUNK_FIRST : f->cap / 2;

		if (cap > AFM_CHUNK_MAX)
			cap = AFM_CHUNK_MAX;
		if (f->cap + cap < f->cap)
			return -ENOMEM;
		size_t bytes = chunk_bytes(cap);

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
	c->n++;
	f->n++;
	return 0;
}

void afm_flow_free(struct afm_flow *f)
{
	if (!f)
		return;
	for (struct afm_sample_chunk *c = f->first->next, *next; c; c = next) {	/* the first is f's */
		next = c->next;
		afm_pool_free(c, chunk_bytes(c->cap));
	}
	afm_pool_free((struct flow_with_chunk *)(void *)f, FLOW_BYTES);
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
