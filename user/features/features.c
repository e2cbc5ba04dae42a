// SPDX-License-Identifier: MIT
#include "features/features.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int scratch_reserve(struct afm_scratch *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 1024;

	while (cap < n)
		cap *= 2;
	afm_scratch_free(s);
	s->rx = malloc(cap * sizeof(*s->rx));
	s->tx = malloc(cap * sizeof(*s->tx));
	s->timed_tmp = malloc(cap * sizeof(*s->timed_tmp));
	s->values = malloc(cap * sizeof(*s->values));
	s->tmp = malloc(cap * sizeof(*s->tmp));
	s->lens = malloc(cap * sizeof(*s->lens));
	if (!s->rx || !s->tx || !s->timed_tmp || !s->values || !s->tmp || !s->lens) {
		afm_scratch_free(s);
		return -ENOMEM;
	}
	s->cap = cap;
	return 0;
}

void afm_scratch_free(struct afm_scratch *s)
{
	free(s->rx);
	free(s->tx);
	free(s->timed_tmp);
	free(s->values);
	free(s->tmp);
	free(s->lens);
	s->rx = s->tx = s->timed_tmp = NULL;
	s->values = s->tmp = s->lens = NULL;
	s->cap = 0;
	afm_cic_scratch_free(&s->cic);
}

/* Seconds since the epoch with all nine decimals. */
static void epoch_text(char *buf, uint64_t ns)
{
	size_t n = afm_fmt_u64(buf, ns / 1000000000ULL);
	uint64_t frac = ns % 1000000000ULL;

	buf[n] = '.';
	for (int i = 9; i >= 1; i--) {
		buf[n + (size_t)i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	buf[n + 10] = '\0';
}

static void vlan_text(char *buf, const struct afm_flow_key *k)
{
	size_t n = afm_fmt_u64(buf, k->vlan[0]);

	if (k->vlan[1]) {
		buf[n] = ':';
		afm_fmt_u64(buf + n + 1, k->vlan[1]);
	}
}

const char *afm_tunnel_name(int kind)
{
	static const char *const names[AFM_TUN_COUNT] = {
		[AFM_TUN_NONE] = "-",	  [AFM_TUN_VXLAN] = "vxlan", [AFM_TUN_GENEVE] = "geneve", [AFM_TUN_GRE] = "gre",
		[AFM_TUN_ERSPAN] = "erspan", [AFM_TUN_GTPU] = "gtpu",   [AFM_TUN_MPLS] = "mpls",	  [AFM_TUN_IPIP] = "ipip",
	};

	return kind >= 0 && kind < AFM_TUN_COUNT ? names[kind] : "unknown";
}

/* Columns 114-118 (docs/COLUMNS.md): "-" where there is nothing to say. */
static void tunnel_text(struct afm_row *row, const struct afm_flow *f)
{
	const struct afm_ktunnel *t = f->tunnel;
	size_t n = 0;

	strcpy(row->tunnel, "-");
	strcpy(row->tunnel_src, "-");
	strcpy(row->tunnel_dst, "-");
	strcpy(row->rx_tunnel_id, "-");
	strcpy(row->tx_tunnel_id, "-");
	if (!t)
		return;
	for (int i = 0; i < AFM_TUNNEL_MAX && f->key.tunnel[i]; i++) {
		const char *name = afm_tunnel_name(f->key.tunnel[i]);
		size_t len = strlen(name);

		if (i)
			row->tunnel[n++] = '+';
		memcpy(row->tunnel + n, name, len + 1);
		n += len;
	}
	if (t->outer_ver) {
		afm_fmt_addr(row->tunnel_src, t->outer[f->src_ep], t->outer_ver);
		afm_fmt_addr(row->tunnel_dst, t->outer[!f->src_ep], t->outer_ver);
	}
	if (t->has_id & (1u << f->src_ep))
		afm_fmt_u64(row->rx_tunnel_id, t->id[f->src_ep]);
	if (t->has_id & (1u << !f->src_ep))
		afm_fmt_u64(row->tx_tunnel_id, t->id[!f->src_ep]);
}

static const char *protocol_name(const struct afm_flow_key *k)
{
	if (k->port[0] == 80 || k->port[1] == 80)
		return "HTTP";
	if (k->port[0] == 443 || k->port[1] == 443)
		return "HTTPS";
	if (k->port[0] == 53 || k->port[1] == 53)
		return "DNS";
	return "Others";
}

/* count / span, 0 for fewer than 2 packets or a zero span (docs/COLUMNS.md). */
static double rate(uint64_t count, uint64_t span_ns)
{
	if (count < 2 || span_ns == 0)
		return 0;
	return (double)((long double)count * 1e9L / (long double)span_ns);
}

/* bytes / span for a direction with at least 2 packets; 0 for a zero span. */
static double byte_rate(uint64_t bytes, uint64_t span_ns)
{
	return span_ns ? (double)((long double)bytes * 1e9L / (long double)span_ns) : 0;
}

static int is_time_ordered(const struct afm_timed *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i].ts_ns < v[i - 1].ts_ns)
			return 0;
	return 1;
}

