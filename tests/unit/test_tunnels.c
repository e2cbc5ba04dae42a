// SPDX-License-Identifier: MIT
/* The tunnels the parser opens (docs/METERING.md, 1.1), and the damage it reports. */
#include <criterion/criterion.h>

#include "afm_parse.h"
#include "frames.h"

static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

#define OUTER_SRC TUN_OUTER_SRC
#define OUTER_DST TUN_OUTER_DST
#define inner_ip f_inner_ip
#define inner_eth f_inner_eth
#define outer4 f_outer4

static int parse(const struct frame *f, struct afm_record *rec, int tunnels)
{
	return afm_parse(f->b, f->b + f->n, AFM_LINK_ETHERNET, rec, 1, tunnels, NULL);
}

static void expect_inner(const struct afm_record *r, size_t frame_off, uint8_t kind)
{
	uint32_t a0, a1;

	memcpy(&a0, r->key.addr[0], 4);
	memcpy(&a1, r->key.addr[1], 4);
	cr_assert_eq(ntohl(a0), IP4(10, 0, 0, 1));
	cr_assert_eq(ntohl(a1), IP4(10, 0, 0, 2));
	cr_assert_eq(r->key.port[0], 80);
	cr_assert_eq(r->key.port[1], 40000);
	cr_assert_eq(r->dir, 1);
	cr_assert_eq(r->key.proto, 6);
	cr_assert_eq(r->tcp_flags, AFM_TCP_PSH | AFM_TCP_ACK);
	cr_assert_eq(r->frame_off, frame_off, "frame at %u, want %zu", r->frame_off, frame_off);
	cr_assert_eq(r->key.tunnel[0], kind);
	cr_assert_eq(r->key.tunnel[1], 0);
	cr_assert_eq(r->headers, 40);	/* the inner IP and TCP headers */
}

/* docs/METERING.md, 2: mix of the two addresses' words, in either order. */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

static uint32_t digest4(uint32_t a, uint32_t b)
{
	uint32_t v = mix32(a) + mix32(b);

	for (uint32_t i = 1; i < 4; i++)
		v += 2 * mix32(i * 0x9e3779b9u);
	return v;
}

Test(tunnels, vxlan_is_the_ethernet_frame_inside_keyed_by_its_vni)
{
	struct frame f;
	struct afm_record r;
	size_t o = outer4(&f, 17);

	f_udp(&f, 51000, 4789, 0);
	f_vxlan(&f, 0x08, 100);
	size_t inner = f.n;

	inner_eth(&f);
	f_ip_end_at(&f, o);
	cr_assert_eq(parse(&f, &r, 1), AFM_OK);
	expect_inner(&r, inner, AFM_TUN_VXLAN);
	cr_assert_eq(r.l3_off, 14);
	cr_assert_eq(r.key.tunnel_key, 100);
	cr_assert_eq(r.tunnel_id, 100);
	cr_assert_eq(r.tunnel_has_id, 1);
	cr_assert_eq(r.outer_ver, 4);
	uint32_t s, d;

	memcpy(&s, r.outer[0], 4);
	memcpy(&d, r.outer[1], 4);
	cr_assert_eq(ntohl(s), OUTER_SRC);
	cr_assert_eq(ntohl(d), OUTER_DST);
	afm_record_wire(&r, f.n + 4);	/* with the outer frame's FCS, say */
	cr_assert_eq(r.wire_len, f.n + 4 - inner);
	cr_assert_eq(afm_ip_octets(&r), 45);

	/* Linux's port; the I flag clear is damage; --tunnels outer meters the UDP datagram */
	f.b[o + 20 + 2] = 8472 >> 8, f.b[o + 20 + 3] = 8472 & 0xff;
	cr_assert_eq(parse(&f, &r, 1), AFM_OK);
	cr_assert_eq(r.key.tunnel[0], AFM_TUN_VXLAN);
	cr_assert_eq(parse(&f, &r, 0), AFM_OK);
	cr_assert_eq(r.key.tunnel[0], 0);
	cr_assert_eq(r.key.proto, 17);
	cr_assert_eq(r.frame_off, 0);
	f.b[o + 28] = 0;
	cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_TUNNEL);
}

