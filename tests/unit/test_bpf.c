// SPDX-License-Identifier: MIT
/*
 * The kernel programs under BPF_PROG_TEST_RUN (needs root; skipped otherwise): every
 * header path must give the same record as the user-space parser, batches go out when
 * full, on FIN/RST, on a time span and on the sweep, and every loss is counted.
 */
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "afm_parse.h"
#include "frames.h"
#include "kernel/loader.h"
#include "kernel/reorder.h"

#define MAX_EVENTS 4096

/* every event as it came; a detailed one whole (details after the samples) */
static struct afm_event_detailed events[MAX_EVENTS];
static int n_events;
static struct afm_kmeter *km;
static uint64_t seq;

static void on_event(void *ctx, const struct afm_event *ev)
{
	(void)ctx;
	cr_assert(n_events < MAX_EVENTS);
	memcpy(&events[n_events++], ev, (ev->reason & AFM_EVENT_DETAILED) ? sizeof(events[0]) : sizeof(*ev));
}

static void open_meter_segments(uint32_t slots, uint32_t ringbuf, int compat_xdp, int detail, int segments)
{
	struct afm_kmeter_config cfg = {
		.replay = 1, .slots = slots, .ringbuf_bytes = ringbuf, .compat_xdp = compat_xdp,
		.detail = detail, .segments = segments, .on_event = on_event,
	};
	char err[256];

	if (geteuid() != 0)
		cr_skip_test("BPF tests need root");
	n_events = 0;
	seq = 0;
	cr_assert_eq(afm_kmeter_open(&km, &cfg, err, sizeof(err)), 0, "%s", err);
	if (compat_xdp)
		cr_assert_str_eq(afm_kmeter_xdp_program(km), "afm_xdp_compat");
}

static void open_meter_program(uint32_t slots, uint32_t ringbuf, int compat_xdp, int detail)
{
	open_meter_segments(slots, ringbuf, compat_xdp, detail, 0);
}

static void open_meter(uint32_t slots, uint32_t ringbuf)
{
	open_meter_program(slots, ringbuf, 0, 0);
}

static void close_meter(void)
{
	afm_kmeter_close(km);
	km = NULL;
}

static void send_frame(const struct frame *f, uint32_t wire_len)
{
	struct afm_replay r = { .ts_ns = 1000000000ULL * (seq + 1), .seq = seq, .wire_len = wire_len };

	cr_assert_eq(afm_kmeter_replay(km, f->b, (uint32_t)f->n, &r), 0);
	seq++;
}

static void drain(void)
{
	while (afm_kmeter_poll(km, 0) > 0)
		;
}

static struct afm_kcounters counters(void)
{
	struct afm_kcounters c;

	cr_assert_eq(afm_kmeter_counters(km, &c), 0);
	return c;
}

TestSuite(bpf, .fini = close_meter);

