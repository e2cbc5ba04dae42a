/* SPDX-License-Identifier: MIT */
/* Building test frames header by header, in network byte order. */
#ifndef AFM_TEST_FRAMES_H
#define AFM_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

struct frame {
	uint8_t b[4096];
	size_t n;
	size_t l3;	/* offset of the IP header, for fix-ups */
};

static inline void f_u8(struct frame *f, uint8_t v)
{
	f->b[f->n++] = v;
}

static inline void f_u16(struct frame *f, uint16_t v)
{
	f_u8(f, v >> 8);
	f_u8(f, v & 0xff);
}

static inline void f_u32(struct frame *f, uint32_t v)
{
	f_u16(f, v >> 16);
	f_u16(f, v & 0xffff);
}

static inline void f_bytes(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static inline void f_zero(struct frame *f, size_t n)
{
	memset(f->b + f->n, 0, n);
	f->n += n;
}

static inline void f_eth(struct frame *f, uint16_t ethertype)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	f_bytes(f, macs, 12);
	f_u16(f, ethertype);
}

/* A VLAN tag (after a TPID): PCP 3, then the ID, then the next EtherType. */
static inline void f_vlan(struct frame *f, uint16_t id, uint16_t next)
{
	f_u16(f, (uint16_t)(3 << 13 | id));
	f_u16(f, next);
}

/* IPv4 header of ihl words (>= 5, options are NOPs); tot_len fixed by f_ipv4_end. */
static inline void f_ipv4(struct frame *f, uint8_t proto, uint32_t src, uint32_t dst, int ihl,
			  uint16_t frag_field, uint16_t id)
{
	f->l3 = f->n;
	f_u8(f, (uint8_t)(0x40 | ihl));
	f_u8(f, 0);
	f_u16(f, 0);
	f_u16(f, id);
	f_u16(f, frag_field);
	f_u8(f, 64);
	f_u8(f, proto);
	f_u16(f, 0);
	f_u32(f, src);
	f_u32(f, dst);
	for (int i = 5; i < ihl; i++)
		f_u32(f, 0x01010101);
}

static inline void f_ipv4_end(struct frame *f)
{
	uint16_t len = (uint16_t)(f->n - f->l3);

	f->b[f->l3 + 2] = len >> 8;
	f->b[f->l3 + 3] = len & 0xff;
}

static inline void f_ipv6(struct frame *f, uint8_t next, const uint8_t src[16], const uint8_t dst[16])
{
	f->l3 = f->n;
	f_u32(f, 0x60000000);
	f_u16(f, 0);
	f_u8(f, next);
	f_u8(f, 64);
	f_bytes(f, src, 16);
	f_bytes(f, dst, 16);
}

static inline void f_ipv6_end(struct frame *f)
{
	uint16_t len = (uint16_t)(f->n - f->l3 - 40);

	f->b[f->l3 + 4] = len >> 8;
	f->b[f->l3 + 5] = len & 0xff;
}

/* Hop-by-hop / destination options / routing: (len8 + 1) * 8 bytes. */
static inline void f_ipv6_opts(struct frame *f, uint8_t next, uint8_t len8)
{
	f_u8(f, next);
	f_u8(f, len8);
	f_zero(f, 6 + 8 * (size_t)len8);
}

static inline void f_ipv6_frag(struct frame *f, uint8_t next, uint16_t offset8, int more, uint32_t id)
{
	f_u8(f, next);
	f_u8(f, 0);
	f_u16(f, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	f_u32(f, id);
}

static inline void f_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags, int doff)
{
	f_u16(f, sport);
	f_u16(f, dport);
	f_u32(f, 1000);
	f_u32(f, 2000);
	f_u8(f, (uint8_t)(doff << 4));
	f_u8(f, flags);
	f_u16(f, 65535);
	f_u32(f, 0);
	for (int i = 5; i < doff; i++)
		f_u32(f, 0x01010101);
}

static inline void f_udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload_len)
{
	f_u16(f, sport);
	f_u16(f, dport);
	f_u16(f, (uint16_t)(8 + payload_len));
	f_u16(f, 0);
}

static inline void f_text(struct frame *f, const char *s)
{
	f_bytes(f, s, strlen(s));
}

/* The IP header at off (an outer one, after its inner packet is complete): its length. */
static inline void f_ip_end_at(struct frame *f, size_t off)
{
	size_t l3 = f->l3;

	f->l3 = off;
	if ((f->b[off] >> 4) == 4)
		f_ipv4_end(f);
	else
		f_ipv6_end(f);
	f->l3 = l3;
}

