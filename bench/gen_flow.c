// SPDX-License-Identifier: MIT
/*
 * Flow scripts. Each kind writes its packets in time order; t is the script's clock,
 * in ns after the first packet, and only moves forward.
 */
#include "gen_flow.h"

#include <stdlib.h>
#include <string.h>

#include "gen_addr.h"

#define US(x) ((uint64_t)((x) * 1e3))
#define MS(x) ((uint64_t)((x) * 1e6))
#define SEC(x) ((uint64_t)((x) * 1e9))

/* No flow gets more packets than this, whatever the scale. */
#define MAX_FLOW_PACKETS 30000
/* Longest pause inside a flow: below the meter's 120 s idle timeout. */
#define MAX_PAUSE SEC(90)

static int add(struct flow *f, uint64_t *t, uint64_t dt, int dir, uint8_t flags, size_t len,
	       uint16_t aux, int start)
{
	struct pkt *p;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct pkt *np = realloc(f->pkts, cap * sizeof(*np));

		if (!np)
			return -1;
		f->pkts = np;
		f->cap = cap;
	}
	*t += dt;
	p = &f->pkts[f->n++];
	p->t = *t;
	p->len = (uint16_t)len;
	p->aux = aux;
	p->flags = flags;
	p->dir = (uint8_t)dir;
	p->start = (uint8_t)start;
	return 0;
}

static int full(const struct flow *f)
{
	return f->n >= MAX_FLOW_PACKETS;
}

/* How a path moves data: round trip, bottleneck rate, and the sender's segment size. */
struct path {
	uint64_t rtt;
	double ns_per_byte;
	size_t mss;
	size_t min_len;		/* shortest segment: a TLS record header, a QUIC packet */
	size_t ack_len;		/* payload of an acknowledgement: 0 for TCP, ~40 for QUIC */
	uint8_t data_flags;	/* ACK for TCP, 0 for UDP */
	uint8_t ack_flags;
};

/*
 * Send bytes from dir to the other side: a message of full segments and a last partial one,
 * in windows that double each round trip; the receiver acknowledges every second one.
 */
static int transfer(struct flow *f, struct rng *r, const struct path *p, uint64_t *t, int dir,
		    uint64_t bytes, uint16_t aux)
{
	uint64_t gap = (uint64_t)((double)(p->mss + 54) * p->ns_per_byte) + 1;
	unsigned cwnd = 10, in_window = 0, unacked = 0;
	int first = 1;

	/* No segment of a few bytes: too short for the protocol's own header. */
	if (bytes % p->mss && bytes % p->mss < p->min_len)
		bytes += p->min_len;
	while (bytes > 0 && !full(f)) {
		size_t len = bytes < p->mss ? (size_t)bytes : p->mss;
		uint64_t dt = first ? 0 : gap;
		uint8_t flags = p->data_flags;

		if (in_window == cwnd) {
			dt += p->rtt;
			in_window = 0;
			if (cwnd < 512)
				cwnd *= 2;
		}
		bytes -= len;
		if (bytes == 0 && flags)
			flags |= TH_PSH;
		if (add(f, t, dt, dir, flags, len, aux, first))
			return -1;
		first = 0;
		in_window++;
		if (++unacked == 2 || bytes == 0) {
			uint64_t delay = bytes == 0 && unacked == 1 ? US(rng_logu(r, 40, 40000))
								: US(rng_logu(r, 5, 80));

			if (bytes > 0 && delay > gap / 2)
				delay = gap / 2;
			if (add(f, t, delay, !dir, p->ack_flags, p->ack_len ? p->ack_len + rng_next(r) % 8 : 0,
				0, 0))
				return -1;
			unacked = 0;
		}
	}
	return 0;
}

/* Bytes of one response: mostly small objects, some pages, a heavy tail of downloads. */
static uint64_t response_bytes(struct rng *r, double scale)
{
	double u = rng_unit(r);

	if (u < 0.68)
		return (uint64_t)rng_logu(r, 150, 4000);
	if (u < 0.965)
		return (uint64_t)rng_logu(r, 4000, 50000);
	return (uint64_t)(rng_pareto(r, 50000, 20e6, 1.25) * scale);
}