/* Every header path: the kernel's sample equals the user-space parser's record. */
static void header_paths(int compat_xdp, int detail)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct frame fr[12];
	int n = 0;

	open_meter_program(1024, 1 << 20, compat_xdp, detail);
	fr[n++] = tcp4(40000, 80, AFM_TCP_PSH | AFM_TCP_ACK, "HTTP/1.1 204 No Content\r\n");
	fr[n++] = tcp4(40000, 80, AFM_TCP_ACK, "HTTP/1.1 404 Not Found\r\n");
	memset(&fr[n], 0, sizeof(fr[n]));	/* VLAN, UDP DNS */
	f_eth(&fr[n], 0x8100);
	f_vlan(&fr[n], 42, 0x0800);
	f_ipv4(&fr[n], 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 0, 1);
	f_udp(&fr[n], 33333, 53, 12);
	f_u16(&fr[n], 0xbeef);
	f_zero(&fr[n], 10);
	f_ipv4_end(&fr[n]);
	n++;
	memset(&fr[n], 0, sizeof(fr[n]));	/* QinQ, IPv6, hop-by-hop, first fragment */
	f_eth(&fr[n], 0x88a8);
	f_vlan(&fr[n], 10, 0x8100);
	f_vlan(&fr[n], 20, 0x86dd);
	f_ipv6(&fr[n], 0, b6, a6);
	f_ipv6_opts(&fr[n], 44, 1);
	f_ipv6_frag(&fr[n], 17, 0, 1, 0x12345678);
	f_udp(&fr[n], 53, 1053, 100);
	f_u16(&fr[n], 0xabcd);
	f_zero(&fr[n], 40);
	f_ipv6_end(&fr[n]);
	n++;
	memset(&fr[n], 0, sizeof(fr[n]));	/* IPv4 options, TCP options */
	f_eth(&fr[n], 0x0800);
	f_ipv4(&fr[n], 6, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 9, 0, 1);
	f_tcp(&fr[n], 443, 55555, AFM_TCP_SYN | AFM_TCP_ACK, 8);
	f_ipv4_end(&fr[n]);
	n++;
	memset(&fr[n], 0, sizeof(fr[n]));	/* ICMPv6 behind destination options and AH */
	f_eth(&fr[n], 0x86dd);
	f_ipv6(&fr[n], 60, a6, b6);
	f_ipv6_opts(&fr[n], 51, 0);
	f_u8(&fr[n], 58);
	f_u8(&fr[n], 4);
	f_zero(&fr[n], 22);
	f_zero(&fr[n], 8);
	f_ipv6_end(&fr[n]);
	n++;

	for (int i = 0; i < n; i++)
		send_frame(&fr[i], (uint32_t)fr[i].n + 100 * (uint32_t)i);
	cr_assert_eq(afm_kmeter_drain(km), 0);

	int found = 0;

	for (int e = 0; e < n_events; e++)
		for (uint32_t s = 0; s < events[e].ev.n; s++) {
			struct afm_record k, u;
			uint64_t i = events[e].ev.base + events[e].ev.s[s].stamp;

			cr_assert(i < (uint64_t)n);
			afm_kevent_record(&events[e].ev, s, &k);
			cr_assert_eq(afm_parse(fr[i].b, fr[i].b + fr[i].n, AFM_LINK_ETHERNET, &u, detail, 1, NULL), AFM_OK);
			cr_assert_eq(!!(events[e].ev.reason & AFM_EVENT_DETAILED), detail, "frame %llu: detailed event",
				     (unsigned long long)i);
			cr_assert_eq(k.headers, u.headers, "frame %llu: headers", (unsigned long long)i);
			cr_assert_eq(k.l4_hlen, u.l4_hlen, "frame %llu: transport header", (unsigned long long)i);
			cr_assert_eq(k.tcp_seq, u.tcp_seq, "frame %llu: seq", (unsigned long long)i);
			cr_assert_eq(k.tcp_ack, u.tcp_ack, "frame %llu: ack", (unsigned long long)i);
			cr_assert_eq(k.tcp_window, u.tcp_window, "frame %llu: window / ICMP type, code",
				     (unsigned long long)i);
			if (detail)
				cr_assert(u.headers != 0, "frame %llu: the detail was parsed", (unsigned long long)i);
			cr_assert(memcmp(&k.key, &u.key, sizeof(k.key)) == 0, "frame %llu: key", (unsigned long long)i);
			cr_assert_eq(k.dir, u.dir, "frame %llu: dir", (unsigned long long)i);
			cr_assert_eq(k.tcp_flags, u.tcp_flags, "frame %llu: flags", (unsigned long long)i);
			cr_assert_eq(k.http_status != 0, u.http_status >= 200 && u.http_status <= 299,
				     "frame %llu: http", (unsigned long long)i);
			cr_assert_eq(k.wire_len, fr[i].n + 100 * i, "frame %llu: length", (unsigned long long)i);
			found++;
		}
	cr_assert_eq(found, n);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.packets, (uint64_t)n);
	cr_assert_eq(c.batched, (uint64_t)n);
}

Test(bpf, kernel_and_user_parsers_agree_on_every_header_path)
{
	header_paths(0, 0);
}

/* The XDP program for kernels without bpf_cast_to_kern_ctx loads and agrees too. */
Test(bpf, the_compat_program_agrees_too)
{
	header_paths(1, 0);
}

/* With details (the CIC schemas): headers, TCP sequence, acknowledgement, window, ICMP. */
Test(bpf, kernel_and_user_parsers_agree_on_the_details)
{
	header_paths(0, 1);
}

/*
 * Tunnels (docs/METERING.md, 1.1): every way through the tunnel parsers, in the kernel
 * and in user space alike: the key, the direction, the inner frame's length, and the
 * carrier and identifier the kernel's table of tunnelled flows keeps; damage counted
 * as tunnel. With details too: the inner frame's headers.
 */