Test(tunnels, two_tenants_stay_apart_and_both_directions_share_the_key)
{
	struct frame f;
	struct afm_record a, b, back;

	for (int t = 0; t < 3; t++) {
		size_t o = outer4(&f, 17);

		f_udp(&f, (uint16_t)(50000 + t), 4789, 0);
		f_vxlan(&f, 0x08, t == 1 ? 200 : 100);
		if (t < 2) {
			inner_eth(&f);
		} else {	/* the answer, other outer addresses and source port */
			f_eth(&f, 0x0800);
			f_ipv4(&f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 5, 0x4000, 7);
			f_tcp(&f, 80, 40000, AFM_TCP_ACK, 5);
			f_ipv4_end(&f);
		}
		f_ip_end_at(&f, o);
		cr_assert_eq(parse(&f, t == 0 ? &a : t == 1 ? &b : &back, 1), AFM_OK);
	}
	cr_assert(memcmp(&a.key, &b.key, sizeof(a.key)) != 0);
	cr_assert(memcmp(&a.key, &back.key, sizeof(a.key)) == 0);
	cr_assert_neq(a.dir, back.dir);
}

Test(tunnels, geneve_skips_its_options_and_follows_its_protocol_type)
{
	struct frame f;
	struct afm_record r;

	for (int proto = 0; proto < 2; proto++) {
		size_t o = outer4(&f, 17);

		f_udp(&f, 51000, 6081, 0);
		f_geneve(&f, 0, 3, proto ? 0x0800 : 0x6558, 0xabcdef);
		size_t inner = f.n;

		if (proto)
			inner_ip(&f);
		else
			inner_eth(&f);
		f_ip_end_at(&f, o);
		cr_assert_eq(parse(&f, &r, 1), AFM_OK);
		expect_inner(&r, inner, AFM_TUN_GENEVE);
		cr_assert_eq(r.l3_off, proto ? 0 : 14);
		cr_assert_eq(r.key.tunnel_key, 0xabcdef);
	}
	f.b[14 + 20 + 8] = 0x40 | 3;	/* version 1 */
	cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_TUNNEL);
	f.b[14 + 20 + 8] = 3;
	f.b[14 + 20 + 8 + 2] = 0x88, f.b[14 + 20 + 8 + 3] = 0x99;	/* another protocol */
	cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_NOT_IP);
}

Test(tunnels, gre_with_every_optional_field)
{
	static const uint16_t flags[] = { 0, 0x2000, 0x8000 | 0x2000 | 0x1000, 0x1000 };
	struct frame f;
	struct afm_record r;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		for (int eth = 0; eth < 2; eth++) {
			size_t o = outer4(&f, 47);

			f_gre(&f, flags[i], eth ? 0x6558 : 0x0800, 0xdeadbeef);
			size_t inner = f.n;

			if (eth)
				inner_eth(&f);
			else
				inner_ip(&f);
			f_ip_end_at(&f, o);
			cr_assert_eq(parse(&f, &r, 1), AFM_OK, "flags %#x", flags[i]);
			expect_inner(&r, inner, AFM_TUN_GRE);
			cr_assert_eq(r.tunnel_has_id, !!(flags[i] & 0x2000));
			cr_assert_eq(r.key.tunnel_key,
				     flags[i] & 0x2000 ? 0xdeadbeef : digest4(OUTER_SRC, OUTER_DST));
		}
	}
	/* routing, version 2: damage; version 1 (PPTP) and WCCP: not tunnels */
	static const struct { uint16_t flags, proto; int verdict; uint8_t kind; } other[] = {
		{ 0x4000, 0x0800, AFM_SKIP_TUNNEL, 0 }, { 0x0002, 0x0800, AFM_SKIP_TUNNEL, 0 },
		{ 0x2001, 0x880b, AFM_OK, 0 }, { 0, 0x883e, AFM_OK, 0 },
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		size_t o = outer4(&f, 47);

		f_gre(&f, other[i].flags, other[i].proto, 1);
		inner_ip(&f);
		f_ip_end_at(&f, o);
		cr_assert_eq(parse(&f, &r, 1), other[i].verdict, "GRE %#x/%#x", other[i].flags, other[i].proto);
		if (other[i].verdict == AFM_OK) {
			cr_assert_eq(r.key.tunnel[0], 0);
			cr_assert_eq(r.key.proto, 47);
		}
	}
}

