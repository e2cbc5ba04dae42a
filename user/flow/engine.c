// SPDX-License-Identifier: MIT
#include "flow/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "afm_key.h"
#include "flow/chains.h"

struct afm_frag_entry {
	struct afm_flow_key ident;	/* first: VLANs, src, dst, protocol, fragment ID */
	uint64_t hash;
	struct afm_flow_key key;	/* the first fragment's flow key and direction */
	uint8_t dir;
	uint64_t created;		/* capture clock when the first fragment came */
	struct afm_frag_entry *older, *newer;
};

int afm_engine_init(struct afm_engine *e, const struct afm_engine_config *cfg, afm_flow_sink sink,
		    void *sink_ctx)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->activity.which = 1;
	e->sink = sink;
	e->sink_ctx = sink_ctx;
	if (afm_keymap_init(&e->flows, 1 << 14) != 0)
		return -ENOMEM;
	if (afm_keymap_init(&e->frags, 256) != 0 || (cfg->detail && afm_chains_init(e) != 0)) {
		afm_keymap_free(&e->flows);
		afm_keymap_free(&e->frags);
		return -ENOMEM;
	}
	return 0;
}

uint64_t afm_engine_open_flows(const struct afm_engine *e)
{
	return e->flows.count;
}

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* The flow's deadline: the earliest of its rules (docs/METERING.md, 3). */
static uint64_t flow_deadline(const struct afm_engine *e, const struct afm_flow *f, int *reason)
{
	uint64_t idle = (f->key.flags & AFM_KEY_DNS) ? e->cfg.dns_idle_ns : e->cfg.idle_ns;
	uint64_t d = sat_add(f->last_ns, idle), a = sat_add(f->first_ns, e->cfg.active_ns);
	int why = AFM_END_IDLE;

	if (a <= d) {	/* on equal deadlines: active before idle */
		d = a;
		why = AFM_END_ACTIVE;
	}
	if (f->closed) {
		uint64_t c = sat_add(f->close_ns, e->cfg.linger_ns);

		if (c < d)
			d = c;
	}
	if (reason)
		*reason = why;	/* a closed flow ends as fin or rst all the same: end_flow() */
	return d;
}

/* A connection closed by FIN or RST ends as fin or rst, whatever ends its row. */
static void end_flow(struct afm_engine *e, struct afm_flow *f, int reason)
{
	if (f->closed)
		reason = f->closed - 1;
	afm_keymap_del(&e->flows, f, f->hash);
	afm_heap_remove(&e->deadlines, f);
	afm_heap_remove(&e->activity, f);
	e->sample_bytes += f->sample_bytes;
	e->samples += f->n;
	if (f->older)
		f->older->newer = f->newer;
	else
		e->oldest = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		e->newest = f->older;
	f->older = f->newer = NULL;
	f->end_reason = (uint8_t)reason;
	if (e->cfg.detail && reason == AFM_END_ACTIVE)
		afm_chains_remember(e, f);
	e->sink(e->sink_ctx, f);
}

/* End, in deadline order, every flow whose deadline is strictly before now. */
static void expire(struct afm_engine *e, uint64_t now)
{
	struct afm_flow *f;

	while ((f = afm_heap_top(&e->deadlines)) && e->deadlines.items[0].key < now) {
		int reason;
		uint64_t d = flow_deadline(e, f, &reason);

		if (d != e->deadlines.items[0].key) {	/* the heap held a stale lower bound */
			afm_heap_rekey(&e->deadlines, f, d);
			continue;
		}
		end_flow(e, f, reason);
	}
}

static void expire_frags(struct afm_engine *e)
{
	struct afm_frag_entry *x;

	while ((x = e->frag_oldest) && x->created + AFM_FRAG_TIMEOUT_NS < e->clock) {
		afm_keymap_del(&e->frags, x, x->hash);
		e->frag_oldest = x->newer;
		if (x->newer)
			x->newer->older = NULL;
		else
			e->frag_newest = NULL;
		free(x);
	}
}