static void tunnel_paths(int detail)
{
	struct frame fr[16];
	long inner[16];
	int n = 0, damaged = 0;

	open_meter_program(1024, 1 << 20, 0, detail);
	while (n < 16 && (inner[n] = tunnel_frame(n, &fr[n])) >= 0) {
		send_frame(&fr[n], (uint32_t)fr[n].n + 4);	/* the wire had an FCS */
		damaged += inner[n] == 0;
		n++;
	}
	cr_assert_eq(afm_kmeter_drain(km), 0);

	int found = 0;

	for (int e = 0; e < n_events; e++)
		for (uint32_t s = 0; s < events[e].ev.n; s++) {
			struct afm_record k, u;
			uint64_t i = events[e].ev.base + events[e].ev.s[s].stamp;

			cr_assert(i < (uint64_t)n && inner[i] > 0, "frame %llu", (unsigned long long)i);
			afm_kmeter_record(km, &events[e].ev, s, &k);
			cr_assert_eq(afm_parse(fr[i].b, fr[i].b + fr[i].n, AFM_LINK_ETHERNET, &u, detail, 1, NULL), AFM_OK);
			afm_record_wire(&u, fr[i].n + 4);
			cr_assert(memcmp(&k.key, &u.key, sizeof(k.key)) == 0, "frame %llu: key", (unsigned long long)i);
			cr_assert_neq(k.key.tunnel[0], 0, "frame %llu: tunnelled", (unsigned long long)i);
			cr_assert_eq(k.dir, u.dir, "frame %llu: dir", (unsigned long long)i);
			cr_assert_eq(k.tcp_flags, u.tcp_flags, "frame %llu: flags", (unsigned long long)i);
			cr_assert_eq(k.wire_len, fr[i].n + 4 - (size_t)inner[i], "frame %llu: length %u",
				     (unsigned long long)i, k.wire_len);
			cr_assert_eq(k.wire_len, u.wire_len, "frame %llu: length", (unsigned long long)i);
			cr_assert_eq(afm_ip_octets(&k), afm_ip_octets(&u), "frame %llu: IP octets", (unsigned long long)i);
			cr_assert_eq(k.outer_ver, u.outer_ver, "frame %llu: carrier", (unsigned long long)i);
			cr_assert(!u.outer_ver || memcmp(k.outer, u.outer, sizeof(k.outer)) == 0,
				  "frame %llu: carrier", (unsigned long long)i);	/* MPLS on a link: none */
			cr_assert_eq(k.tunnel_has_id, u.tunnel_has_id, "frame %llu: id", (unsigned long long)i);
			cr_assert_eq(k.tunnel_id, u.tunnel_id, "frame %llu: id", (unsigned long long)i);
			if (detail)
				cr_assert_eq(k.headers, u.headers, "frame %llu: headers", (unsigned long long)i);
			found++;
		}
	cr_assert_eq(found, n - damaged);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.packets, (uint64_t)n);
	cr_assert_eq(c.skipped[AFM_SKIP_TUNNEL], (uint64_t)damaged);
	cr_assert_eq(c.batched, (uint64_t)(n - damaged));
}

Test(bpf, kernel_and_user_parsers_agree_on_every_tunnel)
{
	tunnel_paths(0);
}

Test(bpf, kernel_and_user_parsers_agree_on_tunnels_with_details)
{
	tunnel_paths(1);
}

Test(bpf, skip_reasons_are_counted)
{
	struct frame f;

	open_meter(1024, 1 << 20);
	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x0806);	/* ARP */
	f_zero(&f, 28);
	send_frame(&f, 42);
	f = tcp4(1, 2, 0, "");
	f.n = 14 + 20 + 10;	/* TCP header cut short */
	send_frame(&f, 60);
	f = tcp4(1, 2, 0, "");
	f.b[14] = 0x44;	/* IHL 4 */
	send_frame(&f, 60);
	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x8100);
	f_vlan(&f, 1, 0x8100);
	f_vlan(&f, 2, 0x8100);
	f_vlan(&f, 3, 0x0800);
	f_ipv4(&f, 1, 1, 2, 5, 0, 1);
	f_ipv4_end(&f);
	send_frame(&f, 60);
	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x86dd);
	static const uint8_t a6[16] = { 1 }, b6[16] = { 2 };

	f_ipv6(&f, 60, a6, b6);
	for (int i = 0; i < 9; i++)
		f_ipv6_opts(&f, i < 8 ? 60 : 6, 0);
	f_tcp(&f, 1, 2, 0, 5);
	f_ipv6_end(&f);
	send_frame(&f, 200);

	struct afm_kcounters c = counters();

	cr_assert_eq(c.packets, 5);
	cr_assert_eq(c.skipped[AFM_SKIP_NOT_IP], 1);
	cr_assert_eq(c.skipped[AFM_SKIP_TRUNCATED], 1);
	cr_assert_eq(c.skipped[AFM_SKIP_MALFORMED], 1);
	cr_assert_eq(c.skipped[AFM_SKIP_VLAN_DEPTH], 1);
	cr_assert_eq(c.skipped[AFM_SKIP_IPV6_EXT_CHAIN], 1);
	cr_assert_eq(c.batched, 0);
}

Test(bpf, a_full_batch_goes_out_as_one_event)
{
	struct frame f = tcp4(40000, 80, AFM_TCP_ACK, "");

	open_meter(1024, 1 << 20);
	for (int i = 0; i < AFM_BATCH - 1; i++)
		send_frame(&f, 66);
	drain();
	cr_assert_eq(n_events, 0, "nothing before the batch is full");
	send_frame(&f, 66);
	drain();
	cr_assert_eq(n_events, 1);
	cr_assert_eq(events[0].ev.n, AFM_BATCH);
	cr_assert_eq(events[0].ev.reason, AFM_FLUSH_FULL);
	for (uint32_t i = 0; i < AFM_BATCH; i++)
		cr_assert_eq(events[0].ev.base + events[0].ev.s[i].stamp, i, "samples in order");
	send_frame(&f, 66);	/* waits for the next batch or the sweep */
	drain();
	cr_assert_eq(n_events, 1);
	cr_assert_eq(afm_kmeter_sweep(km, seq, 2), 0);
	drain();
	cr_assert_eq(n_events, 1, "younger than flush_after: stays");
	cr_assert_eq(afm_kmeter_sweep(km, seq + 1, 2), 0);
	drain();
	cr_assert_eq(n_events, 2);
	cr_assert_eq(events[1].ev.reason, AFM_FLUSH_SWEEP);
	cr_assert_eq(events[1].ev.n, 1);
	cr_assert_eq(counters().events[AFM_FLUSH_FULL], 1);
}

