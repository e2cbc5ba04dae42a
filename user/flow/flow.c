// SPDX-License-Identifier: MIT
#include "flow/flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const end_names[AFM_END_COUNT] = {
	[AFM_END_FIN] = "fin",	   [AFM_END_RST] = "rst",	    [AFM_END_IDLE] = "idle",
	[AFM_END_ACTIVE] = "active", [AFM_END_EOF] = "eof",	    [AFM_END_SHUTDOWN] = "shutdown",
	[AFM_END_EVICTED] = "evicted",
};

const char *afm_end_reason_name(int reason)
{
	return reason >= 0 && reason < AFM_END_COUNT ? end_names[reason] : "unknown";
}

struct afm_flow *afm_flow_new(const struct afm_flow_key *key, uint64_t hash)
{
	struct afm_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->key = *key;
	f->hash = hash;
	return f;
}

int afm_flow_append(struct afm_flow *f, uint64_t ts_ns, uint32_t len_dir)
{
	if (f->n == f->cap) {
		/* Grow by half: at most a third of the sample memory is slack. */
		uint32_t cap = f->cap < 4 ? 4 : f->cap + f->cap / 2;
		struct afm_sample *s;

		if (cap < f->cap)
			return -ENOMEM;
		s = realloc(f->samples, (size_t)cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		f->samples = s;
		f->cap = cap;
	}
	f->samples[f->n].ts_ns = ts_ns;
	f->samples[f->n].len_dir = len_dir;
	f->n++;
	return 0;
}

void afm_flow_free(struct afm_flow *f)
{
	if (!f)
		return;
	free(f->samples);
	free(f);
}