static void frag_remember(struct afm_engine *e, const struct afm_record *rec)
{
	struct afm_frag_entry *x, *old;

	/* Without memory, later fragments fall back to ports 0: still metered. */
	if (afm_keymap_reserve(&e->frags, 1) != 0 || !(x = malloc(sizeof(*x))))
		return;
	afm_frag_ident(rec, &x->ident);
	x->hash = afm_key_hash(&x->ident);
	x->key = rec->key;
	x->dir = rec->dir;
	x->created = e->clock;
	old = afm_keymap_get(&e->frags, &x->ident, x->hash);
	if (old) {	/* a newer first fragment of the same identity replaces it */
		afm_keymap_del(&e->frags, old, old->hash);
		if (old->older)
			old->older->newer = old->newer;
		else
			e->frag_oldest = old->newer;
		if (old->newer)
			old->newer->older = old->older;
		else
			e->frag_newest = old->older;
		free(old);
	}
	afm_keymap_put(&e->frags, x, x->hash);
	x->newer = NULL;
	x->older = e->frag_newest;
	if (e->frag_newest)
		e->frag_newest->newer = x;
	else
		e->frag_oldest = x;
	e->frag_newest = x;
}

static const struct afm_frag_entry *frag_lookup(struct afm_engine *e, const struct afm_record *rec)
{
	struct afm_flow_key id;

	afm_frag_ident(rec, &id);
	return afm_keymap_get(&e->frags, &id, afm_key_hash(&id));
}

/*
 * --max-flows: end the least recently active flow (oldest last packet; the oldest
 * flow on a tie). The activity heap holds lower bounds of the flows' last packet
 * times, brought up to date when they reach the top.
 */
static void evict_one(struct afm_engine *e)
{
	struct afm_flow *f;

	while ((f = afm_heap_top(&e->activity))) {
		if (e->activity.items[0].key != f->last_ns) {
			afm_heap_rekey(&e->activity, f, f->last_ns);
			continue;
		}
		e->evicted++;
		end_flow(e, f, AFM_END_EVICTED);
		return;
	}
}

/* Flag counts and the handshake (docs/COLUMNS.md), one TCP packet at a time. */
static void track_tcp(struct afm_flow *f, const struct afm_record *rec, uint8_t dir, uint64_t ts)
{
	const uint8_t flags = rec->tcp_flags, syn_ack = flags & (AFM_TCP_SYN | AFM_TCP_ACK);
	const int from_src = dir == f->src_ep;

	for (unsigned b = flags; b; b &= b - 1)
		f->flags[dir][__builtin_ctz(b)]++;
	if (f->handshake == AFM_HS_NONE && from_src && syn_ack == AFM_TCP_SYN) {
		f->syn_ns = ts;
		f->handshake = AFM_HS_SYN;
	} else if (f->handshake == AFM_HS_SYN && !from_src && syn_ack == (AFM_TCP_SYN | AFM_TCP_ACK)) {
		f->handshake = AFM_HS_SYNACK;
	} else if (f->handshake == AFM_HS_SYNACK && from_src && syn_ack == AFM_TCP_ACK) {
		f->ack_ns = ts;
		f->handshake = AFM_HS_ACK;
	}
	if (f->handshake == AFM_HS_ACK && rec->payload) {	/* the final ACK itself may carry data */
		f->data_ns = ts;
		f->handshake = AFM_HS_DATA;
	}
}