Test(bpf, fin_and_rst_ship_the_batch_at_once)
{
	open_meter(1024, 1 << 20);
	struct frame ack = tcp4(40000, 80, AFM_TCP_ACK, ""), fin = tcp4(40000, 80, AFM_TCP_FIN | AFM_TCP_ACK, "");
	struct frame rst = tcp4(40001, 80, AFM_TCP_RST, "");

	send_frame(&ack, 66);
	send_frame(&ack, 66);
	send_frame(&fin, 66);
	drain();
	cr_assert_eq(n_events, 1);
	cr_assert_eq(events[0].ev.reason, AFM_FLUSH_CLOSE);
	cr_assert_eq(events[0].ev.n, 3);
	send_frame(&rst, 60);
	drain();
	cr_assert_eq(n_events, 2);
	cr_assert_eq(events[1].ev.n, 1);
	cr_assert_eq(events[1].ev.key.port[0], 80);
}

Test(bpf, a_time_span_too_long_for_the_stamps_ships_the_batch)
{
	struct frame f = tcp4(40000, 80, AFM_TCP_ACK, "");
	struct afm_replay r = { .ts_ns = 1, .seq = 5, .wire_len = 66 };

	open_meter(1024, 1 << 20);
	cr_assert_eq(afm_kmeter_replay(km, f.b, (uint32_t)f.n, &r), 0);
	r.seq = 5 + (1ULL << 32);	/* stamp beyond 32 bits from the batch base */
	cr_assert_eq(afm_kmeter_replay(km, f.b, (uint32_t)f.n, &r), 0);
	r.seq = 3;	/* earlier than the base */
	cr_assert_eq(afm_kmeter_replay(km, f.b, (uint32_t)f.n, &r), 0);
	drain();
	cr_assert_eq(n_events, 2);
	cr_assert_eq(events[0].ev.reason, AFM_FLUSH_SPAN);
	cr_assert_eq(events[0].ev.base, 5);
	cr_assert_eq(events[1].ev.reason, AFM_FLUSH_SPAN);
	cr_assert_eq(events[1].ev.base, 5 + (1ULL << 32));
}

Test(bpf, a_flow_taking_a_slot_ships_the_batch_there_and_loses_nothing)
{
	open_meter(1, 1 << 20);	/* one slot per CPU: every flow collides */
	for (int i = 0; i < 10; i++) {
		struct frame f = tcp4((uint16_t)(1000 + i), 80, AFM_TCP_ACK, "");

		send_frame(&f, 66);
		send_frame(&f, 66);
	}
	drain();
	struct afm_kcounters c = counters();

	cr_assert_eq(c.events[AFM_FLUSH_COLLISION], 9);
	cr_assert_eq(n_events, 9);
	for (int e = 0; e < n_events; e++) {
		cr_assert_eq(events[e].ev.n, 2);
		cr_assert_eq(events[e].ev.reason, AFM_FLUSH_COLLISION);
	}
	cr_assert_eq(afm_kmeter_drain(km), 0);	/* the last flow's batch, from the table */
	cr_assert_eq(n_events, 10);
	cr_assert_eq(afm_kmeter_drained(km), 2);
	cr_assert_eq(c.lost_ringbuf, 0);
	cr_assert_eq(c.batched, 20);
}

Test(bpf, a_full_ring_buffer_loses_counted_samples)
{
	struct frame fin = tcp4(40000, 80, AFM_TCP_FIN | AFM_TCP_ACK, "");

	open_meter(1024, 4096);	/* one page: a few dozen events */
	for (int i = 0; i < 200; i++)
		send_frame(&fin, 66);	/* each FIN ships a one-sample event */
	struct afm_kcounters c = counters();

	cr_assert_gt(c.lost_ringbuf, 0);
	drain();
	uint64_t received = 0;

	for (int e = 0; e < n_events; e++)
		received += events[e].ev.n;
	c = counters();
	cr_assert_eq(c.batched, 200);
	cr_assert_eq(received + c.lost_ringbuf, c.batched, "every sample is received or counted lost");
}

Test(bpf, later_fragments_take_the_first_fragments_key)
{
	struct frame first = { 0 }, later = { 0 }, orphan = { 0 };

	open_meter(1024, 1 << 20);
	f_eth(&first, 0x0800);
	f_ipv4(&first, 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 0x2000, 4321);
	f_udp(&first, 5353, 53, 1400);
	f_u16(&first, 0x1234);
	f_ipv4_end(&first);
	f_eth(&later, 0x0800);
	f_ipv4(&later, 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 185, 4321);
	f_zero(&later, 100);
	f_ipv4_end(&later);
	f_eth(&orphan, 0x0800);
	f_ipv4(&orphan, 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 185, 999);
	f_zero(&orphan, 100);
	f_ipv4_end(&orphan);
	send_frame(&first, 1514);
	send_frame(&later, 134);
	send_frame(&orphan, 134);
	cr_assert_eq(afm_kmeter_drain(km), 0);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.frag_matched, 1);
	cr_assert_eq(c.frag_unmatched, 1);
	cr_assert_eq(n_events, 2);
	for (int e = 0; e < n_events; e++) {
		if (events[e].ev.n == 2) {
			cr_assert_eq(events[e].ev.key.dns_id, 0x1234);
			cr_assert_eq(events[e].ev.key.port[0] | events[e].ev.key.port[1] ? 1 : 0, 1);
		} else {
			cr_assert_eq(events[e].ev.key.port[0] | events[e].ev.key.port[1], 0);
		}
	}
}

