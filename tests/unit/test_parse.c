// SPDX-License-Identifier: MIT
/* The shared parser (include/afm_parse.h) on crafted frames. */
#include <criterion/criterion.h>

#include "afm_parse.h"
#include "frames.h"

static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static int parse(const struct frame *f, int link, struct afm_record *rec)
{
	return afm_parse(f->b, f->b + f->n, link, rec, 1, 1, NULL);
}

static uint32_t addr4(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

Test(parse, ipv4_tcp_key_is_canonical)
{
	struct frame f = tcp4(40000, 80, AFM_TCP_SYN | AFM_TCP_ACK, "");
	struct afm_record r;

	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.ip_version, 4);
	cr_assert_eq(r.key.proto, 6);
	/* 10.0.0.1:80 < 10.0.0.2:40000: the sender is endpoint 1 */
	cr_assert_eq(addr4(r.key.addr[0]), IP4(10, 0, 0, 1));
	cr_assert_eq(r.key.port[0], 80);
	cr_assert_eq(addr4(r.key.addr[1]), IP4(10, 0, 0, 2));
	cr_assert_eq(r.key.port[1], 40000);
	cr_assert_eq(r.dir, 1);
	cr_assert_eq(r.tcp_flags, AFM_TCP_SYN | AFM_TCP_ACK);
	cr_assert_eq(r.frag, AFM_FRAG_NONE);
	cr_assert_eq(r.http_status, 0);
	cr_assert_eq(r.key.vlan[0], 0);
	cr_assert_eq(r.key.flags, 0);
}

Test(parse, both_directions_share_the_key)
{
	struct frame a = tcp4(40000, 80, AFM_TCP_ACK, "");
	struct frame b = { 0 };
	struct afm_record ra, rb;

	f_eth(&b, 0x0800);
	f_ipv4(&b, 6, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 5, 0, 1);
	f_tcp(&b, 80, 40000, AFM_TCP_ACK, 5);
	f_ipv4_end(&b);
	cr_assert_eq(parse(&a, AFM_LINK_ETHERNET, &ra), AFM_OK);
	cr_assert_eq(parse(&b, AFM_LINK_ETHERNET, &rb), AFM_OK);
	cr_assert(memcmp(&ra.key, &rb.key, sizeof(ra.key)) == 0);
	cr_assert_neq(ra.dir, rb.dir);
}

Test(parse, same_host_different_ports_split_by_port)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x0800);
	f_ipv4(&f, 17, IP4(127, 0, 0, 1), IP4(127, 0, 0, 1), 5, 0, 1);
	f_udp(&f, 5000, 4000, 0);
	f_ipv4_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.port[0], 4000);
	cr_assert_eq(r.dir, 1);
}

Test(parse, http_status_lines)
{
	static const struct {
		const char *payload;
		uint16_t status;
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\n", 200 }, { "HTTP/1.0 204 No Content", 204 },
		{ "HTTP/1.1 404 Not Found", 404 }, { "HTTP/1.1 299", 299 },
		{ "HTTP/2 200 OK\r\n", 0 },	  { "HTTP/1.1 20", 0 },
		{ "HTTP/1.1 2x0 OK", 0 },	  { "GET / HTTP/1.1\r\n", 0 },
		{ "HTTP/1.2 200 OK", 0 },	  { "HTTP/1.1  200 OK", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct frame f = tcp4(80, 40000, AFM_TCP_ACK | AFM_TCP_PSH, cases[i].payload);
		struct afm_record r;

		cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
		cr_assert_eq(r.http_status, cases[i].status, "'%s'", cases[i].payload);
	}
}

Test(parse, http_status_not_read_past_the_ip_packet)
{
	/* The status line lies in bytes after the IP packet's declared end (padding). */
	struct frame f = tcp4(80, 40000, AFM_TCP_ACK, "");
	struct afm_record r;

	f_text(&f, "HTTP/1.1 200 OK");
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.http_status, 0);
}

Test(parse, single_vlan_tag)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x8100);
	f_vlan(&f, 42, 0x0800);
	f_ipv4(&f, 1, IP4(192, 168, 1, 1), IP4(192, 168, 1, 2), 5, 0, 1);
	f_zero(&f, 8);
	f_ipv4_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.vlan[0], 42);
	cr_assert_eq(r.key.vlan[1], 0);
	cr_assert_eq(r.key.proto, 1);
	cr_assert_eq(r.key.port[0], 0);
	cr_assert_eq(r.key.port[1], 0);
}