static struct afm_flow *flow_start(struct afm_engine *e, const struct afm_flow_key *key, uint64_t hash,
				   const struct afm_record *rec, uint8_t dir)
{
	struct afm_flow *f;

	/* Room first: once the flow exists, nothing can fail. */
	if (afm_keymap_reserve(&e->flows, 1) != 0 || afm_heap_reserve(&e->deadlines, 1) != 0 ||
	    afm_heap_reserve(&e->activity, 1) != 0 || !(f = afm_flow_new(key, hash, e->cfg.detail)))
		return NULL;
	if (key->tunnel[0] && !(f->tunnel = calloc(1, sizeof(*f->tunnel)))) {
		afm_flow_free(f);
		return NULL;
	}
	f->seq = e->next_seq++;
	f->first_ns = f->last_ns = rec->ts_ns;
	if (e->cfg.detail)
		afm_chains_take(e, f, rec->ts_ns);
	/* A SYN-ACK first means the SYN was missed: its destination is the client, and the
	 * handshake cannot be timed (docs/COLUMNS.md). */
	if (key->proto == AFM_IPPROTO_TCP &&
	    (rec->tcp_flags & (AFM_TCP_SYN | AFM_TCP_ACK)) == (AFM_TCP_SYN | AFM_TCP_ACK)) {
		f->src_ep = !dir;
		f->handshake = AFM_HS_MISSED;
	} else {
		f->src_ep = dir;
	}
	afm_keymap_put(&e->flows, f, hash);
	afm_heap_push(&e->deadlines, f, flow_deadline(e, f, NULL));
	afm_heap_push(&e->activity, f, f->last_ns);
	f->older = e->newest;
	if (e->newest)
		e->newest->newer = f;
	else
		e->oldest = f;
	e->newest = f;
	return f;
}

/* What the CIC schemas keep of a packet of the flow keyed key (docs/CIC.md, "Terms"). */
static void sample_detail(const struct afm_flow_key *key, const struct afm_record *rec, uint32_t ip_octets,
			  struct afm_sample_detail *d)
{
	const int tcp = key->proto == AFM_IPPROTO_TCP;

	d->seq = rec->tcp_seq;
	d->ack = rec->tcp_ack;
	d->payload = (tcp || key->proto == AFM_IPPROTO_UDP) && ip_octets > rec->headers ? ip_octets - rec->headers : 0;
	d->window = afm_l4_word(rec, key->proto);
	d->l4_hlen = rec->l4_hlen;
	d->pad = 0;
}

/* The packet; hint is afm_key_hash(&rec->key) when the caller has it, else 0. */
static int engine_packet(struct afm_engine *e, const struct afm_record *rec, uint64_t hint)
{
	const struct afm_flow_key *key = &rec->key;
	uint8_t dir = rec->dir;
	uint64_t ts = rec->ts_ns;

	if (ts > e->clock)
		e->clock = ts;
	expire(e, e->clock);
	if (e->cfg.detail)
		afm_chains_expire(e);

	if (rec->frag == AFM_FRAG_FIRST) {
		expire_frags(e);
		frag_remember(e, rec);
	} else if (rec->frag == AFM_FRAG_LATER) {
		const struct afm_frag_entry *x;

		expire_frags(e);
		x = frag_lookup(e, rec);
		if (x) {
			key = &x->key;
			dir = x->dir;
			e->frag_later_matched++;
		} else {
			e->frag_later_unmatched++;
		}
	}

	uint64_t hash = key == &rec->key && hint ? hint : afm_key_hash(key);
	struct afm_flow *f = afm_keymap_get(&e->flows, key, hash);
	uint8_t flags = rec->tcp_flags;
	int tcp = key->proto == AFM_IPPROTO_TCP;

	/* A new connection on a closed flow's key: the old flow is done now. */
	if (f && f->closed && tcp && (flags & (AFM_TCP_SYN | AFM_TCP_ACK)) == AFM_TCP_SYN) {
		end_flow(e, f, AFM_END_FIN);
		f = NULL;
	}
	int first = !f;

	if (!f) {
		if (e->cfg.max_flows && e->flows.count >= e->cfg.max_flows)
			evict_one(e);
		f = flow_start(e, key, hash, rec, dir);
		if (!f)
			return -ENOMEM;
		if (e->flows.count > e->open_max)
			e->open_max = e->flows.count;
	}
	if (f->tunnel)
		afm_tunnel_take(f->tunnel, rec, first);

	uint32_t len = rec->wire_len > AFM_SAMPLE_LEN_MAX ? AFM_SAMPLE_LEN_MAX : rec->wire_len;
	uint32_t ip_octets = afm_ip_octets(rec);
	struct afm_sample_detail detail;

	if (f->detailed)
		sample_detail(key, rec, ip_octets, &detail);
	if (afm_flow_append(f, ts, len | (dir != f->src_ep ? AFM_SAMPLE_SENDING : 0), f->detailed ? &detail : NULL) != 0)
		return -ENOMEM;
	f->ip_bytes[dir & 1] += ip_octets;

	int earlier_deadline = 0;

	if (ts > f->last_ns)
		f->last_ns = ts;
	if (ts < f->first_ns) {	/* a capture out of time order can pull the start back */
		f->first_ns = ts;
		earlier_deadline = 1;
	}
	if (tcp) {
		if (rec->http_status >= 200 && rec->http_status <= 299)
			f->success++;
		track_tcp(f, rec, dir, ts);
	}
	if (tcp && !f->closed) {
		if (flags & AFM_TCP_FIN)
			f->fin_mask |= (uint8_t)(1u << dir);
		if (flags & AFM_TCP_RST)
			f->closed = AFM_END_RST + 1;
		else if (f->fin_mask == 3)
			f->closed = AFM_END_FIN + 1;
		if (f->closed) {
			f->close_ns = ts;
			earlier_deadline = 1;
		}
	}
	if (earlier_deadline) {
		uint64_t d = flow_deadline(e, f, NULL);

		if (d < afm_heap_key(&e->deadlines, f))
			afm_heap_rekey(&e->deadlines, f, d);
	}
	return 0;
}