/*
 * The verifier's work per program, against a budget: what the verifier walks grows
 * with every branch the parser adds (and doubles with a branch on a value the parser's
 * way depends on, before it), and kernels before 5.2 stop at 131,072. The budgets are
 * the counts measured here (Linux 6.18) with a tenth of room, by [tunnels][details]:
 * - --tunnels outer: afm_xdp 48,763, afm_xdp_compat 48,760, afm_tc 61,556, afm_sweep 197;
 *   with details (the CIC schemas) afm_xdp_detail 77,879, afm_tc_detail 48,304,
 *   afm_sweep 463 (the copy of the details into each event). Before tunnels: 52,873,
 *   53,524, 56,419; 69,357 and 71,253.
 * - --tunnels decap (the default): afm_xdp 135,495, afm_xdp_compat 135,492, afm_tc
 *   170,758; with details 177,944 and 139,505. The tunnels inside a packet's first one
 *   are a global function (afm_inner_xdp(), afm_inner_tc()) that the verifier checks once,
 *   about 66,000 of it: its 3 levels each walked about once (the parser meets its ways in
 *   the record between them: afm_rebase()).
 * --segments (the split and the extension sample: one more way through the batch; afm_tc
 * 169,301, afm_tc_detail 147,573) is checked against the same budgets. A change that
 * needs more must say why.
 */
static void check_budget(int compat_xdp, int detail, int outer, int segments)
{
	static const struct { const char *name; uint32_t budget[2][2]; } budgets[] = {
		{ "afm_xdp", { { 149000, 0 }, { 54000, 0 } } },
		{ "afm_xdp_compat", { { 149000, 0 }, { 54000, 0 } } },
		{ "afm_tc", { { 187000, 0 }, { 68000, 0 } } },
		{ "afm_xdp_detail", { { 0, 198000 }, { 0, 86000 } } },
		{ "afm_xdp_compat_detail", { { 0, 198000 }, { 0, 86000 } } },
		{ "afm_tc_detail", { { 0, 163000 }, { 0, 54000 } } },
		{ "afm_sweep", { { 206, 500 }, { 206, 500 } } },
	};
	struct afm_kmeter_config cfg = { .compat_xdp = compat_xdp, .detail = detail, .outer_tunnels = outer,
					 .segments = segments,
					 .on_event = on_event };
	struct afm_kprogram progs[8];
	char err[256];
	int n;

	if (geteuid() != 0)
		cr_skip_test("BPF tests need root");
	cr_assert_eq(afm_kmeter_open(&km, &cfg, err, sizeof(err)), 0, "%s", err);
	n = afm_kmeter_programs(km, progs, 8);
	cr_assert_eq(n, 3, "%d programs loaded", n);
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
			if (strcmp(progs[i].name, budgets[b].name) != 0)
				continue;
			found = 1;
			uint32_t budget = budgets[b].budget[outer][detail];

			cr_log_info("%s%s%s%s: %u instructions verified (budget %u), %u after the verifier",
				    progs[i].name, detail ? " (details)" : "", outer ? " (tunnels outer)" : "",
				    segments ? " (--segments)" : "", progs[i].verified_insns, budget, progs[i].xlated_insns);
			cr_assert_gt(progs[i].verified_insns, 0);
			cr_assert_leq(progs[i].verified_insns, budget, "%s%s%s: %u verified instructions", progs[i].name,
				      detail ? " (details)" : "", outer ? " (tunnels outer)" : "", progs[i].verified_insns);
		}
		cr_assert(found, "no budget for %s", progs[i].name);
	}
}

Test(bpf, every_program_stays_within_its_verifier_budget)
{
	check_budget(0, 0, 0, 0);
	afm_kmeter_close(km);
	km = NULL;
	check_budget(0, 0, 1, 0);
}

Test(bpf, the_compat_program_stays_within_its_budget)
{
	check_budget(1, 0, 0, 0);
	afm_kmeter_close(km);
	km = NULL;
	check_budget(1, 0, 1, 0);
}

Test(bpf, the_detailed_programs_stay_within_their_budget)
{
	check_budget(0, 1, 0, 0);
	afm_kmeter_close(km);
	km = NULL;
	check_budget(0, 1, 1, 0);
}

Test(bpf, the_programs_with_segments_stay_within_their_budget)
{
	check_budget(0, 0, 0, 1);
	close_meter();
	check_budget(0, 1, 0, 1);
}

