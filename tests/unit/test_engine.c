// SPDX-License-Identifier: MIT
/* The flow engine's ending rules and order (docs/METERING.md, sections 2 and 3). */
#include <criterion/criterion.h>

#include "afm_parse.h"
#include "features/features.h"
#include "flow/engine.h"

#define S 1000000000ULL

struct ended {
	struct afm_flow *flows[64];
	int n;
};

static void collect(void *ctx, struct afm_flow *f)
{
	struct ended *e = ctx;

	cr_assert(e->n < 64);
	e->flows[e->n++] = f;
}

static struct afm_engine eng;
static struct ended out;

static void setup(void)
{
	struct afm_engine_config cfg = { 120 * S, 30 * S, 1800 * S, 5 * S, 0, 0 };

	memset(&out, 0, sizeof(out));
	cr_assert_eq(afm_engine_init(&eng, &cfg, collect, &out), 0);
}

static void teardown(void)
{
	afm_engine_free(&eng);
	for (int i = 0; i < out.n; i++)
		afm_flow_free(out.flows[i]);
}

/* A packet from client c (10.0.0.c:port) to server 10.0.0.100:srv_port, or back. */
static struct afm_record pkt(uint64_t ts, int to_server, uint8_t proto, uint16_t cport, uint16_t sport,
			     uint8_t flags, uint32_t len)
{
	struct afm_record r;

	memset(&r, 0, sizeof(r));
	r.key.ip_version = 4;
	r.key.proto = proto;
	uint8_t client[4] = { 10, 0, 0, 1 }, server[4] = { 10, 0, 0, 100 };

	memcpy(r.key.addr[0], to_server ? client : server, 4);
	memcpy(r.key.addr[1], to_server ? server : client, 4);
	r.key.port[0] = to_server ? cport : sport;
	r.key.port[1] = to_server ? sport : cport;
	if (proto == 17 && (cport == 53 || sport == 53))
		r.key.flags = AFM_KEY_DNS;
	afm_key_canonicalize(&r);
	r.ts_ns = ts;
	r.tcp_flags = flags;
	r.wire_len = len;
	return r;
}

static void feed(struct afm_record r)
{
	cr_assert_eq(afm_engine_packet(&eng, &r), 0);
}

static int receiving(const struct afm_flow *f, uint32_t i)
{
	return !(afm_flow_sample(f, i)->len_dir & AFM_SAMPLE_SENDING);
}

TestSuite(engine, .init = setup, .fini = teardown);

Test(engine, tcp_close_keeps_the_closing_packets_within_the_linger)
{
	feed(pkt(1 * S, 1, 6, 40000, 80, AFM_TCP_SYN, 74));
	feed(pkt(1 * S + 1, 0, 6, 40000, 80, AFM_TCP_SYN | AFM_TCP_ACK, 74));
	feed(pkt(2 * S, 1, 6, 40000, 80, AFM_TCP_FIN | AFM_TCP_ACK, 66));
	feed(pkt(2 * S + 5, 0, 6, 40000, 80, AFM_TCP_FIN | AFM_TCP_ACK, 66));	/* closed */
	feed(pkt(6 * S, 1, 6, 40000, 80, AFM_TCP_ACK, 66));	/* last ACK, 4 s later */
	feed(pkt(7 * S + 5, 1, 6, 40000, 80, AFM_TCP_ACK, 66));	/* linger ends at 7 s + 5 ns: kept */
	cr_assert_eq(out.n, 0);
	feed(pkt(7 * S + 6, 1, 6, 40000, 80, AFM_TCP_ACK, 66));	/* strictly after: a new flow */
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->n, 6);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_FIN);
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.flows[1]->n, 1);
	cr_assert_eq(out.flows[1]->end_reason, AFM_END_EOF);
}

Test(engine, new_syn_on_a_closed_flow_starts_a_new_one)
{
	feed(pkt(1 * S, 1, 6, 40000, 80, AFM_TCP_SYN, 74));
	feed(pkt(2 * S, 0, 6, 40000, 80, AFM_TCP_RST | AFM_TCP_ACK, 60));
	feed(pkt(3 * S, 1, 6, 40000, 80, AFM_TCP_ACK, 60));	/* kept: linger */
	feed(pkt(3 * S, 1, 6, 40000, 80, AFM_TCP_SYN, 74));	/* new connection */
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->n, 3);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_RST);
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.flows[1]->n, 1);
}