/*
 * One direction: rate, length, delta-length and delta-time statistics. Leaves the
 * direction's lengths sorted in lens[0..n).
 */
static void direction_features(struct afm_timed *v, size_t n, struct afm_scratch *s, int64_t *lens,
			       double *rate_out, struct afm_stats *len, struct afm_stats *dlen,
			       struct afm_stats *dtime)
{
	if (!is_time_ordered(v, n))
		afm_sort_timed(v, n, s->timed_tmp);
	*rate_out = n ? rate(n, v[n - 1].ts_ns - v[0].ts_ns) : 0;

	for (size_t i = 1; i < n; i++)
		s->values[i - 1] = v[i].len - v[i - 1].len;
	afm_stats_compute(s->values, n ? n - 1 : 0, s->tmp, 0, dlen);
	for (size_t i = 1; i < n; i++)
		s->values[i - 1] = (int64_t)(v[i].ts_ns - v[i - 1].ts_ns);
	afm_stats_compute(s->values, n ? n - 1 : 0, s->tmp, -9, dtime);
	for (size_t i = 0; i < n; i++)
		lens[i] = v[i].len;
	afm_stats_compute(lens, n, s->tmp, 0, len);
}

/*
 * The first n packets in time order (equal times in arrival order), each with its
 * direction, length and time since the packet before. When the samples are not in time
 * order (a capture can be out of order), all of them are sorted in scratch first.
 */
static void first_packets(const struct afm_flow *f, unsigned n, struct afm_first_packets *out,
			  struct afm_scratch *s)
{
	const struct afm_timed *v = s->timed_tmp;
	size_t k = 0, ordered = 1;
	uint64_t prev = 0;

	for (const struct afm_sample_chunk *c = f->first; c; c = c->next)
		for (uint32_t i = 0; i < c->n; i++) {
			ordered &= c->s[i].ts_ns >= prev;
			prev = c->s[i].ts_ns;
			s->timed_tmp[k++] = (struct afm_timed){ c->s[i].ts_ns, (int64_t)c->s[i].len_dir };
		}
	if (!ordered)
		afm_sort_timed(s->timed_tmp, k, s->rx);
	out->n = (uint32_t)(k < n ? k : n);
	for (uint32_t i = 0; i < out->n; i++) {
		uint32_t len_dir = (uint32_t)v[i].len;

		out->sending[i] = (len_dir & AFM_SAMPLE_SENDING) != 0;
		out->len[i] = len_dir & AFM_SAMPLE_LEN_MAX;
		out->piat_ns[i] = i ? v[i].ts_ns - v[i - 1].ts_ns : 0;
	}
}