static int rounds_of(struct rng *r)
{
	double u = rng_unit(r);

	if (u < 0.70)
		return 1;
	if (u < 0.92)
		return (int)rng_range(r, 2, 4);
	if (u < 0.99)
		return (int)rng_range(r, 5, 15);
	return (int)rng_range(r, 16, 80);
}

static uint16_t http_status(struct rng *r)
{
	double u = rng_unit(r);

	return u < 0.88 ? 200 : u < 0.93 ? 304 : u < 0.97 ? 404 : u < 0.99 ? 301 : 500;
}

static uint16_t server_port(struct rng *r)
{
	double u = rng_unit(r);

	if (u < 0.68)
		return 443;
	if (u < 0.86)
		return 80;
	if (u < 0.90)
		return 8080;
	if (u < 0.93)
		return 993;
	if (u < 0.95)
		return 8443;
	if (u < 0.97)
		return 22;
	return (uint16_t)rng_range(r, 49152, 65000);	/* peer to peer, games */
}

/* FIN both ways (either side first), RST, or nothing: a connection left open. */
static int tcp_close(struct flow *f, struct rng *r, uint64_t *t, uint64_t rtt)
{
	double u = rng_unit(r);
	int a = rng_chance(r, 0.6) ? DIR_CLIENT : DIR_SERVER;
	uint64_t idle;

	if (u < 0.04)
		return 0;
	if (u < 0.08)
		return add(f, t, MS(rng_logu(r, 1, 5000)), a, TH_RST | TH_ACK, 0, 0, 0);
	/* Often the connection idles until a keep-alive timer closes it. */
	idle = rng_chance(r, 0.35) ? MS(rng_logu(r, 1000, 70000)) : MS(rng_logu(r, 0.1, 2000));
	if (add(f, t, idle, a, TH_FIN | TH_ACK, 0, 0, 0))
		return -1;
	if (rng_chance(r, 0.3) && add(f, t, rtt / 2, !a, TH_ACK, 0, 0, 0))
		return -1;
	if (add(f, t, rtt / 2 + US(rng_logu(r, 10, 3000)), !a, TH_FIN | TH_ACK, 0, 0, 0))
		return -1;
	return add(f, t, US(rng_logu(r, 5, 300)), a, TH_ACK, 0, 0, 0);
}

static int script_tcp(struct flow *f, struct rng *r, double scale)
{
	struct path p = {
		.rtt = US(rng_logu(r, 300, 150000)),
		.ns_per_byte = 8e9 / rng_logu(r, 5e6, 1e9),
		.mss = f->v6 ? MSS_V6 : MSS_V4,
		.min_len = 8,
		.data_flags = TH_ACK,
		.ack_flags = TH_ACK,
	};
	double u = rng_unit(r);
	int rounds = rounds_of(r);
	uint64_t think_mean = rounds > 1 ? MS(rng_logu(r, 5, 240000)) / (uint64_t)rounds : 0;
	uint64_t t = 0;

	addr_client(f, r);
	addr_server(f, r);
	f->port[DIR_CLIENT] = addr_ephemeral(r);
	f->port[DIR_SERVER] = server_port(r);
	f->seq[DIR_CLIENT] = (uint32_t)rng_next(r);
	f->seq[DIR_SERVER] = (uint32_t)rng_next(r);

	if (add(f, &t, 0, DIR_CLIENT, TH_SYN, 0, 0, 0))
		return -1;
	if (u < 0.01)		/* no answer: the client retries, then gives up */
		return add(f, &t, SEC(1), DIR_CLIENT, TH_SYN, 0, 0, 0) ||
		       add(f, &t, SEC(2), DIR_CLIENT, TH_SYN, 0, 0, 0);
	if (u < 0.02)		/* nothing listens: refused */
		return add(f, &t, p.rtt, DIR_SERVER, TH_RST | TH_ACK, 0, 0, 0);
	if (add(f, &t, p.rtt, DIR_SERVER, TH_SYN | TH_ACK, 0, 0, 0) ||
	    add(f, &t, US(rng_logu(r, 5, 200)), DIR_CLIENT, TH_ACK, 0, 0, 0))
		return -1;

	for (int i = 0; i < rounds && !full(f); i++) {
		uint64_t think = i == 0 ? US(rng_logu(r, 10, 2000)) : (uint64_t)rng_exp(r, (double)think_mean);
		uint64_t req = (uint64_t)rng_logu(r, 60, 1400);
		uint16_t status = http_status(r);

		if (think > MAX_PAUSE)
			think = MAX_PAUSE;
		if (rng_chance(r, 0.03))	/* an upload */
			req = response_bytes(r, scale);
		t += think;
		if (transfer(f, r, &p, &t, DIR_CLIENT, req, 0))
			return -1;
		t += p.rtt + US(rng_logu(r, 50, 30000));
		if (transfer(f, r, &p, &t, DIR_SERVER, response_bytes(r, scale), status))
			return -1;
	}
	return tcp_close(f, r, &t, p.rtt);
}