/*
 * --segments: the TC program on super-frames (BPF_PROG_TEST_RUN takes gso_size,
 * gso_segs and wire_len in the context), and the user-space expansion of its samples.
 */
static void tc_run(const struct frame *f, uint32_t gso_size, uint32_t gso_segs)
{
	struct __sk_buff ctx = { .gso_size = gso_size, .gso_segs = gso_segs };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (uint32_t)f->n, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	cr_assert_eq(bpf_prog_test_run_opts(afm_kmeter_tc_fd(km), &opts), 0, "test run: %s", strerror(errno));
}

/* TCP over IPv4 (options: doff words) or IPv6 with `payload` bytes of data. */
static struct frame tcp_super(int v6, uint8_t flags, int doff, size_t payload)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct frame f = { 0 };

	f_eth(&f, v6 ? 0x86dd : 0x0800);
	if (v6)
		f_ipv6(&f, 6, a6, b6);
	else
		f_ipv4(&f, 6, IP4(10, 0, 0, 2), IP4(10, 0, 0, 1), 5, 0x4000, 7);
	f_tcp(&f, 40000, 5201, flags, doff);
	f_text(&f, "HTTP/1.1 200 OK\r\n");
	f_zero(&f, payload - 17);
	if (v6)
		f_ipv6_end(&f);
	else
		f_ipv4_end(&f);
	return f;
}

/* Every packet of every event received, expanded as user space does (afm_kevent_segment()). */
static int expand(struct afm_record *out, int max)
{
	int n = 0;

	for (int e = 0; e < n_events; e++)
		for (uint32_t s = 0; s < events[e].ev.n; s++)
			for (uint32_t j = 0; j < afm_kevent_packets(&events[e].ev, s); j++) {
				cr_assert(n < max);
				afm_kevent_segment(&events[e].ev, s, j, &out[n++]);
			}
	return n;
}

static void expect_segment(const struct afm_record *r, uint32_t len, uint32_t ip_len, uint8_t flags, int http)
{
	cr_assert_eq(r->wire_len, len, "length %u, expected %u", r->wire_len, len);
	cr_assert_eq(r->ip_len, ip_len, "IP octets %u, expected %u", r->ip_len, ip_len);
	cr_assert_eq(r->tcp_flags, flags, "flags %#x, expected %#x", r->tcp_flags, flags);
	cr_assert_eq(r->http_status != 0, http);
	cr_assert_eq(r->payload, 1, "every segment carries data");
}

Test(bpf, segments_a_tcp_super_frame_is_its_segments_the_last_of_one_byte)
{
	const uint8_t all = AFM_TCP_CWR | AFM_TCP_PSH | AFM_TCP_ACK | AFM_TCP_FIN;
	struct frame v4 = tcp_super(0, all, 8, 2801), v6 = tcp_super(1, all & ~AFM_TCP_FIN, 5, 2500);
	struct afm_record r[16], u;

	open_meter_segments(1024, 1 << 20, 0, 0, 1);
	tc_run(&v4, 1400, 3);	/* 2801 bytes of data: 1400, 1400, 1 */
	tc_run(&v6, 1000, 0);	/* gso_segs 0 (SKB_GSO_DODGY): the meter counts 3 itself */
	cr_assert_eq(afm_kmeter_drain(km), 0);
	int n = expand(r, 16);

	cr_assert_eq(n, 6);
	/* v4: 14 + 20 + 32 header bytes; v6: 14 + 40 + 20 */
	expect_segment(&r[0], 66 + 1400, 52 + 1400, AFM_TCP_CWR | AFM_TCP_ACK, 1);
	expect_segment(&r[1], 66 + 1400, 52 + 1400, AFM_TCP_ACK, 0);
	expect_segment(&r[2], 66 + 1, 52 + 1, AFM_TCP_ACK | AFM_TCP_PSH | AFM_TCP_FIN, 0);
	expect_segment(&r[3], 74 + 1000, 60 + 1000, AFM_TCP_CWR | AFM_TCP_ACK, 1);
	expect_segment(&r[4], 74 + 1000, 60 + 1000, AFM_TCP_ACK, 0);
	expect_segment(&r[5], 74 + 500, 60 + 500, AFM_TCP_ACK | AFM_TCP_PSH, 0);
	cr_assert_eq(afm_parse(v4.b, v4.b + v4.n, AFM_LINK_ETHERNET, &u, 0, 1, NULL), AFM_OK);
	cr_assert_eq(u.payload_off, 66, "the user-space parser's payload offset");
	u.key.ifindex = r[0].key.ifindex;	/* the test run's device */
	for (int i = 0; i < 3; i++) {
		cr_assert(memcmp(&r[i].key, &u.key, sizeof(u.key)) == 0);
		cr_assert_eq(r[i].dir, u.dir);
		cr_assert_eq(r[i].ts_ns, r[0].ts_ns, "every segment at the super-frame's time");
	}
	cr_assert_eq(afm_parse(v6.b, v6.b + v6.n, AFM_LINK_ETHERNET, &u, 0, 1, NULL), AFM_OK);
	cr_assert_eq(u.payload_off, 74);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.packets, 6);
	cr_assert_eq(c.bytes, 2 * 1466 + 67 + 2 * 1074 + 574, "bytes: the segments'");
	cr_assert_eq(c.superframes, 2);
	cr_assert_eq(c.segments, 6);
	cr_assert_eq(c.gso_segs_mismatch, 1, "gso_segs 0 is not 3");
	cr_assert_eq(c.batched, 4, "two samples a super-frame");
	cr_assert_eq(c.lost_ringbuf + c.lost_ringbuf_extra, 0);
}