Test(parse, qinq_keeps_both_ids)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x88a8);
	f_vlan(&f, 10, 0x8100);
	f_vlan(&f, 20, 0x86dd);
	f_ipv6(&f, 17, v6a, v6b);
	f_udp(&f, 1234, 5678, 0);
	f_ipv6_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.vlan[0], 10);
	cr_assert_eq(r.key.vlan[1], 20);
	cr_assert_eq(r.key.ip_version, 6);
}

Test(parse, third_vlan_tag_is_skipped)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x88a8);
	f_vlan(&f, 10, 0x8100);
	f_vlan(&f, 20, 0x8100);
	f_vlan(&f, 30, 0x0800);
	f_ipv4(&f, 1, 1, 2, 5, 0, 1);
	f_ipv4_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_SKIP_VLAN_DEPTH);
}

Test(parse, ipv4_options_are_skipped_over)
{
	for (int ihl = 5; ihl <= 15; ihl++) {
		struct frame f = { 0 };
		struct afm_record r;

		f_eth(&f, 0x0800);
		f_ipv4(&f, 6, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2), ihl, 0, 1);
		f_tcp(&f, 1111, 2222, AFM_TCP_SYN, 5);
		f_ipv4_end(&f);
		cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK, "ihl %d", ihl);
		cr_assert_eq(r.key.port[0], 1111);
		cr_assert_eq(r.key.port[1], 2222);
		cr_assert_eq(r.tcp_flags, AFM_TCP_SYN);
	}
}

Test(parse, ipv6_hop_by_hop_then_first_fragment_with_dns)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x86dd);
	f_ipv6(&f, 0, v6b, v6a);
	f_ipv6_opts(&f, 44, 1);			/* hop-by-hop, 16 bytes */
	f_ipv6_frag(&f, 17, 0, 1, 0xdeadbeef);	/* first fragment */
	f_udp(&f, 53, 33333, 100);
	f_u16(&f, 0xabcd);			/* DNS transaction ID */
	f_zero(&f, 30);
	f_ipv6_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.frag, AFM_FRAG_FIRST);
	cr_assert_eq(r.frag_id, 0xdeadbeef);
	cr_assert_eq(r.key.proto, 17);
	cr_assert_eq(r.key.flags, AFM_KEY_DNS);
	cr_assert_eq(r.key.dns_id, 0xabcd);
	/* v6a < v6b: endpoint 0 is the destination v6a:33333 */
	cr_assert(memcmp(r.key.addr[0], v6a, 16) == 0);
	cr_assert_eq(r.key.port[0], 33333);
	cr_assert_eq(r.key.port[1], 53);
	cr_assert_eq(r.dir, 1);
}

Test(parse, ipv6_later_fragment_has_no_ports)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x86dd);
	f_ipv6(&f, 60, v6a, v6b);
	f_ipv6_opts(&f, 44, 0);			/* destination options */
	f_ipv6_frag(&f, 17, 185, 0, 77);	/* offset 1480 */
	f_zero(&f, 200);
	f_ipv6_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.frag, AFM_FRAG_LATER);
	cr_assert_eq(r.frag_id, 77);
	cr_assert_eq(r.key.proto, 17);
	cr_assert_eq(r.key.port[0], 0);
	cr_assert_eq(r.key.port[1], 0);
	cr_assert_eq(r.key.flags, 0);
}

Test(parse, ipv6_atomic_fragment_is_not_a_fragment)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x86dd);
	f_ipv6(&f, 44, v6a, v6b);
	f_ipv6_frag(&f, 6, 0, 0, 99);
	f_tcp(&f, 1, 2, AFM_TCP_ACK, 5);
	f_ipv6_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.frag, AFM_FRAG_NONE);
	cr_assert_eq(r.key.port[1], 2);
}

