// SPDX-License-Identifier: MIT
/*
 * The CIC schemas' values (docs/CIC.md), in two walks over a flow's samples in the
 * taken order: the first sums, counts and runs the rules that go packet by packet
 * (bulks, subflows, active and idle periods, windows, retransmissions); the second
 * walks again for each set's sum of squared deviations from its mean, so that the
 * standard deviations are taken about the exact mean (no cancellation).
 */
#include "features/cic.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afm_record.h"

/* One set of values: integers (bytes, or ns). */
struct acc {
	uint64_t n;
	__int128 sum;
	int64_t max, min;
	long double mean, m2;
};

static void acc_add(struct acc *a, int64_t x, int second)
{
	if (second) {
		long double d = (long double)x - a->mean;

		a->m2 += d * d;
		return;
	}
	if (!a->n || x > a->max)
		a->max = x;
	if (!a->n || x < a->min)
		a->min = x;
	a->n++;
	a->sum += x;
}

static void acc_mean(struct acc *a)
{
	a->mean = a->n ? (long double)a->sum / (long double)a->n : 0;
}

/* exp: the unit's power of ten from the values' (0 for bytes, -3 for us from ns). */
static void acc_stats(const struct acc *a, int exp, struct afm_cic_stats *out)
{
	long double scale = exp ? 1e-3L : 1;
	long double var = a->n > 1 ? a->m2 / (long double)(a->n - 1) : 0;

	out->mean = (double)(a->mean * scale);
	out->var = (double)(var * scale * scale);
	out->std = (double)(sqrtl(var) * scale);
	out->max = (struct afm_dec){ a->n ? a->max : 0, exp, 0 };
	out->min = (struct afm_dec){ a->n ? a->min : 0, exp, 0 };
	out->total = (struct afm_dec){ a->sum, exp, 0 };
}

/* A direction's bulk rule (docs/CIC.md, "Bulks"). */
struct bulk {
	int open, had_payload;
	int64_t start, last, payload_ts;	/* payload_ts: its latest packet with a payload */
	uint64_t cnt, bytes;
	uint64_t bulks, packets, total_bytes;
	int64_t duration;
};

static void bulk_packet(struct bulk *d, const struct bulk *o, int64_t t, uint64_t len)
{
	if (d->open && o->had_payload && o->payload_ts > d->start)
		d->open = 0;
	if (!len)
		return;
	if (!d->open || t - d->payload_ts > AFM_CIC_GAP_NS) {
		d->open = 1;
		d->start = d->last = t;
		d->cnt = 1;
		d->bytes = len;
	} else {
		d->cnt++;
		d->bytes += len;
		if (d->cnt == AFM_CIC_BULK_PACKETS) {
			d->bulks++;
			d->packets += AFM_CIC_BULK_PACKETS;
			d->total_bytes += d->bytes;
			d->duration += t - d->start;
		} else if (d->cnt > AFM_CIC_BULK_PACKETS) {
			d->packets++;
			d->total_bytes += len;
			d->duration += t - d->last;
		}
		d->last = t;
	}
	d->payload_ts = t;
	d->had_payload = 1;
}

/*
 * Retransmissions: a set of (direction, seq, ack, payload, window), open addressing,
 * at most half full. The room for a flow's packets, cleared; its capacity, or 0.
 */
#define SET_KEEP ((size_t)1 << 17)	/* entries kept for the next flow: 2 MiB */

static size_t set_reserve(struct afm_cic_scratch *s, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap > s->cap) {
		free(s->set);
		s->set = malloc(cap * sizeof(*s->set));
		s->cap = s->set ? cap : 0;
		if (!s->set)
			return 0;
	}
	memset(s->set, 0, cap * sizeof(*s->set));
	return cap;
}

/* 1 if the key was there already, else 0 (and it is now). */
static int set_insert(struct afm_cic_scratch *s, size_t cap, uint64_t a, uint64_t b)
{
	uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL);
	size_t mask = cap - 1;

	b |= 1ULL << 63;	/* a used entry: b is never 0 */
	for (size_t i = (size_t)(h ^ (h >> 31)) & mask;; i = (i + 1) & mask) {
		if (!s->set[i][1]) {
			s->set[i][0] = a;
			s->set[i][1] = b;
			return 0;
		}
		if (s->set[i][0] == a && s->set[i][1] == b)
			return 1;
	}
}

