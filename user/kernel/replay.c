// SPDX-License-Identifier: MIT
#include "kernel/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afm_parse.h"
#include "kernel/loader.h"

struct afm_replay_run {
	struct afm_kmeter *k;
	uint64_t sent;			/* packets given to the XDP program */
	uint64_t *ts;			/* capture time of each sequence number */
	struct afm_record *recs;	/* the sample of each sequence number, if one came */
	uint8_t *have;
	uint64_t cap;
	uint64_t received, duplicates, strays;
	uint8_t frame[AFM_REPLAY_FRAME_MAX];
};

static void on_event(void *ctx, const struct afm_event *ev)
{
	struct afm_replay_run *r = ctx;

	for (uint32_t i = 0; i < ev->n; i++) {
		uint64_t seq = ev->base + ev->s[i].stamp;

		if (seq >= r->sent) {
			r->strays++;
			continue;
		}
		if (r->have[seq]) {
			r->duplicates++;
			continue;
		}
		afm_kmeter_record(r->k, ev, i, &r->recs[seq]);
		r->recs[seq].ts_ns = r->ts[seq];
		r->have[seq] = 1;
		r->received++;
	}
}

int afm_replay_open(struct afm_replay_run **out, int detail, int outer_tunnels, char *err, size_t errlen)
{
	struct afm_replay_run *r = calloc(1, sizeof(*r));
	struct afm_kmeter_config cfg = {
		.replay = 1,
		.detail = detail,
		.outer_tunnels = outer_tunnels,
		.on_event = on_event,
	};
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cfg.ctx = r;
	ret = afm_kmeter_open(&r->k, &cfg, err, errlen);
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

static int reserve(struct afm_replay_run *r)
{
	if (r->sent < r->cap)
		return 0;
	uint64_t cap = r->cap ? r->cap * 2 : 65536;
	uint64_t *ts = realloc(r->ts, cap * sizeof(*ts));

	if (ts)
		r->ts = ts;
	struct afm_record *recs = realloc(r->recs, cap * sizeof(*recs));

	if (recs)
		r->recs = recs;
	uint8_t *have = realloc(r->have, cap);

	if (have)
		r->have = have;
	if (!ts || !recs || !have)
		return -ENOMEM;
	memset(r->have + r->cap, 0, cap - r->cap);
	r->cap = cap;
	return 0;
}

int afm_replay_packet(struct afm_replay_run *r, const struct afm_packet *pkt, struct afm_counters *c, char *err,
		      size_t errlen)
{
	const int link = pkt->link;
	const uint8_t *data = pkt->data;
	uint32_t len = pkt->caplen;
	uint16_t eth_proto;
	int32_t l3_delta = 0;
	int v;

	/* The XDP program sees Ethernet: other link headers are rewritten as one. */
	if (link != AFM_LINK_ETHERNET) {
		struct afm_cursor l3 = { pkt->data, pkt->data + pkt->caplen };

		v = afm_parse_link(&l3, link, &eth_proto);
		if (v != AFM_OK) {
			c->skipped[v]++;
			return 0;
		}
		len = (uint32_t)(pkt->data + pkt->caplen - l3.p);
		l3_delta = (int32_t)(l3.p - pkt->data) - AFM_ETH_HLEN;
		if (len > sizeof(r->frame) - AFM_ETH_HLEN)
			len = sizeof(r->frame) - AFM_ETH_HLEN;
		memset(r->frame, 0, AFM_ETH_PROTO);
		r->frame[AFM_ETH_PROTO] = (uint8_t)(eth_proto >> 8);
		r->frame[AFM_ETH_PROTO + 1] = (uint8_t)eth_proto;
		memcpy(r->frame + AFM_ETH_HLEN, l3.p, len);
		data = r->frame;
		len += AFM_ETH_HLEN;
	} else if (len > sizeof(r->frame)) {
		len = sizeof(r->frame);	/* headers are well within the first 3000 bytes */
	}
	if (len < AFM_ETH_HLEN) {	/* test runs need an Ethernet header; the parser would say this */
		c->skipped[AFM_SKIP_TRUNCATED]++;
		return 0;
	}
	if (reserve(r) != 0) {
		snprintf(err, errlen, "out of memory after %llu replayed packets", (unsigned long long)r->sent);
		return -ENOMEM;
	}

	struct afm_replay rp = { .ts_ns = pkt->ts_ns, .seq = r->sent, .wire_len = pkt->wire_len,
				 .l3_delta = l3_delta, .ifindex = pkt->iface };
	int ret;

	r->ts[r->sent] = pkt->ts_ns;
	r->have[r->sent] = 0;
	ret = afm_kmeter_replay(r->k, data, len, &rp);
	if (ret) {
		snprintf(err, errlen, "BPF_PROG_TEST_RUN of the XDP program failed: %s", strerror(-ret));
		return ret;
	}
	r->sent++;
	if ((r->sent & 1023) == 0)
		afm_kmeter_poll(r->k, 0);
	return 0;
}

int afm_replay_finish(struct afm_replay_run *r, struct afm_engine *e, struct afm_counters *c, char *err,
		      size_t errlen)
{
	struct afm_kcounters kc;
	int ret;

	/* Every event in, then every batch still waiting in a table. */
	ret = afm_kmeter_drain(r->k);
	if (ret) {
		snprintf(err, errlen, "cannot read the BPF flow table: %s", strerror(-ret));
		return ret;
	}
	ret = afm_kmeter_counters(r->k, &kc);
	if (ret) {
		snprintf(err, errlen, "cannot read the BPF counters: %s", strerror(-ret));
		return ret;
	}
	for (int v = 1; v < AFM_VERDICT_COUNT; v++)
		c->skipped[v] += kc.skipped[v];
	c->lost[AFM_LOST_RINGBUF] += kc.lost_ringbuf;
	if (r->duplicates || r->strays || kc.packets != r->sent) {
		snprintf(err, errlen,
			 "replay accounting is off: %llu sent, %llu seen by the kernel, %llu duplicate and %llu "
			 "stray samples", (unsigned long long)r->sent, (unsigned long long)kc.packets,
			 (unsigned long long)r->duplicates, (unsigned long long)r->strays);
		return -EPROTO;
	}
	for (uint64_t seq = 0; seq < r->sent; seq++) {
		if (!r->have[seq])
			continue;
		if (afm_engine_packet(e, &r->recs[seq]) == 0)
			c->metered++;
		else
			c->lost[AFM_LOST_NO_MEMORY]++;
	}
	return 0;
}

void afm_replay_close(struct afm_replay_run *r)
{
	if (!r)
		return;
	afm_kmeter_close(r->k);
	free(r->ts);
	free(r->recs);
	free(r->have);
	free(r);
}