Test(parse, ipv4_fragments)
{
	struct frame first = { 0 }, later = { 0 };
	struct afm_record r;

	f_eth(&first, 0x0800);
	f_ipv4(&first, 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 0x2000, 4321);
	f_udp(&first, 5353, 53, 1400);
	f_u16(&first, 0x1234);
	f_ipv4_end(&first);
	cr_assert_eq(parse(&first, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.frag, AFM_FRAG_FIRST);
	cr_assert_eq(r.frag_id, 4321);
	cr_assert_eq(r.key.dns_id, 0x1234);

	f_eth(&later, 0x0800);
	f_ipv4(&later, 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 185, 4321);
	f_zero(&later, 100);
	f_ipv4_end(&later);
	cr_assert_eq(parse(&later, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.frag, AFM_FRAG_LATER);
	cr_assert_eq(r.key.port[0] | r.key.port[1], 0);
	cr_assert_eq(r.key.proto, 17);
}

Test(parse, dns_id_needs_two_payload_bytes_inside_the_ip_packet)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x0800);
	f_ipv4(&f, 17, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), 5, 0, 1);
	f_udp(&f, 40000, 53, 0);
	f_ipv4_end(&f);
	f_u16(&f, 0x5555);	/* Ethernet padding, not payload */
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.flags, AFM_KEY_DNS);
	cr_assert_eq(r.key.dns_id, 0);
}

Test(parse, tcp_on_port_53_is_not_keyed_per_transaction)
{
	struct frame f = tcp4(53, 40000, AFM_TCP_ACK, "\x12\x34");
	struct afm_record r;

	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.flags, 0);
	cr_assert_eq(r.key.dns_id, 0);
}

Test(parse, malformed_headers)
{
	struct frame f;
	struct afm_record r;

	f = tcp4(1, 2, 0, "");
	f.b[14] = 0x44;	/* IHL 4 */
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_SKIP_MALFORMED);

	f = tcp4(1, 2, 0, "");
	f.b[14] = 0x65;	/* version 6 behind EtherType IPv4 */
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_SKIP_MALFORMED);

	f = tcp4(1, 2, 0, "");
	f.b[14 + 3] = 10;	/* total length 10 < header */
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_SKIP_MALFORMED);

	f = tcp4(1, 2, 0, "");
	f.b[14 + 20 + 12] = 0x40;	/* TCP data offset 4 */
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_SKIP_MALFORMED);
}

Test(parse, ipv4_total_length_zero_is_accepted)
{
	/* TSO/GRO super-frames captured on the host can carry a zero total length. */
	struct frame f = tcp4(80, 40000, AFM_TCP_ACK, "HTTP/1.1 200 OK");
	struct afm_record r;

	f.b[14 + 2] = 0;
	f.b[14 + 3] = 0;
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.http_status, 200);
}

Test(parse, not_ip)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x0806);	/* ARP */
	f_zero(&f, 28);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_SKIP_NOT_IP);
}

Test(parse, ipv6_extension_chain_bound)
{
	for (int n = 1; n <= 9; n++) {
		struct frame f = { 0 };
		struct afm_record r;

		f_eth(&f, 0x86dd);
		f_ipv6(&f, 60, v6a, v6b);
		for (int i = 0; i < n; i++)
			f_ipv6_opts(&f, i + 1 < n ? 60 : 6, 0);
		f_tcp(&f, 10, 20, AFM_TCP_SYN, 5);
		f_ipv6_end(&f);
		cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), n <= 8 ? AFM_OK : AFM_SKIP_IPV6_EXT_CHAIN,
			     "%d extension headers", n);
		if (n <= 8)
			cr_assert_eq(r.key.port[0], 10);
	}
}

Test(parse, ipv6_ah_length_is_in_words_of_four)
{
	struct frame f = { 0 };
	struct afm_record r;

	f_eth(&f, 0x86dd);
	f_ipv6(&f, 51, v6a, v6b);
	f_u8(&f, 6);	/* AH, next TCP, payload length 4 -> (4 + 2) * 4 = 24 bytes */
	f_u8(&f, 4);
	f_zero(&f, 22);
	f_tcp(&f, 10, 20, AFM_TCP_SYN, 5);
	f_ipv6_end(&f);
	cr_assert_eq(parse(&f, AFM_LINK_ETHERNET, &r), AFM_OK);
	cr_assert_eq(r.key.proto, 6);
	cr_assert_eq(r.key.port[1], 20);
}