struct walk {
	struct acc len[3], iat[3], active, idle;	/* len, iat: [forward, backward, all] */
	struct bulk bulk[2];
	uint64_t header_bytes[2], act_data[2], seg_min[2], init_win[2], retrans[2], gaps;
	uint16_t first_window;		/* the flow's first packet's detail window */
};

/* One walk over the samples; second: the walk for the squared deviations only. */
static void walk(const struct afm_flow *f, uint64_t activity_ns, int second, struct walk *w,
		 struct afm_cic_scratch *s, size_t set_cap)
{
	const int tcp = f->key.proto == AFM_IPPROTO_TCP;
	int64_t prev = 0, prev_dir[2] = { 0, 0 }, a_start = 0, a_end = 0;
	uint64_t seen[2] = { 0, 0 }, i = 0;

	for (const struct afm_sample_chunk *c = f->first; c; c = c->next) {
		const struct afm_sample_detail *dt = afm_chunk_details(c);

		for (uint32_t k = 0; k < c->n; k++, i++) {
			const struct afm_sample_detail *x = &dt[k];
			const int d = (c->s[k].len_dir & AFM_SAMPLE_SENDING) != 0;
			const int64_t t = (int64_t)c->s[k].ts_ns;

			acc_add(&w->len[d], x->payload, second);
			acc_add(&w->len[2], x->payload, second);
			if (i) {
				acc_add(&w->iat[2], t - prev, second);
				if (t - a_end > (int64_t)activity_ns) {
					if (a_end - a_start > 0)
						acc_add(&w->active, a_end - a_start, second);
					acc_add(&w->idle, t - a_end, second);
					a_start = a_end = t;
				} else {
					a_end = t;
				}
			} else {
				a_start = a_end = t;
			}
			if (seen[d])
				acc_add(&w->iat[d], t - prev_dir[d], second);
			if (!second) {
				if (i && t - prev > AFM_CIC_GAP_NS)
					w->gaps++;
				if (!i)
					w->first_window = x->window;
				if (!seen[d]) {
					w->init_win[d] = tcp ? x->window : 0;
					w->seg_min[d] = x->l4_hlen;
				} else if (x->l4_hlen < w->seg_min[d]) {
					w->seg_min[d] = x->l4_hlen;
				}
				w->header_bytes[d] += x->l4_hlen;
				w->act_data[d] += x->payload > 0;
				bulk_packet(&w->bulk[d], &w->bulk[!d], t, x->payload);
				if (tcp && x->l4_hlen)	/* a segment: a later fragment has no TCP header */
					w->retrans[d] += (uint64_t)set_insert(
						s, set_cap, (uint64_t)x->seq << 32 | x->ack,
						(uint64_t)x->payload << 17 | (uint64_t)x->window << 1 | (uint64_t)d);
			}
			seen[d]++;
			prev_dir[d] = t;
			prev = t;
		}
	}
}

/* count / span in seconds, 0 for a span of 0. */
static double per_second(long double count, int64_t span_ns)
{
	return span_ns ? (double)(count * 1e9L / (long double)span_ns) : 0;
}

static double ratio(long double a, long double b)
{
	return b != 0 ? (double)(a / b) : 0;
}

/* Java's Instant text, T a space and no Z (docs/CIC.md, column 7). */
static void instant_text(char *buf, uint64_t ns)
{
	size_t n = afm_fmt_time(buf, ns);	/* "YYYY-MM-DD HH:MM:SS.ffffff" */
	uint32_t frac = (uint32_t)(ns % 1000000000ULL);

	(void)n;
	if (!frac)
		buf[19] = '\0';
	else if (frac % 1000000 == 0)
		snprintf(buf + 19, 5, ".%03u", frac / 1000000);
	else if (frac % 1000 == 0)
		snprintf(buf + 19, 8, ".%06u", frac / 1000);
	else
		snprintf(buf + 19, 11, ".%09u", frac);
}