Test(tunnels, erspan_types_one_two_and_three)
{
	struct frame f;
	struct afm_record r;

	for (int type = 1; type <= 4; type++) {	/* 4: type III with the sub-header, an IP frame */
		size_t o = outer4(&f, 47);

		f_gre(&f, type == 1 ? 0 : 0x1000, type >= 3 ? 0x22eb : 0x88be, 0);
		if (type == 2)
			f_erspan2(&f, 1, 0x155);
		if (type >= 3)
			f_erspan3(&f, 2, 0x2aa, type == 4 ? 2 : 0, type == 4);
		size_t inner = f.n;

		if (type == 4)
			inner_ip(&f);
		else
			inner_eth(&f);
		f_ip_end_at(&f, o);
		cr_assert_eq(parse(&f, &r, 1), AFM_OK, "type %d", type);
		expect_inner(&r, inner, AFM_TUN_ERSPAN);
		uint32_t id = type == 1 ? 0 : type == 2 ? 0x155 : 0x2aa;

		cr_assert_eq(r.tunnel_has_id, type != 1);
		cr_assert_eq(r.key.tunnel_key, type == 1 ? digest4(OUTER_SRC, OUTER_DST) : id);
		if (type >= 3) {
			f.b[14 + 20 + 8] = 0x10;	/* version 1 in a type III header (after GRE with S) */
			cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_TUNNEL);
		}
	}
}

Test(tunnels, gtpu_g_pdus_with_and_without_extensions_keyed_by_the_carrier)
{
	struct frame f;
	struct afm_record r, back;

	for (int ext = 0; ext <= 2; ext++) {
		size_t o = outer4(&f, 17);

		f_udp(&f, 2152, 2152, 0);
		f_gtpu(&f, 255, 0x1234, (uint16_t)(45 + (ext ? 4 + 4 * ext : 0)), ext);
		size_t inner = f.n;

		inner_ip(&f);
		f_ip_end_at(&f, o);
		cr_assert_eq(parse(&f, &r, 1), AFM_OK, "ext %d", ext);
		expect_inner(&r, inner, AFM_TUN_GTPU);
		cr_assert_eq(r.tunnel_id, 0x1234);
		cr_assert_eq(r.key.tunnel_key, digest4(OUTER_SRC, OUTER_DST));
	}
	/* the downlink: other TEID, the carrier's addresses swapped: the same key */
	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x0800);
	f_ipv4(&f, 17, OUTER_DST, OUTER_SRC, 5, 0, 1);
	size_t o = f.l3;

	f_udp(&f, 2152, 2152, 0);
	f_gtpu(&f, 255, 0x9999, 40, 0);
	f_ipv4(&f, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 5, 0x4000, 7);
	f_tcp(&f, 80, 40000, AFM_TCP_ACK, 5);
	f_ipv4_end(&f);
	f_ip_end_at(&f, o);
	cr_assert_eq(parse(&f, &back, 1), AFM_OK);
	cr_assert(memcmp(&r.key, &back.key, sizeof(r.key)) == 0);
	cr_assert_eq(back.tunnel_id, 0x9999);
	/* an echo request is the tunnel's own: metered as UDP; a length too small: damage */
	f.b[o + 28 + 1] = 1;
	cr_assert_eq(parse(&f, &back, 1), AFM_OK);
	cr_assert_eq(back.key.tunnel[0], 0);
	cr_assert_eq(back.key.port[0], 2152);
	f.b[o + 28 + 1] = 255;
	f.b[o + 28 + 0] = 0x34;	/* the optional word, but a length of 40 < 4: fine; 2 is not */
	f.b[o + 28 + 2] = 0, f.b[o + 28 + 3] = 2;
	cr_assert_eq(parse(&f, &back, 1), AFM_SKIP_TUNNEL);
}