/* Tunnel headers (docs/METERING.md, 1.1). */
static inline void f_vxlan(struct frame *f, uint8_t flags, uint32_t vni)
{
	f_u8(f, flags);
	f_zero(f, 3);
	f_u32(f, vni << 8);
}

static inline void f_geneve(struct frame *f, uint8_t ver, uint8_t opt_words, uint16_t proto, uint32_t vni)
{
	f_u8(f, (uint8_t)(ver << 6 | opt_words));
	f_u8(f, 0);
	f_u16(f, proto);
	f_u32(f, vni << 8);
	for (int i = 0; i < opt_words; i++)
		f_u32(f, 0x01020304);
}

/* GRE: flags C 0x8000, K 0x2000, S 0x1000 (and the version bits), each field when set. */
static inline void f_gre(struct frame *f, uint16_t flags, uint16_t proto, uint32_t key)
{
	f_u16(f, flags);
	f_u16(f, proto);
	if (flags & 0x8000)
		f_u32(f, 0xc5c50000);	/* checksum, reserved */
	if (flags & 0x2000)
		f_u32(f, key);
	if (flags & 0x1000)
		f_u32(f, 77);		/* sequence number */
}

static inline void f_erspan2(struct frame *f, uint8_t ver, uint16_t session)
{
	f_u16(f, (uint16_t)(ver << 12 | 5));	/* VLAN 5 */
	f_u16(f, session & 0x3ff);
	f_u32(f, 9);			/* index */
}

static inline void f_erspan3(struct frame *f, uint8_t ver, uint16_t session, uint8_t ft, int sub)
{
	f_u16(f, (uint16_t)(ver << 12 | 5));
	f_u16(f, session & 0x3ff);
	f_u32(f, 123456);		/* timestamp */
	f_u16(f, 0xabcd);		/* SGT */
	f_u16(f, (uint16_t)((uint16_t)(ft & 0x1f) << 10 | (sub ? 1 : 0)));
	if (sub)
		f_u32(f, 0x11111111), f_u32(f, 0x22222222);
}

/* GTP-U: version 1, PT; with ext, the optional word and one extension of ext words. */
static inline void f_gtpu(struct frame *f, uint8_t type, uint32_t teid, uint16_t len, int ext)
{
	f_u8(f, (uint8_t)(0x30 | (ext ? 0x04 : 0)));
	f_u8(f, type);
	f_u16(f, len);
	f_u32(f, teid);
	if (ext) {
		f_u16(f, 0);	/* sequence */
		f_u8(f, 0);	/* N-PDU */
		f_u8(f, 0x85);	/* PDU session container */
		f_u8(f, (uint8_t)ext);
		f_zero(f, 4 * (size_t)ext - 2);
		f_u8(f, 0);	/* no next extension */
	}
}