/* One transaction: a query, usually a response; sometimes a retry, sometimes silence. */
static int script_dns(struct flow *f, struct rng *r)
{
	double u = rng_unit(r);
	uint64_t t = 0;
	size_t query, answer;

	addr_client(f, r);
	addr_resolver(f, r);
	addr_qname(f, r);
	f->port[DIR_CLIENT] = addr_ephemeral(r);
	f->port[DIR_SERVER] = 53;
	f->dns_id = (uint16_t)rng_next(r);
	f->dns_qtype = rng_chance(r, 0.7) ? 1 : 28;
	f->dns_answers = rng_chance(r, 0.06) ? 0 : (uint16_t)rng_range(r, 1, 6);
	query = 12 + f->qname_len + 4;

	if (add(f, &t, 0, DIR_CLIENT, 0, query, 0, 1))
		return -1;
	if (u < 0.04)
		return rng_chance(r, 0.5) ? add(f, &t, SEC(1), DIR_CLIENT, 0, query, 0, 1) : 0;
	if (u < 0.07 && add(f, &t, SEC(1), DIR_CLIENT, 0, query, 0, 1))
		return -1;
	answer = 12 + (f->dns_qtype == 1 ? 4 : 16);
	return add(f, &t, US(rng_logu(r, 200, 80000)), DIR_SERVER, 0, query + f->dns_answers * answer, 0, 1);
}

/*
 * QUIC on 443: each side's Initial, padded to the 1200 bytes QUIC requires, then
 * exchanges of requests and responses acknowledged by small packets.
 */
static int script_quic(struct flow *f, struct rng *r, double scale)
{
	struct path p = {
		.rtt = US(rng_logu(r, 2000, 120000)),
		.ns_per_byte = 8e9 / rng_logu(r, 5e6, 5e8),
		.mss = f->v6 ? 1232 : 1252,
		.min_len = 40,
		.ack_len = 33,
	};
	int rounds = rounds_of(r);
	uint64_t think_mean = MS(rng_logu(r, 50, 120000)) / (uint64_t)rounds;
	uint64_t t = 0;

	addr_client(f, r);
	addr_server(f, r);
	f->port[DIR_CLIENT] = addr_ephemeral(r);
	f->port[DIR_SERVER] = 443;
	for (int i = 0; i < 8; i++) {
		f->quic_cid[DIR_CLIENT][i] = (uint8_t)rng_next(r);
		f->quic_cid[DIR_SERVER][i] = (uint8_t)rng_next(r);
		f->quic_odcid[i] = (uint8_t)rng_next(r);
	}
	if (add(f, &t, 0, DIR_CLIENT, 0, p.mss, QUIC_INITIAL, 1) ||
	    add(f, &t, p.rtt, DIR_SERVER, 0, p.mss, QUIC_INITIAL, 1))
		return -1;
	for (int i = 0; i < rounds && !full(f); i++) {
		uint64_t think = i == 0 ? US(rng_logu(r, 10, 500)) : (uint64_t)rng_exp(r, (double)think_mean);

		t += think > MAX_PAUSE ? MAX_PAUSE : think;
		if (transfer(f, r, &p, &t, DIR_CLIENT, (uint64_t)rng_logu(r, 40, 1200), 0))
			return -1;
		t += p.rtt;
		if (transfer(f, r, &p, &t, DIR_SERVER, 2 * response_bytes(r, scale), 0))
			return -1;
	}
	return 0;
}