Test(tunnels, mpls_stacks_on_a_link_and_in_gre)
{
	struct frame f;
	struct afm_record r;

	for (int cw = 0; cw < 2; cw++) {
		memset(&f, 0, sizeof(f));
		f_eth(&f, 0x8847);
		f_mpls(&f, 16, 0);
		f_mpls(&f, 7, 0);	/* an entropy label indicator is an ordinary entry */
		f_mpls(&f, 1000, 1);
		if (cw)
			f_u32(&f, 0);
		size_t inner = f.n;

		if (cw)
			inner_eth(&f);
		else
			inner_ip(&f);
		cr_assert_eq(parse(&f, &r, 1), AFM_OK);
		expect_inner(&r, inner, AFM_TUN_MPLS);
		cr_assert_eq(r.tunnel_id, 1000);
		cr_assert_eq(r.key.tunnel_key, 0);
		cr_assert_eq(r.outer_ver, 0);
		cr_assert_eq(parse(&f, &r, 0), AFM_SKIP_NOT_IP);
	}
	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x8847);
	for (int i = 0; i < 9; i++)
		f_mpls(&f, 20, i == 8);
	inner_ip(&f);
	cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_TUNNEL, "a ninth entry");
	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x8847);
	f_mpls(&f, 13, 1);
	inner_ip(&f);
	cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_NOT_IP, "GAL");

	size_t o = outer4(&f, 47);	/* MPLS in GRE: the GRE carrier */

	f_gre(&f, 0, 0x8847, 0);
	f_mpls(&f, 300, 1);
	size_t inner = f.n;

	inner_ip(&f);
	f_ip_end_at(&f, o);
	cr_assert_eq(parse(&f, &r, 1), AFM_OK);
	cr_assert_eq(r.key.tunnel[0], AFM_TUN_GRE);
	cr_assert_eq(r.key.tunnel[1], AFM_TUN_MPLS);
	cr_assert_eq(r.frame_off, inner);
	cr_assert_eq(r.outer_ver, 4);
	cr_assert_eq(r.tunnel_id, 300);
	cr_assert_eq(r.key.tunnel_key, digest4(OUTER_SRC, OUTER_DST) * 16777619u);
}

Test(tunnels, ip_in_ip_every_way_round)
{
	struct frame f;
	struct afm_record r;

	for (int outer6 = 0; outer6 < 2; outer6++) {
		memset(&f, 0, sizeof(f));
		f_eth(&f, outer6 ? 0x86dd : 0x0800);
		if (outer6)
			f_ipv6(&f, 4, v6a, v6b);
		else
			f_ipv4(&f, 4, OUTER_SRC, OUTER_DST, 5, 0, 1);
		size_t o = f.l3, inner = f.n;

		inner_ip(&f);
		f_ip_end_at(&f, o);
		cr_assert_eq(parse(&f, &r, 1), AFM_OK);
		expect_inner(&r, inner, AFM_TUN_IPIP);
		cr_assert_eq(r.l3_off, 0);
		cr_assert_eq(r.outer_ver, outer6 ? 6 : 4);
		cr_assert_eq(r.tunnel_has_id, 0);
	}
	/* 6in4 */
	size_t o = outer4(&f, 41);

	f_ipv6(&f, 17, v6a, v6b);
	f_udp(&f, 1, 2, 0);
	f_ipv6_end(&f);
	f_ip_end_at(&f, o);
	cr_assert_eq(parse(&f, &r, 1), AFM_OK);
	cr_assert_eq(r.key.ip_version, 6);
	cr_assert_eq(r.key.proto, 17);
	cr_assert_eq(r.key.tunnel[0], AFM_TUN_IPIP);
}