Test(engine, syn_on_an_open_flow_stays_in_it)
{
	feed(pkt(1 * S, 1, 6, 40000, 80, AFM_TCP_SYN, 74));
	feed(pkt(2 * S, 1, 6, 40000, 80, AFM_TCP_SYN, 74));	/* retransmission */
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->n, 2);
}

Test(engine, idle_timeout_is_strict)
{
	feed(pkt(0, 1, 17, 5000, 6000, 0, 100));
	feed(pkt(120 * S, 1, 17, 5000, 6000, 0, 100));		/* gap == 120 s: same flow */
	feed(pkt(240 * S + 1, 1, 17, 5000, 6000, 0, 100));	/* gap > 120 s: new flow */
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->n, 2);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_IDLE);
}

Test(engine, dns_flows_idle_after_30_seconds_and_split_by_id)
{
	struct afm_record q = pkt(0, 1, 17, 33000, 53, 0, 80), q2 = q;

	q.key.dns_id = 1;
	q2.key.dns_id = 2;
	feed(q);
	feed(q2);
	q.ts_ns = 31 * S;
	feed(q);
	cr_assert_eq(out.n, 2);	/* both ended at 30 s, in creation order */
	cr_assert_eq(out.flows[0]->key.dns_id, 1);
	cr_assert_eq(out.flows[1]->key.dns_id, 2);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_IDLE);
}

Test(engine, active_timeout_cuts_long_flows)
{
	for (uint64_t t = 0; t <= 1900; t += 100)
		feed(pkt(t * S, 1, 17, 5000, 6000, 0, 100));
	cr_assert_eq(out.n, 1);	/* 0..1800 s: the packet at 1800 s is still in */
	cr_assert_eq(out.flows[0]->n, 19);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_ACTIVE);
}

Test(engine, syn_ack_first_makes_its_destination_the_source)
{
	feed(pkt(1 * S, 0, 6, 40000, 80, AFM_TCP_SYN | AFM_TCP_ACK, 74));	/* server -> client */
	feed(pkt(2 * S, 1, 6, 40000, 80, AFM_TCP_ACK, 66));
	afm_engine_flush(&eng, AFM_END_EOF);
	struct afm_flow *f = out.flows[0];

	cr_assert_eq(f->key.port[f->src_ep], 40000, "src is the client");
	cr_assert(!receiving(f, 0), "the SYN-ACK is sending");
	cr_assert(receiving(f, 1));
}

Test(engine, eof_writes_in_creation_order_and_deadlines_in_deadline_order)
{
	feed(pkt(0, 1, 17, 1, 9, 0, 60));		/* A: idle deadline 120 s */
	feed(pkt(1 * S, 1, 17, 2, 53, 0, 60));		/* B: DNS, deadline 31 s */
	feed(pkt(2 * S, 1, 17, 3, 9, 0, 60));		/* C: deadline 122 s */
	feed(pkt(3 * S, 1, 17, 4, 9, 0, 60));		/* D: open at the end */
	feed(pkt(100 * S, 1, 17, 4, 9, 0, 60));
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->key.port[0], 2);
	feed(pkt(200 * S, 1, 17, 5, 9, 0, 60));	/* E; A and C end, by deadline */
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.flows[1]->key.port[0], 1);
	cr_assert_eq(out.flows[2]->key.port[0], 3);
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.n, 5);
	cr_assert_eq(out.flows[3]->key.port[0], 4);
	cr_assert_eq(out.flows[4]->key.port[0], 5);
}

Test(engine, capture_clock_never_goes_back)
{
	feed(pkt(100 * S, 1, 17, 1, 9, 0, 60));
	feed(pkt(300 * S, 1, 17, 2, 9, 0, 60));	/* clock 300 s: the first flow is over */
	cr_assert_eq(out.n, 1);
	feed(pkt(150 * S, 1, 17, 1, 9, 0, 60));	/* old timestamp: a new flow all the same */
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.flows[2]->first_ns, 150 * S);
}