int afm_engine_packet(struct afm_engine *e, const struct afm_record *rec)
{
	return engine_packet(e, rec, 0);
}

int afm_engine_packets(struct afm_engine *e, const struct afm_record *recs, size_t n, uint64_t *lost)
{
	uint64_t hash[AFM_ENGINE_BATCH];
	size_t done = 0;

	/*
	 * Memory latency, not arithmetic, is the cost of a flow table: ask for every
	 * packet's table slot, then for every flow those slots name, before taking the
	 * packets one by one in order (the prefetches are only hints: the table may change
	 * while the batch is taken).
	 */
	for (size_t i = 0; i < n && i < AFM_ENGINE_BATCH; i++) {
		hash[i] = afm_key_hash(&recs[i].key);
		__builtin_prefetch(&e->flows.slots[hash[i] & e->flows.mask]);
	}
	for (size_t i = 0; i < n && i < AFM_ENGINE_BATCH; i++) {
		const struct afm_keymap_slot *slot = &e->flows.slots[hash[i] & e->flows.mask];

		if (slot->hash == hash[i]) {
			const struct afm_flow *f = slot->value;

			__builtin_prefetch(f);
			__builtin_prefetch((const char *)f + 64);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (engine_packet(e, &recs[i], i < AFM_ENGINE_BATCH ? hash[i] : 0) != 0)
			(*lost)++;
		else
			done++;
	}
	return (int)done;
}

void afm_engine_advance(struct afm_engine *e, uint64_t now_ns)
{
	if (now_ns > e->clock)
		e->clock = now_ns;
	expire(e, e->clock);
	expire_frags(e);
	if (e->cfg.detail)
		afm_chains_expire(e);
}

void afm_engine_flush(struct afm_engine *e, int reason)
{
	while (e->oldest)
		end_flow(e, e->oldest, reason);
}

uint64_t afm_engine_end_interface(struct afm_engine *e, uint32_t ifindex, int reason)
{
	struct afm_flow *f = e->oldest, *next;
	uint64_t n = 0;

	for (; f; f = next) {
		next = f->newer;
		if (f->key.ifindex == ifindex) {
			end_flow(e, f, reason);
			n++;
		}
	}
	return n;
}

void afm_engine_free(struct afm_engine *e)
{
	afm_engine_flush(e, AFM_END_SHUTDOWN);
	while (e->frag_oldest) {
		struct afm_frag_entry *x = e->frag_oldest;

		e->frag_oldest = x->newer;
		free(x);
	}
	if (e->cfg.detail)
		afm_chains_free(e);
	afm_keymap_free(&e->flows);
	afm_keymap_free(&e->frags);
	afm_heap_free(&e->deadlines);
	afm_heap_free(&e->activity);
}