/* ERSPAN -> VXLAN -> IP-in-IP: three levels; a fourth is damage. */
Test(tunnels, three_nested_tunnels_and_no_more)
{
	struct frame f;
	struct afm_record r;

	for (int four = 0; four < 2; four++) {
		size_t o1 = outer4(&f, 47);

		f_gre(&f, 0x1000, 0x88be, 0);
		f_erspan2(&f, 1, 9);
		f_eth(&f, 0x8100);
		f_vlan(&f, 33, 0x0800);
		f_ipv4(&f, 17, IP4(172, 16, 0, 1), IP4(172, 16, 0, 2), 5, 0, 1);
		size_t o2 = f.l3;

		f_udp(&f, 40000, 4789, 0);
		f_vxlan(&f, 0x08, 5000);
		f_eth(&f, 0x0800);
		f_ipv4(&f, 4, IP4(100, 64, 0, 1), IP4(100, 64, 0, 2), 5, 0, 1);
		size_t o3 = f.l3, o4 = 0;

		if (four) {
			f_ipv4(&f, 4, IP4(100, 65, 0, 1), IP4(100, 65, 0, 2), 5, 0, 1);
			o4 = f.l3;
		}
		size_t inner = f.n;

		inner_ip(&f);
		if (four)
			f_ip_end_at(&f, o4);
		f_ip_end_at(&f, o3);
		f_ip_end_at(&f, o2);
		f_ip_end_at(&f, o1);
		if (four) {
			cr_assert_eq(parse(&f, &r, 1), AFM_SKIP_TUNNEL);
			continue;
		}
		cr_assert_eq(parse(&f, &r, 1), AFM_OK);
		cr_assert_eq(r.key.tunnel[0], AFM_TUN_ERSPAN);
		cr_assert_eq(r.key.tunnel[1], AFM_TUN_VXLAN);
		cr_assert_eq(r.key.tunnel[2], AFM_TUN_IPIP);
		cr_assert_eq(r.frame_off, inner);
		cr_assert_eq(r.key.vlan[0], 0, "the VLAN of a frame around it is not the flow's");
		uint32_t s;

		memcpy(&s, r.outer[0], 4);
		cr_assert_eq(ntohl(s), IP4(100, 64, 0, 1), "the innermost tunnel's carrier");
		cr_assert_eq(r.key.tunnel_key,
			     (9u * 16777619u + 5000u) * 16777619u + digest4(IP4(100, 64, 0, 1), IP4(100, 64, 0, 2)));
	}
}

/* Outer fragments are not reassembled: both are the outer flow's, as untunnelled. */
Test(tunnels, an_outer_fragment_is_not_opened)
{
	struct frame f;
	struct afm_record r;

	memset(&f, 0, sizeof(f));
	f_eth(&f, 0x0800);
	f_ipv4(&f, 17, OUTER_SRC, OUTER_DST, 5, 0x2000, 99);	/* MF */
	f_udp(&f, 50000, 4789, 0);
	f_vxlan(&f, 0x08, 1);
	inner_eth(&f);
	f_ip_end_at(&f, 14);
	cr_assert_eq(parse(&f, &r, 1), AFM_OK);
	cr_assert_eq(r.key.tunnel[0], 0);
	cr_assert_eq(r.frag, AFM_FRAG_FIRST);
	cr_assert_eq(r.key.port[1], 4789);
}

/*
 * Every cut of a tunnelled frame: outer headers truncated, the tunnel header `tunnel`,
 * the inner frame's headers truncated; never a read past the cut (the ASan build).
 */
Test(tunnels, truncated_at_every_offset)
{
	struct frame f;
	struct afm_record r;
	size_t o = outer4(&f, 17);

	f_udp(&f, 2152, 2152, 0);
	f_gtpu(&f, 255, 7, 60, 1);
	size_t inner = f.n;

	inner_ip(&f);
	f_ip_end_at(&f, o);
	for (size_t cut = 0; cut < inner + 40; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, f.b, cut);
		int v = afm_parse(copy, copy + cut, AFM_LINK_ETHERNET, &r, 1, 1, NULL);
		int want = cut < 14 + 20 + 8 ? AFM_SKIP_TRUNCATED : cut < inner ? AFM_SKIP_TUNNEL : AFM_SKIP_TRUNCATED;

		cr_assert_eq(v, want, "cut at %zu: %d, want %d", cut, v, want);
		free(copy);
	}
	cr_assert_eq(parse(&f, &r, 1), AFM_OK);
}

/* The catalogue the BPF agreement test sends (frames.h): each parses as it says. */
Test(tunnels, the_catalogue_parses_as_it_says)
{
	struct frame f;
	struct afm_record r;
	long inner;

	for (int i = 0; (inner = tunnel_frame(i, &f)) >= 0; i++) {
		int v = parse(&f, &r, 1);

		cr_assert_eq(v, inner ? AFM_OK : AFM_SKIP_TUNNEL, "frame %d: %d", i, v);
		if (inner)
			cr_assert_eq(r.frame_off, (size_t)inner, "frame %d", i);
	}
}
