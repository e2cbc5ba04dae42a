// SPDX-License-Identifier: MIT
#include "flow/chains.h"

#include <errno.h>
#include <stdlib.h>

struct afm_chain_entry {
	struct afm_flow_key key;	/* first: the key map compares it here */
	uint64_t hash;
	uint64_t first_ns;		/* the connection's first packet */
	uint64_t until;			/* the ended flow's last packet + its idle timeout */
	struct afm_chain_entry *older, *newer;
};

int afm_chains_init(struct afm_engine *e)
{
	return afm_keymap_init(&e->chains, 64);
}

static void unlink_entry(struct afm_engine *e, struct afm_chain_entry *x)
{
	afm_keymap_del(&e->chains, x, x->hash);
	if (x->older)
		x->older->newer = x->newer;
	else
		e->chain_oldest = x->newer;
	if (x->newer)
		x->newer->older = x->older;
	else
		e->chain_newest = x->older;
	free(x);
}

void afm_chains_remember(struct afm_engine *e, const struct afm_flow *f)
{
	uint64_t idle = (f->key.flags & AFM_KEY_DNS) ? e->cfg.dns_idle_ns : e->cfg.idle_ns;
	struct afm_chain_entry *x, *old;

	/* Without memory, the next flow starts a connection of its own: still metered. */
	if (afm_keymap_reserve(&e->chains, 1) != 0 || !(x = malloc(sizeof(*x))))
		return;
	x->key = f->key;
	x->hash = f->hash;
	x->first_ns = f->chained ? f->chain_first_ns : f->first_ns;
	x->until = f->last_ns + idle < f->last_ns ? UINT64_MAX : f->last_ns + idle;
	old = afm_keymap_get(&e->chains, &x->key, x->hash);
	if (old)
		unlink_entry(e, old);
	afm_keymap_put(&e->chains, x, x->hash);
	x->newer = NULL;
	x->older = e->chain_newest;
	if (e->chain_newest)
		e->chain_newest->newer = x;
	else
		e->chain_oldest = x;
	e->chain_newest = x;
}

void afm_chains_take(struct afm_engine *e, struct afm_flow *f, uint64_t ts)
{
	struct afm_chain_entry *x = afm_keymap_get(&e->chains, &f->key, f->hash);

	if (!x)
		return;
	if (ts <= x->until) {
		f->chained = 1;
		f->chain_first_ns = x->first_ns;
	}
	unlink_entry(e, x);	/* the key's next flow has come: continued or not, it is done */
}

void afm_chains_expire(struct afm_engine *e)
{
	while (e->chain_oldest && e->chain_oldest->until < e->clock)
		unlink_entry(e, e->chain_oldest);
}

void afm_chains_free(struct afm_engine *e)
{
	while (e->chain_oldest)
		unlink_entry(e, e->chain_oldest);
	afm_keymap_free(&e->chains);
}