Test(parse, truncated_at_every_offset)
{
	/* For each frame, every capture length that cuts a needed header is 'truncated';
	 * from the end of the last needed header on, the frame parses. */
	struct frame frames[4];
	size_t needed[4];
	struct afm_record r;

	frames[0] = tcp4(1, 2, AFM_TCP_ACK, "HTTP/1.1 200 OK");
	needed[0] = 14 + 20 + 20;
	memset(&frames[1], 0, sizeof(frames[1]));
	f_eth(&frames[1], 0x8100);
	f_vlan(&frames[1], 5, 0x86dd);
	f_ipv6(&frames[1], 0, v6a, v6b);
	f_ipv6_opts(&frames[1], 44, 1);
	f_ipv6_frag(&frames[1], 17, 0, 1, 9);
	f_udp(&frames[1], 53, 1000, 12);
	f_zero(&frames[1], 12);
	f_ipv6_end(&frames[1]);
	needed[1] = 18 + 40 + 16 + 8 + 8;
	memset(&frames[2], 0, sizeof(frames[2]));
	f_eth(&frames[2], 0x0800);
	f_ipv4(&frames[2], 6, 1, 2, 15, 0, 1);
	f_tcp(&frames[2], 1, 2, 0, 15);
	f_ipv4_end(&frames[2]);
	needed[2] = 14 + 60 + 20;
	memset(&frames[3], 0, sizeof(frames[3]));
	f_eth(&frames[3], 0x88a8);
	f_vlan(&frames[3], 1, 0x8100);
	f_vlan(&frames[3], 2, 0x0800);
	f_ipv4(&frames[3], 1, 1, 2, 5, 0, 1);
	f_zero(&frames[3], 8);
	f_ipv4_end(&frames[3]);
	needed[3] = 22 + 20;

	for (int i = 0; i < 4; i++)
		for (size_t cap = 0; cap <= frames[i].n; cap++) {
			int v = afm_parse(frames[i].b, frames[i].b + cap, AFM_LINK_ETHERNET, &r, 1, 1, NULL);

			cr_assert_eq(v, cap < needed[i] ? AFM_SKIP_TRUNCATED : AFM_OK, "frame %d caplen %zu: %d",
				     i, cap, v);
		}
}

Test(parse, linux_cooked_v1_v2_raw_and_loopback)
{
	struct frame ip = { 0 }, f;
	struct afm_record r;

	f_ipv4(&ip, 17, IP4(9, 9, 9, 9), IP4(8, 8, 8, 8), 5, 0, 1);
	f_udp(&ip, 1000, 2000, 0);
	f_ipv4_end(&ip);

	memset(&f, 0, sizeof(f));	/* SLL: 16 bytes, protocol at 14 */
	f_zero(&f, 14);
	f_u16(&f, 0x0800);
	f_bytes(&f, ip.b, ip.n);
	cr_assert_eq(parse(&f, AFM_LINK_SLL, &r), AFM_OK);
	cr_assert_eq(r.key.port[0], 2000);	/* 8.8.8.8:2000 is endpoint 0 */

	memset(&f, 0, sizeof(f));	/* SLL2: 20 bytes, protocol at 0 */
	f_u16(&f, 0x0800);
	f_zero(&f, 18);
	f_bytes(&f, ip.b, ip.n);
	cr_assert_eq(parse(&f, AFM_LINK_SLL2, &r), AFM_OK);
	cr_assert_eq(r.key.port[1], 1000);

	cr_assert_eq(parse(&ip, AFM_LINK_RAW, &r), AFM_OK);

	memset(&f, 0, sizeof(f));	/* BSD loopback, family 2 in little endian */
	f_u32(&f, 0x02000000);
	f_bytes(&f, ip.b, ip.n);
	cr_assert_eq(parse(&f, AFM_LINK_NULL, &r), AFM_OK);
	f.b[0] = 0;
	f.b[3] = 2;	/* ... and in big endian */
	cr_assert_eq(parse(&f, AFM_LINK_NULL, &r), AFM_OK);
	f.b[3] = 7;
	cr_assert_eq(parse(&f, AFM_LINK_NULL, &r), AFM_SKIP_NOT_IP);

	ip.b[0] = 0x50;	/* neither 4 nor 6 */
	cr_assert_eq(parse(&ip, AFM_LINK_RAW, &r), AFM_SKIP_NOT_IP);
}