int afm_features_compute(const struct afm_flow *f, struct afm_row *row, struct afm_scratch *s,
			 const struct afm_features_config *cfg)
{
	const struct afm_flow_key *k = &f->key;
	size_t nrx = 0, ntx = 0;

	if (scratch_reserve(s, f->n) != 0)
		return -ENOMEM;

	afm_fmt_time(row->timestamp, f->first_ns);
	afm_fmt_addr(row->src_ip, k->addr[f->src_ep], k->ip_version);
	afm_fmt_addr(row->dst_ip, k->addr[!f->src_ep], k->ip_version);
	row->src_port = k->port[f->src_ep];
	row->dst_port = k->port[!f->src_ep];
	row->protocol = protocol_name(k);
	memcpy(row->src_addr, k->addr[f->src_ep], 16);
	memcpy(row->dst_addr, k->addr[!f->src_ep], 16);
	row->first_ns = f->first_ns;
	row->last_ns = f->last_ns;
	row->vlan[0] = k->vlan[0];
	row->vlan[1] = k->vlan[1];
	row->ifindex = k->ifindex;
	row->end_code = f->end_reason;

	for (const struct afm_sample_chunk *c = f->first; c; c = c->next)
		for (uint32_t i = 0; i < c->n; i++) {
			struct afm_timed t = { c->s[i].ts_ns, c->s[i].len_dir & AFM_SAMPLE_LEN_MAX };

			if (c->s[i].len_dir & AFM_SAMPLE_SENDING)
				s->tx[ntx++] = t;
			else
				s->rx[nrx++] = t;
		}

	uint64_t span = f->last_ns - f->first_ns;

	row->duration = (struct afm_dec){ span, -9, 0 };
	row->packets = f->n;
	row->rx_packets = nrx;
	row->tx_packets = ntx;
	row->success_packets = f->success;
	/* success_packets_rate: success count over the flow's duration (METERING.md, 4) */
	row->success_rate = rate(f->success, span);
	row->packets_rate = rate(f->n, span);

	/* Extended schema: bytes, byte rates, handshake, identity, flags, times. */
	row->rx_bytes = row->tx_bytes = 0;
	for (size_t i = 0; i < nrx; i++)
		row->rx_bytes += (uint64_t)s->rx[i].len;
	for (size_t i = 0; i < ntx; i++)
		row->tx_bytes += (uint64_t)s->tx[i].len;
	row->total_bytes = row->rx_bytes + row->tx_bytes;
	row->rx_ip_bytes = f->ip_bytes[f->src_ep];
	row->tx_ip_bytes = f->ip_bytes[!f->src_ep];
	row->len_rate = f->n < 2 || !span ? 0 : (double)((long double)row->total_bytes * 1e9L / span);
	row->handshake_duration = (struct afm_dec){
		f->handshake == AFM_HS_ACK || f->handshake == AFM_HS_DATA ? (int64_t)(f->ack_ns - f->syn_ns) : 0, -9, 0 };
	row->delta_start = (struct afm_dec){ f->handshake == AFM_HS_DATA ? (int64_t)(f->data_ns - f->ack_ns) : 0, -9, 0 };
	row->ip_version = k->ip_version;
	row->ip_protocol = k->proto;
	vlan_text(row->vlan_ids, k);
	tunnel_text(row, f);
	row->tcp_flags[0] = row->tcp_flags[1] = 0;
	for (int b = 0; b < 8; b++) {
		row->flags[0][b] = f->flags[f->src_ep][b];
		row->flags[1][b] = f->flags[!f->src_ep][b];
		row->tcp_flags[0] |= (uint8_t)((row->flags[0][b] != 0) << b);
		row->tcp_flags[1] |= (uint8_t)((row->flags[1][b] != 0) << b);
	}
	epoch_text(row->first_time, f->first_ns);
	epoch_text(row->last_time, f->last_ns);
	row->end_reason = afm_end_reason_name(f->end_reason);

	/* rx lengths sorted into lens[0..nrx), tx into lens[nrx..n); all = their merge */
	direction_features(s->rx, nrx, s, s->lens, &row->rx_rate, &row->rx_len, &row->rx_delta_len,
			   &row->rx_delta_time);
	direction_features(s->tx, ntx, s, s->lens + nrx, &row->tx_rate, &row->tx_len, &row->tx_delta_len,
			   &row->tx_delta_time);
	row->rx_len_rate = nrx < 2 ? 0 : byte_rate(row->rx_bytes, s->rx[nrx - 1].ts_ns - s->rx[0].ts_ns);
	row->tx_len_rate = ntx < 2 ? 0 : byte_rate(row->tx_bytes, s->tx[ntx - 1].ts_ns - s->tx[0].ts_ns);
	afm_merge_i64(s->lens, nrx, s->lens + nrx, ntx, s->values);
	afm_stats_sorted(s->values, f->n, 0, &row->len);
	row->first.n = 0;
	if (cfg->first_packets)
		first_packets(f, cfg->first_packets, &row->first, s);
	if (afm_cic_compute(f, row->src_ip, row->dst_ip, (const uint64_t(*)[8])row->flags, cfg->cic_activity_ns,
			    &row->cic, &s->cic) != 0)
		return -ENOMEM;
	if (s->cap > AFM_SCRATCH_KEEP)
		afm_scratch_free(s);	/* a huge flow's scratch is not kept for the rest of the run */
	return 0;
}