Test(engine, out_of_order_timestamps_set_first_and_last)
{
	feed(pkt(10 * S, 1, 17, 1, 9, 0, 60));
	feed(pkt(8 * S, 0, 17, 1, 9, 0, 70));
	feed(pkt(12 * S, 1, 17, 1, 9, 0, 80));
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.flows[0]->first_ns, 8 * S);
	cr_assert_eq(out.flows[0]->last_ns, 12 * S);
}

Test(engine, later_fragments_follow_the_first)
{
	struct afm_record first = pkt(1 * S, 1, 17, 40000, 53, 0, 1514), later;

	first.key.dns_id = 7;
	first.frag = AFM_FRAG_FIRST;
	first.frag_id = 99;
	later = pkt(1 * S + 10, 1, 17, 0, 0, 0, 600);
	later.frag = AFM_FRAG_LATER;
	later.frag_id = 99;
	feed(first);
	feed(later);
	later.frag_id = 100;	/* no first fragment seen: ports 0 */
	feed(later);
	later.frag_id = 99;
	later.ts_ns = 31 * S + 11;	/* more than 30 s after the first: no match */
	feed(later);			/* ... and the DNS flow (last 1 s + 10 ns) is over */
	afm_engine_flush(&eng, AFM_END_EOF);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.flows[0]->n, 2);
	cr_assert_eq(out.flows[0]->key.dns_id, 7);
	cr_assert_eq(out.flows[1]->key.port[0] | out.flows[1]->key.port[1], 0);
	cr_assert_eq(out.flows[1]->n, 2);
	cr_assert_eq(eng.frag_later_matched, 1);
	cr_assert_eq(eng.frag_later_unmatched, 2);
}

Test(engine, live_advance_ends_idle_flows)
{
	feed(pkt(0, 1, 17, 1, 9, 0, 60));
	afm_engine_advance(&eng, 120 * S);
	cr_assert_eq(out.n, 0);
	afm_engine_advance(&eng, 120 * S + 1);
	cr_assert_eq(out.n, 1);
}

Test(engine, equal_deadlines_end_as_active_and_closing_reasons_come_first)
{
	struct afm_engine_config cfg = { 10 * S, 10 * S, 20 * S, 10 * S, 0, 0 };

	afm_engine_free(&eng);
	cr_assert_eq(afm_engine_init(&eng, &cfg, collect, &out), 0);
	/* idle deadline 10 + 10 = 20 s, active 0 + 20 = 20 s: active */
	feed(pkt(0, 1, 17, 1, 9, 0, 60));
	feed(pkt(10 * S, 1, 17, 1, 9, 0, 60));
	/* closed at 10 s: linger deadline 20 s = idle deadline 20 s: rst */
	feed(pkt(10 * S, 1, 6, 2, 80, AFM_TCP_RST, 60));
	feed(pkt(30 * S, 1, 17, 3, 9, 0, 60));
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_ACTIVE);
	cr_assert_eq(out.flows[1]->end_reason, AFM_END_RST);
}

Test(engine, max_flows_evicts_the_least_recently_active)
{
	struct afm_engine_config cfg = { 120 * S, 30 * S, 1800 * S, 5 * S, 2, 0 };

	afm_engine_free(&eng);
	cr_assert_eq(afm_engine_init(&eng, &cfg, collect, &out), 0);
	feed(pkt(0, 1, 17, 1, 9, 0, 60));		/* A */
	feed(pkt(1 * S, 1, 17, 2, 9, 0, 60));	/* B */
	feed(pkt(2 * S, 1, 17, 1, 9, 0, 60));	/* A again: B is now the least recent */
	feed(pkt(3 * S, 1, 17, 3, 9, 0, 60));	/* C: one must go */
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->key.port[0], 2);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_EVICTED);
	feed(pkt(4 * S, 1, 17, 4, 9, 0, 60));	/* D: A (last 2 s) goes */
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.flows[1]->key.port[0], 1);
	cr_assert_eq(out.flows[1]->n, 2);
	cr_assert_eq(eng.evicted, 2);
	cr_assert_eq(afm_engine_open_flows(&eng), 2);
}