int afm_cic_compute(const struct afm_flow *f, const char *src_ip, const char *dst_ip, const uint64_t flags[2][8],
		    uint64_t activity_ns, struct afm_cic_row *out, struct afm_cic_scratch *s)
{
	const struct afm_flow_key *k = &f->key;
	const int icmp = k->proto == AFM_IPPROTO_ICMP || k->proto == AFM_IPPROTO_ICMPV6;
	const int tcp_udp = k->proto == AFM_IPPROTO_TCP || k->proto == AFM_IPPROTO_UDP;
	const int64_t span = (int64_t)(f->last_ns - f->first_ns);
	size_t set_cap = 0;
	struct walk w;

	if (!f->detailed)
		return 0;	/* no CIC schema: out is not read */
	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	if (k->proto == AFM_IPPROTO_TCP && !(set_cap = set_reserve(s, f->n)))
		return -ENOMEM;
	walk(f, activity_ns, 0, &w, s, set_cap);
	if (s->cap > SET_KEEP)
		afm_cic_scratch_free(s);	/* a huge flow's set is not kept for the rest of the run */
	for (int j = 0; j < 3; j++) {
		acc_mean(&w.len[j]);
		acc_mean(&w.iat[j]);
	}
	acc_mean(&w.active);
	acc_mean(&w.idle);
	walk(f, activity_ns, 1, &w, s, 0);

	snprintf(out->flow_id, sizeof(out->flow_id), "%s-%s-%u-%u-%u", src_ip, dst_ip, k->port[f->src_ep],
		 k->port[!f->src_ep], k->proto);
	out->flow_id_text = out->flow_id;
	instant_text(out->timestamp, f->first_ns);
	out->protocol = k->proto;
	out->duration = (struct afm_dec){ span, -3, 0 };
	acc_stats(&w.len[2], 0, &out->len);
	acc_stats(&w.iat[2], -3, &out->iat);
	acc_stats(&w.active, -3, &out->active);
	acc_stats(&w.idle, -3, &out->idle);

	const uint64_t subflows = 1 + w.gaps, total_bytes = (uint64_t)w.len[2].sum;

	for (int d = 0; d < 2; d++) {
		struct afm_cic_dir *o = &out->dir[d];
		const struct bulk *b = &w.bulk[d];

		o->packets = w.len[d].n;
		o->bytes = (uint64_t)w.len[d].sum;
		o->header_bytes = w.header_bytes[d];
		o->act_data = w.act_data[d];
		o->seg_min = w.seg_min[d];
		o->init_win = w.init_win[d];
		o->retrans = w.retrans[d];
		o->packets_rate = per_second(o->packets, span);
		o->segment_avg = ratio(o->bytes, o->packets);
		acc_stats(&w.len[d], 0, &o->len);
		acc_stats(&w.iat[d], -3, &o->iat);
		o->bulk_bytes = ratio(b->total_bytes, b->bulks);
		o->bulk_packets = ratio(b->packets, b->bulks);
		o->bulk_rate = per_second(b->total_bytes, b->duration);
		o->subflow_packets = ratio(o->packets, subflows);
		o->subflow_bytes = ratio(o->bytes, subflows);
	}
	out->bytes_rate = per_second(total_bytes, span);
	out->packets_rate = per_second(f->n, span);
	out->down_up = ratio(out->dir[1].packets, out->dir[0].packets);
	out->avg_size = ratio(total_bytes, f->n);
	for (int b = 0; b < 8; b++)
		out->flags[b] = flags[0][b] + flags[1][b];
	if (icmp) {
		out->icmp_type = w.first_window >> 8;
		out->icmp_code = w.first_window & 0xff;
	}
	out->retrans = w.retrans[0] + w.retrans[1];
	if (tcp_udp)
		out->connection_time =
			(struct afm_dec){ f->chained ? (int64_t)(f->last_ns - f->chain_first_ns) : span, -3, 0 };
	return 0;
}

void afm_cic_scratch_free(struct afm_cic_scratch *s)
{
	free(s->set);
	s->set = NULL;
	s->cap = 0;
}