Test(bpf, segments_udp_gso_and_what_is_not_split)
{
	struct frame udp = { 0 }, small = tcp_super(0, AFM_TCP_ACK, 5, 1000);
	struct afm_record r[16];

	f_eth(&udp, 0x0800);
	f_ipv4(&udp, 17, IP4(10, 0, 0, 2), IP4(10, 0, 0, 1), 5, 0, 9);
	f_udp(&udp, 4433, 443, 3000);
	f_zero(&udp, 3000);
	f_ipv4_end(&udp);
	open_meter_segments(1024, 1 << 20, 0, 0, 1);
	tc_run(&udp, 1200, 3);	/* 1200, 1200, 600 */
	tc_run(&small, 1448, 1);	/* one segment: a packet as any other */
	tc_run(&small, 0, 0);	/* not GSO */
	cr_assert_eq(afm_kmeter_drain(km), 0);
	int n = expand(r, 16);

	cr_assert_eq(n, 5);
	uint32_t lens[5] = { 42 + 1200, 42 + 1200, 42 + 600, (uint32_t)small.n, (uint32_t)small.n };
	uint32_t got[5], k = 0;

	for (int i = 0; i < n; i++)	/* two flows: their events in either order */
		if (r[i].key.proto == AFM_IPPROTO_UDP)
			got[k++] = r[i].wire_len;
	for (int i = 0; i < n; i++)
		if (r[i].key.proto == AFM_IPPROTO_TCP)
			got[k++] = r[i].wire_len;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(got[i], lens[i], "packet %d: %u bytes, expected %u", i, got[i], lens[i]);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.superframes, 1);
	cr_assert_eq(c.packets, 5);
}

Test(bpf, segments_off_a_super_frame_is_one_packet)
{
	struct frame f = tcp_super(0, AFM_TCP_ACK, 5, 2801);
	struct afm_record r[4];

	open_meter_segments(1024, 1 << 20, 0, 0, 0);
	tc_run(&f, 1400, 3);
	cr_assert_eq(afm_kmeter_drain(km), 0);
	cr_assert_eq(expand(r, 4), 1);
	cr_assert_eq(r[0].wire_len, f.n);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.packets, 1);
	cr_assert_eq(c.superframes, 0);
}

Test(bpf, segments_with_details_each_segment_has_its_sequence_number)
{
	struct frame f = tcp_super(0, AFM_TCP_ACK | AFM_TCP_PSH, 5, 3000);
	struct afm_record r[8], u;

	open_meter_segments(1024, 1 << 20, 0, 1, 1);
	tc_run(&f, 1000, 3);
	cr_assert_eq(afm_kmeter_drain(km), 0);
	cr_assert_eq(expand(r, 8), 3);
	cr_assert_eq(afm_parse(f.b, f.b + f.n, AFM_LINK_ETHERNET, &u, 1, 1, NULL), AFM_OK);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(r[i].tcp_seq, u.tcp_seq + i * 1000, "segment %u: seq %u", i, r[i].tcp_seq);
		cr_assert_eq(r[i].tcp_ack, u.tcp_ack);
		cr_assert_eq(r[i].tcp_window, u.tcp_window);
		cr_assert_eq(r[i].headers, u.headers);
		cr_assert_eq(r[i].l4_hlen, 20);
		cr_assert_eq(r[i].wire_len, 54 + 1000);
		cr_assert_eq(r[i].tcp_flags, i == 2 ? AFM_TCP_ACK | AFM_TCP_PSH : AFM_TCP_ACK);
	}
}

Test(bpf, segments_a_batch_with_one_free_slot_ships_before_the_pair)
{
	struct frame ack = tcp_super(0, AFM_TCP_ACK, 5, 100), big = tcp_super(0, AFM_TCP_ACK, 5, 2000);
	struct afm_record r[64];

	open_meter_segments(1024, 1 << 20, 0, 0, 1);
	for (int i = 0; i < AFM_BATCH - 1; i++)
		tc_run(&ack, 0, 0);
	tc_run(&big, 1000, 2);
	drain();
	cr_assert_eq(n_events, 1, "the batch of %d went first", AFM_BATCH - 1);
	cr_assert_eq(events[0].ev.n, AFM_BATCH - 1);
	cr_assert_eq(events[0].ev.reason, AFM_FLUSH_FULL);
	tc_run(&big, 1000, 2);	/* 2 + 2 of 32 */
	cr_assert_eq(afm_kmeter_drain(km), 0);
	cr_assert_eq(n_events, 2);
	cr_assert_eq(events[1].ev.n, 4);
	cr_assert(events[1].ev.s[0].info & AFM_KS_SEGMENTS);
	cr_assert_eq(afm_kevent_packets(&events[1].ev, 1), 0, "the extension is no packet");
	cr_assert_eq(expand(r, 64), AFM_BATCH - 1 + 4);
	struct afm_kcounters c = counters();

	cr_assert_eq(c.packets, AFM_BATCH - 1 + 4);
	cr_assert_eq(c.batched, AFM_BATCH - 1 + 4);
	cr_assert_eq(c.events[AFM_FLUSH_FULL], 1);
}