/* A voice call: 20 ms G.711 packets both ways, offset by half a period. */
static int script_rtp(struct flow *f, struct rng *r, double scale)
{
	uint64_t n = (uint64_t)(rng_pareto(r, 2, 180, 1.2) * scale * 50);
	uint64_t t = 0, last = 0;

	addr_client(f, r);
	addr_server(f, r);
	/* Even ports no dissector claims, so tshark shows plain UDP rather than guess. */
	f->port[DIR_CLIENT] = (uint16_t)(rng_range(r, 7000, 8499) * 2);
	f->port[DIR_SERVER] = (uint16_t)(rng_range(r, 7000, 8499) * 2);
	f->ssrc = (uint32_t)rng_next(r);
	for (uint64_t k = 0; k < n && !full(f); k++) {
		uint64_t at = MS(20) * k + US(rng_range(r, 0, 3000));

		if (add(f, &t, at > last ? at - last : 0, DIR_CLIENT, 0, 172, (uint16_t)k, 0))
			return -1;
		last = t;
		at = MS(20) * k + MS(10) + US(rng_range(r, 0, 3000));
		if (add(f, &t, at > last ? at - last : 0, DIR_SERVER, 0, 172, (uint16_t)k, 0))
			return -1;
		last = t;
	}
	return 0;
}

/* ping: echo requests a second apart, each answered after a round trip (or lost). */
static int script_icmp(struct flow *f, struct rng *r)
{
	double u = rng_unit(r);
	int pings = u < 0.5 ? 4 : u < 0.75 ? (int)rng_range(r, 1, 10)
		  : u < 0.95 ? (int)rng_range(r, 10, 60) : (int)rng_range(r, 60, 200);
	int silent = rng_chance(r, 0.04);
	uint64_t rtt = US(rng_logu(r, 300, 200000));
	uint64_t t = 0;

	addr_client(f, r);
	addr_server(f, r);
	f->port[DIR_CLIENT] = f->port[DIR_SERVER] = 0;
	f->icmp_id = (uint16_t)rng_next(r);
	for (int k = 1; k <= pings; k++) {
		if (add(f, &t, k == 1 ? 0 : SEC(1) - (silent ? 0 : rtt), DIR_CLIENT, 0, 56, (uint16_t)k, 0))
			return -1;
		if (!silent && add(f, &t, rtt, DIR_SERVER, 0, 56, (uint16_t)k, 0))
			return -1;
	}
	return 0;
}

static enum flow_kind draw_kind(struct rng *r)
{
	double u = rng_unit(r);

	if (u < 0.33)
		return FLOW_DNS;
	if (u < 0.38)
		return FLOW_ICMP;
	if (u < 0.41)
		return FLOW_QUIC;
	if (u < 0.415)
		return FLOW_RTP;
	return FLOW_TCP;
}

int flow_create(struct flow *f, struct rng *r, double scale)
{
	int ret;

	f->n = f->next = 0;
	f->kind = draw_kind(r);
	f->v6 = rng_chance(r, 0.10);
	f->label = (uint32_t)rng_next(r) & 0xfffff;
	f->ipid[0] = (uint16_t)rng_next(r);
	f->ipid[1] = (uint16_t)rng_next(r);
	f->syn_sent[0] = f->syn_sent[1] = 0;
	switch (f->kind) {
	case FLOW_TCP:
		ret = script_tcp(f, r, scale);
		break;
	case FLOW_DNS:
		ret = script_dns(f, r);
		break;
	case FLOW_QUIC:
		ret = script_quic(f, r, scale);
		break;
	case FLOW_RTP:
		ret = script_rtp(f, r, scale);
		break;
	default:
		ret = script_icmp(f, r);
		break;
	}
	return ret ? -1 : 0;
}

void flow_trim(struct flow *f)
{
	if (f->cap > 4096) {
		free(f->pkts);
		f->pkts = NULL;
		f->cap = 0;
	}
	f->n = f->next = 0;
}

double flow_mean_packets(uint64_t seed, double scale, int n)
{
	struct rng r = { seed };
	struct flow f;
	uint64_t total = 0;
	int i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < n; i++) {
		if (flow_create(&f, &r, scale))
			break;
		total += f.n;
		flow_trim(&f);
	}
	free(f.pkts);
	return i ? (double)total / i : 0;
}