static inline void f_mpls(struct frame *f, uint32_t label, int bottom)
{
	f_u32(f, label << 12 | (bottom ? 0x100 : 0) | 64);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* The common case: TCP over IPv4 (DF set), 10.0.0.2 -> 10.0.0.1, then the payload. */
static inline struct frame tcp4(uint16_t sport, uint16_t dport, uint8_t flags, const char *payload)
{
	struct frame f = { 0 };

	f_eth(&f, 0x0800);
	f_ipv4(&f, 6, IP4(10, 0, 0, 2), IP4(10, 0, 0, 1), 5, 0x4000, 7);
	f_tcp(&f, sport, dport, flags, 5);
	f_text(&f, payload);
	f_ipv4_end(&f);
	return f;
}

/* The frame the tunnels of the tests carry: TCP 10.0.0.2:40000 -> 10.0.0.1:80, "hello". */
static inline void f_inner_ip(struct frame *f)
{
	f_ipv4(f, 6, IP4(10, 0, 0, 2), IP4(10, 0, 0, 1), 5, 0x4000, 7);
	f_tcp(f, 40000, 80, 0x18, 5);	/* PSH, ACK */
	f_text(f, "hello");
	f_ipv4_end(f);
}

static inline void f_inner_eth(struct frame *f)
{
	f_eth(f, 0x0800);
	f_inner_ip(f);
}

#define TUN_OUTER_SRC IP4(192, 168, 1, 1)
#define TUN_OUTER_DST IP4(192, 168, 1, 2)

/* A fresh frame: Ethernet, IPv4 (proto) from TUN_OUTER_SRC; returns the IP header's offset. */
static inline size_t f_outer4(struct frame *f, uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	f_eth(f, 0x0800);
	f_ipv4(f, proto, TUN_OUTER_SRC, TUN_OUTER_DST, 5, 0, 1);
	return f->l3;
}

/*
 * A catalogue of tunnelled frames, one of each way through the tunnel parsers (and
 * damaged ones): tunnel_frame(i, &f) builds the i-th and returns its inner frame's
 * offset, or 0 when it is damage; -1 past the last.
 */
static inline long tunnel_frame(int i, struct frame *f)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	size_t o, o2, inner;

	switch (i) {
	case 0:	/* VXLAN */
		o = f_outer4(f, 17);
		f_udp(f, 51000, 4789, 0);
		f_vxlan(f, 0x08, 100);
		inner = f->n;
		f_inner_eth(f);
		break;
	case 1:	/* Geneve with options, an IP packet */
		o = f_outer4(f, 17);
		f_udp(f, 51000, 6081, 0);
		f_geneve(f, 0, 2, 0x0800, 77);
		inner = f->n;
		f_inner_ip(f);
		break;
	case 2:	/* GRE with checksum, key and sequence number: gretap */
		o = f_outer4(f, 47);
		f_gre(f, 0xb000, 0x6558, 0xfeed);
		inner = f->n;
		f_inner_eth(f);
		break;
	case 3:	/* ERSPAN type II */
		o = f_outer4(f, 47);
		f_gre(f, 0x1000, 0x88be, 0);
		f_erspan2(f, 1, 300);
		inner = f->n;
		f_inner_eth(f);
		break;
	case 4:	/* ERSPAN type III, sub-header, an IP frame */
		o = f_outer4(f, 47);
		f_gre(f, 0x1000, 0x22eb, 0);
		f_erspan3(f, 2, 301, 2, 1);
		inner = f->n;
		f_inner_ip(f);
		break;
	case 5:	/* GTP-U with a PDU session container */
		o = f_outer4(f, 17);
		f_udp(f, 2152, 2152, 0);
		f_gtpu(f, 255, 0xabcdef, 57, 2);
		inner = f->n;
		f_inner_ip(f);
		break;
	case 6:	/* MPLS on the link, a pseudowire's control word */
		memset(f, 0, sizeof(*f));
		f_eth(f, 0x8847);
		f_mpls(f, 16, 0);
		f_mpls(f, 1000, 1);
		f_u32(f, 0);
		inner = f->n;
		f_inner_eth(f);
		return (long)inner;
	case 7:	/* IPv4 in IPv6 behind a VLAN tag */
		memset(f, 0, sizeof(*f));
		f_eth(f, 0x8100);
		f_vlan(f, 7, 0x86dd);
		f_ipv6(f, 4, a6, b6);
		o = f->l3;
		inner = f->n;
		f_inner_ip(f);
		break;
	case 8:	/* GRE (keyed) -> VXLAN -> IP in IP */
		o = f_outer4(f, 47);
		f_gre(f, 0x2000, 0x0800, 5);
		f_ipv4(f, 17, IP4(172, 16, 0, 1), IP4(172, 16, 0, 2), 5, 0, 1);
		o2 = f->l3;
		f_udp(f, 40000, 4789, 0);
		f_vxlan(f, 0x08, 9);
		f_eth(f, 0x0800);
		f_ipv4(f, 4, IP4(100, 64, 0, 1), IP4(100, 64, 0, 2), 5, 0, 1);
		{
			size_t o3 = f->l3;

			inner = f->n;
			f_inner_ip(f);
			f_ip_end_at(f, o3);
		}
		f_ip_end_at(f, o2);
		break;
	case 9:	/* damage: VXLAN without its I flag */
		o = f_outer4(f, 17);
		f_udp(f, 51000, 4789, 0);
		f_vxlan(f, 0, 100);
		f_inner_eth(f);
		f_ip_end_at(f, o);
		return 0;
	case 10:	/* damage: a GTP-U header cut short */
		o = f_outer4(f, 17);
		f_udp(f, 2152, 2152, 0);
		f_u16(f, 0x30ff);
		f_ip_end_at(f, o);
		return 0;
	default:
		return -1;
	}
	f_ip_end_at(f, o);
	return (long)inner;
}

#endif