Test(bpf, segments_a_full_ring_buffer_loses_counted_packets)
{
	struct frame fin = tcp_super(0, AFM_TCP_FIN | AFM_TCP_ACK, 5, 2500);

	open_meter_segments(1024, 4096, 0, 0, 1);	/* one page: a few dozen events */
	for (int i = 0; i < 200; i++)
		tc_run(&fin, 1000, 3);	/* each FIN ships a super-frame's event: 3 packets */
	drain();
	struct afm_kcounters c = counters();
	uint64_t received = 0, packets = 0;

	for (int e = 0; e < n_events; e++) {
		received += events[e].ev.n;
		for (uint32_t s = 0; s < events[e].ev.n; s++)
			packets += afm_kevent_packets(&events[e].ev, s);
	}
	cr_assert_gt(c.lost_ringbuf, 0);
	cr_assert_eq(received + c.lost_ringbuf, c.batched, "every sample received or counted lost");
	cr_assert_eq(c.packets, 600);
	cr_assert_eq(packets + c.lost_ringbuf + c.lost_ringbuf_extra, c.packets, "every packet too");
}

/* The expansion alone (no kernel, no root): a hand-made event with a super-frame in it. */
static struct afm_event seg_event(void)
{
	struct afm_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.key.proto = AFM_IPPROTO_TCP;
	ev.n = 4;
	ev.s[0] = (struct afm_ksample){ 0, 66 | (uint32_t)AFM_TCP_ACK << AFM_KS_FLAGS_SHIFT };
	ev.s[1] = (struct afm_ksample){ 5, 3000 | AFM_KS_SEGMENTS | AFM_KS_PAYLOAD | AFM_KS_HTTP_2XX |
					       (uint32_t)(AFM_TCP_FIN | AFM_TCP_PSH | AFM_TCP_CWR | AFM_TCP_ACK)
						       << AFM_KS_FLAGS_SHIFT };
	ev.s[2] = (struct afm_ksample){ 3 | 1400u << 16, 66 };	/* the extension: 3 of 1400, 66 header bytes */
	ev.s[3] = (struct afm_ksample){ 9, 70 | AFM_KS_DIR };
	ev.overhead[0] = ev.overhead[1] = ev.overhead[3] = 14;
	return ev;
}

Test(segments, user_space_expands_a_super_frame_and_skips_its_extension)
{
	struct afm_event ev = seg_event();
	static const uint32_t packets[4] = { 1, 3, 0, 1 };
	static const uint32_t len[3] = { 1466, 1466, 66 + 3000 - 66 - 2800 };
	static const uint8_t flags[3] = { AFM_TCP_CWR | AFM_TCP_ACK, AFM_TCP_ACK, AFM_TCP_FIN | AFM_TCP_PSH | AFM_TCP_ACK };

	for (uint32_t i = 0; i < 4; i++)
		cr_assert_eq(afm_kevent_packets(&ev, i), packets[i], "sample %u", i);
	for (uint32_t j = 0; j < 3; j++) {
		struct afm_record r;

		afm_kevent_segment(&ev, 1, j, &r);
		cr_assert_eq(r.wire_len, len[j], "segment %u: %u bytes", j, r.wire_len);
		cr_assert_eq(r.ip_len, len[j] - 14);
		cr_assert_eq(r.tcp_flags, flags[j]);
		cr_assert_eq(r.http_status != 0, j == 0);
		cr_assert_eq(r.ts_ns, 5);
	}
	ev.n = 2;	/* a pair cut short (cannot happen): the sample alone, whole */
	cr_assert_eq(afm_kevent_packets(&ev, 1), 1);
}

static uint32_t seen_samples[8], n_seen;

static void on_released(void *ctx, const struct afm_event *ev, uint32_t i)
{
	(void)ctx;
	(void)ev;
	cr_assert(n_seen < 8);
	seen_samples[n_seen++] = i;
}

Test(segments, the_reorder_holds_no_extension_as_a_sample)
{
	struct afm_event ev = seg_event();
	struct afm_reorder r = { 0 };

	n_seen = 0;
	cr_assert_eq(afm_reorder_push(&r, &ev), 0);
	cr_assert_eq(afm_reorder_held(&r), 3);
	afm_reorder_release(&r, UINT64_MAX, on_released, NULL);
	cr_assert_eq(n_seen, 3);
	cr_assert_eq(seen_samples[0], 0);
	cr_assert_eq(seen_samples[1], 1);
	cr_assert_eq(seen_samples[2], 3);
	afm_reorder_free(&r);
}