/* A connection closed by FIN or RST ends as fin or rst, whatever ends its row. */
Test(engine, a_closed_connection_ends_as_fin_or_rst_whatever_writes_it)
{
	struct afm_engine_config cfg = { 1 * S, 30 * S, 1800 * S, 5 * S, 1, 0 };

	afm_engine_free(&eng);
	cr_assert_eq(afm_engine_init(&eng, &cfg, collect, &out), 0);
	feed(pkt(0, 1, 6, 40000, 80, AFM_TCP_FIN | AFM_TCP_ACK, 60));
	feed(pkt(1, 0, 6, 40000, 80, AFM_TCP_FIN | AFM_TCP_ACK, 60));	/* closed at 1 ns */
	feed(pkt(2 * S, 1, 17, 1, 9, 0, 60));	/* the idle deadline (1 s) came first */
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.flows[0]->end_reason, AFM_END_FIN);
	feed(pkt(3 * S, 1, 6, 40001, 80, AFM_TCP_RST, 60));	/* evicts the UDP flow (max 1) */
	feed(pkt(4 * S, 1, 17, 2, 9, 0, 60));	/* evicts the reset one: rst all the same */
	cr_assert_eq(out.n, 3);
	cr_assert_eq(out.flows[1]->end_reason, AFM_END_EVICTED);
	cr_assert_eq(out.flows[2]->end_reason, AFM_END_RST);
	afm_engine_flush(&eng, AFM_END_SHUTDOWN);
	cr_assert_eq(out.flows[3]->end_reason, AFM_END_SHUTDOWN);
}

Test(engine, samples_stay_in_order_and_hold_little_more_than_12_bytes_each)
{
	struct afm_flow_key key = { 0 };
	struct afm_flow *f = afm_flow_new(&key, 0, 0);
	const uint32_t n = 1000000;

	cr_assert_not_null(f);
	for (uint32_t i = 0; i < n; i++) {
		cr_assert_eq(afm_flow_append(f, 1000 + (uint64_t)i * 7, (i % 1500) | (i & 1 ? AFM_SAMPLE_SENDING : 0), NULL), 0);
		if (i + 1 == 10 || i + 1 == 1000)	/* short flows: at most a third is slack */
			cr_assert_leq(f->cap - f->n, f->n / 2 + AFM_CHUNK_FIRST, "%u samples, room for %u", f->n, f->cap);
	}
	cr_assert_eq(f->n, n);
	cr_assert_leq(f->cap - f->n, AFM_CHUNK_MAX);	/* a long one: at most one chunk */
	cr_assert_lt((double)f->sample_bytes / n, 12.1, "%.3f bytes a sample", (double)f->sample_bytes / n);
	uint32_t i = 0;

	for (const struct afm_sample_chunk *c = f->first; c; c = c->next)
		for (uint32_t j = 0; j < c->n; j++, i++) {
			cr_assert_eq(c->s[j].ts_ns, 1000 + (uint64_t)i * 7);
			cr_assert_eq(c->s[j].len_dir, (i % 1500) | (i & 1 ? AFM_SAMPLE_SENDING : 0));
		}
	cr_assert_eq(i, n);
	cr_assert_eq(afm_flow_sample(f, 123456)->ts_ns, 1000 + 123456ULL * 7);
	afm_flow_free(f);
}

Test(engine, a_huge_flows_scratch_is_given_back)
{
	struct afm_flow_key key = { .ip_version = 4, .proto = 17 };
	struct afm_scratch s = { 0 };
	struct afm_row row;
	struct afm_flow *f;

	for (uint32_t n = 10; n <= 100000; n *= 10000) {
		f = afm_flow_new(&key, 0, 0);
		cr_assert_not_null(f);
		for (uint32_t i = 0; i < n; i++)
			cr_assert_eq(afm_flow_append(f, 1000 + i, (60 + i % 7) | (i & 1 ? AFM_SAMPLE_SENDING : 0), NULL), 0);
		f->first_ns = 1000;
		f->last_ns = 1000 + n - 1;
		cr_assert_eq(afm_features_compute(f, &row, &s, &(struct afm_features_config){ 0 }), 0);
		cr_assert_eq(row.packets, n);
		if (n > AFM_SCRATCH_KEEP)
			cr_assert_eq(s.cap, 0, "the scratch of %u packets is kept", n);
		else
			cr_assert_geq(s.cap, n);	/* kept for the next flow */
		afm_flow_free(f);
	}
	afm_scratch_free(&s);
}
