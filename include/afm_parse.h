/* SPDX-License-Identifier: MIT */
/*
 * The packet parser: one frame in, one afm_record (or a skip reason) out.
 *
 * The same code runs in the XDP/TC programs and in the offline reader, so it is
 * written for the verifier: every read is preceded by an explicit check against the
 * end of the frame, loops have constant bounds, and nothing is read from
 * uninitialised stack. One helper a layer (link, VLAN tags, IPv4, IPv6 and its
 * extension headers, TCP, UDP), each moving a cursor over the frame. The rules it
 * implements are in docs/METERING.md, section 1.
 */
#ifndef AFM_PARSE_H
#define AFM_PARSE_H

#include "afm_record.h"

#define AFM_ETH_P_IPV4 0x0800
#define AFM_ETH_P_IPV6 0x86dd
#define AFM_ETH_P_8021Q 0x8100
#define AFM_ETH_P_8021AD 0x88a8
#define AFM_ETH_P_QINQ_OLD 0x9100
#define AFM_ETH_P_MPLS 0x8847
#define AFM_ETH_P_MPLS_MC 0x8848
#define AFM_ETH_P_TEB 0x6558		/* transparent Ethernet bridging: an Ethernet frame */
#define AFM_ETH_P_ERSPAN 0x88be		/* ERSPAN type II (type I without a GRE sequence) */
#define AFM_ETH_P_ERSPAN3 0x22eb

/* Header lengths and field offsets, in bytes from the start of their header. */
#define AFM_ETH_HLEN 14
#define AFM_ETH_PROTO 12
#define AFM_SLL_HLEN 16
#define AFM_SLL_PROTO 14
#define AFM_SLL2_HLEN 20
#define AFM_SLL2_PROTO 0
#define AFM_NULL_HLEN 4		/* the address family, in the writer's byte order */
#define AFM_VLAN_HLEN 4
#define AFM_VLAN_TCI 0
#define AFM_VLAN_PROTO 2
#define AFM_IP4_HLEN 20		/* without options */
#define AFM_IP4_TOT_LEN 2
#define AFM_IP4_ID 4
#define AFM_IP4_FRAG 6		/* flags and fragment offset */
#define AFM_IP4_PROTO 9
#define AFM_IP4_SRC 12
#define AFM_IP4_DST 16
#define AFM_IP4_MF 0x2000	/* more fragments */
#define AFM_IP4_OFFSET 0x1fff
#define AFM_IP6_HLEN 40
#define AFM_IP6_PLEN 4
#define AFM_IP6_NEXT 6
#define AFM_IP6_SRC 8
#define AFM_IP6_DST 24
#define AFM_IP6_EXT_MIN 8	/* every extension header is at least 8 bytes */
#define AFM_IP6_EXT_NEXT 0	/* ... and starts with the next header's type */
#define AFM_IP6_EXT_LEN 1	/* ... and its length, in units that depend on its type */
#define AFM_IP6_FRAG_OFF 2	/* fragment offset (<< 3) and M */
#define AFM_IP6_FRAG_ID 4
#define AFM_TCP_HLEN 20		/* without options */
#define AFM_TCP_SPORT 0
#define AFM_TCP_DPORT 2
#define AFM_TCP_DOFF 12		/* data offset, in 32-bit words, in the high nibble */
#define AFM_TCP_FLAGS 13
#define AFM_TCP_SEQ_OFF 4
#define AFM_TCP_ACK_OFF 8
#define AFM_TCP_WINDOW_OFF 14
#define AFM_UDP_HLEN 8
#define AFM_UDP_SPORT 0
#define AFM_UDP_DPORT 2
#define AFM_DNS_ID 0		/* in the UDP payload */
#define AFM_ICMP_TYPE 0		/* ICMP and ICMPv6 */
#define AFM_ICMP_CODE 1
#define AFM_HTTP_STATUS_LINE 12	/* "HTTP/1.x NNN" */

/* Tunnel headers (docs/METERING.md, 1.1), offsets from their start. */
#define AFM_IPPROTO_IPIP 4
#define AFM_IPPROTO_IPV6 41
#define AFM_IPPROTO_GRE 47
#define AFM_PORT_VXLAN 4789
#define AFM_PORT_VXLAN_LINUX 8472	/* the Linux vxlan driver's default, flannel's */
#define AFM_PORT_GENEVE 6081
#define AFM_PORT_GTPU 2152
#define AFM_VXLAN_HLEN 8
#define AFM_VXLAN_I 0x08		/* in byte 0: the VNI is valid */
#define AFM_VNI 4			/* VXLAN and Geneve: 24 bits */
#define AFM_GENEVE_HLEN 8
#define AFM_GENEVE_PROTO 2
#define AFM_GRE_HLEN 4
#define AFM_GRE_PROTO 2
#define AFM_GRE_C 0x8000
#define AFM_GRE_R 0x4000
#define AFM_GRE_K 0x2000
#define AFM_GRE_S 0x1000
#define AFM_GRE_VER 0x0007
#define AFM_ERSPAN2_HLEN 8
#define AFM_ERSPAN3_HLEN 12
#define AFM_ERSPAN3_SUB_HLEN 8		/* the platform-specific sub-header (O bit) */
#define AFM_ERSPAN_SESSION 2		/* 10 bits */
#define AFM_ERSPAN3_FLAGS 10		/* P, FT (5 bits), HwID, D, Gra, O */
#define AFM_GTPU_HLEN 8
#define AFM_GTPU_OPT 4			/* sequence, N-PDU, next extension type */
#define AFM_GTPU_LEN 2
#define AFM_GTPU_TEID 4
#define AFM_GTPU_GPDU 255
#define AFM_MPLS_HLEN 4
#define AFM_MPLS_GAL 13			/* the generic associated channel label */

/* Where the next header starts in a frame, and where the frame's bytes end. */
struct afm_cursor {
	const __u8 *p;
	const void *end;
};

/* At least n bytes from the cursor on. */
static __always_inline int afm_has(const struct afm_cursor *c, __u32 n)
{
	return (const void *)(c->p + n) <= c->end;
}

/* Compare endpoint (a, pa) with (b, pb): addresses as big-endian words, then ports. */
static __always_inline int afm_endpoint_cmp(const __u8 *a, __u16 pa, const __u8 *b, __u16 pb)
{
	for (int i = 0; i < 4; i++) {
		__u32 x = afm_ntohl(afm_load32(a + 4 * i));
		__u32 y = afm_ntohl(afm_load32(b + 4 * i));

		if (x != y)
			return x < y ? -1 : 1;
	}
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return 0;
}

/* Put the smaller endpoint first; rec->dir tells which one sent the packet. */
static __always_inline void afm_key_canonicalize(struct afm_record *rec)
{
	struct afm_flow_key *k = &rec->key;

	rec->dir = 0;
	if (afm_endpoint_cmp(k->addr[0], k->port[0], k->addr[1], k->port[1]) <= 0)
		return;
	for (int i = 0; i < 16; i++) {
		__u8 t = k->addr[0][i];

		k->addr[0][i] = k->addr[1][i];
		k->addr[1][i] = t;
	}
	__u16 p = k->port[0];

	k->port[0] = k->port[1];
	k->port[1] = p;
	rec->dir = 1;
}

/*
 * The status code of an HTTP/1.0 or HTTP/1.1 status line at p ("HTTP/1.1 200"), when
 * avail bytes of payload (and the frame's) hold one; else 0.
 */
static __always_inline __u16 afm_http_status(const __u8 *p, const void *end, __u64 avail)
{
	if (avail < AFM_HTTP_STATUS_LINE || (const void *)(p + AFM_HTTP_STATUS_LINE) > end)
		return 0;
	if (p[0] != 'H' || p[1] != 'T' || p[2] != 'T' || p[3] != 'P' || p[4] != '/' ||
	    p[5] != '1' || p[6] != '.' || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return 0;
	__u8 d0 = p[9] - '0', d1 = p[10] - '0', d2 = p[11] - '0';

	if (d0 > 9 || d1 > 9 || d2 > 9)
		return 0;
	return (__u16)(d0 * 100 + d1 * 10 + d2);
}

/*
 * The link header: moves c past it; *proto is the EtherType (host order) of what
 * follows (AFM_ETH_P_IPV4/IPV6 for raw and loopback links).
 */
static __always_inline int afm_parse_link(struct afm_cursor *c, int link, __u16 *proto)
{
	const __u8 *p = c->p;

	switch (link) {
	case AFM_LINK_ETHERNET:
		if (!afm_has(c, AFM_ETH_HLEN))
			return AFM_SKIP_TRUNCATED;
		*proto = afm_ntohs(afm_load16(p + AFM_ETH_PROTO));
		c->p = p + AFM_ETH_HLEN;
		return AFM_OK;
	case AFM_LINK_SLL:
		if (!afm_has(c, AFM_SLL_HLEN))
			return AFM_SKIP_TRUNCATED;
		*proto = afm_ntohs(afm_load16(p + AFM_SLL_PROTO));
		c->p = p + AFM_SLL_HLEN;
		return AFM_OK;
	case AFM_LINK_SLL2:
		if (!afm_has(c, AFM_SLL2_HLEN))
			return AFM_SKIP_TRUNCATED;
		*proto = afm_ntohs(afm_load16(p + AFM_SLL2_PROTO));
		c->p = p + AFM_SLL2_HLEN;
		return AFM_OK;
	case AFM_LINK_NULL: {
		if (!afm_has(c, AFM_NULL_HLEN))
			return AFM_SKIP_TRUNCATED;
		/* The family is in the writer's byte order: accept both. */
		__u32 af = afm_load32(p);
		__u32 swapped = ((af & 0xff) << 24) | ((af & 0xff00) << 8) |
				((af >> 8) & 0xff00) | (af >> 24);

		if (af > 0xffff)
			af = swapped;
		c->p = p + AFM_NULL_HLEN;
		if (af == 2)
			*proto = AFM_ETH_P_IPV4;
		else if (af == 24 || af == 28 || af == 30)
			*proto = AFM_ETH_P_IPV6;
		else
			return AFM_SKIP_NOT_IP;
		return AFM_OK;
	}
	case AFM_LINK_MPLS:	/* a label stack inside a tunnel: afm_parse_tunnel() walks it */
		*proto = AFM_ETH_P_MPLS;
		return AFM_OK;
	default: /* AFM_LINK_RAW: the version from the first nibble */
		if (!afm_has(c, 1))
			return AFM_SKIP_TRUNCATED;
		if ((p[0] >> 4) == 4)
			*proto = AFM_ETH_P_IPV4;
		else if ((p[0] >> 4) == 6)
			*proto = AFM_ETH_P_IPV6;
		else
			return AFM_SKIP_NOT_IP;
		return AFM_OK;
	}
}

/* 802.1Q/802.1ad tags: their VLAN IDs into the key, *proto the EtherType after them. */
static __always_inline int afm_parse_vlans(struct afm_cursor *c, __u16 *proto, struct afm_record *rec)
{
	for (int i = 0; i <= AFM_VLAN_MAX; i++) {
		if (*proto != AFM_ETH_P_8021Q && *proto != AFM_ETH_P_8021AD && *proto != AFM_ETH_P_QINQ_OLD)
			break;
		if (i == AFM_VLAN_MAX)
			return AFM_SKIP_VLAN_DEPTH;
		if (!afm_has(c, AFM_VLAN_HLEN))
			return AFM_SKIP_TRUNCATED;
		rec->key.vlan[i] = afm_ntohs(afm_load16(c->p + AFM_VLAN_TCI)) & 0x0fff;
		*proto = afm_ntohs(afm_load16(c->p + AFM_VLAN_PROTO));
		c->p += AFM_VLAN_HLEN;
	}
	return AFM_OK;
}

/*
 * IPv4: addresses, protocol, fragment, options skipped. *ip_len: the packet's bytes as
 * its header declares them (0xffffffff when it declares 0, as TSO super-frames do).
 */
static __always_inline int afm_parse_ipv4(struct afm_cursor *c, struct afm_record *rec, __u8 *proto,
					  __u64 *ip_len)
{
	const __u8 *p = c->p;

	if (!afm_has(c, AFM_IP4_HLEN))
		return AFM_SKIP_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return AFM_SKIP_MALFORMED;
	__u32 hlen = (p[0] & 0x0f) * 4;
	__u32 tot_len = afm_ntohs(afm_load16(p + AFM_IP4_TOT_LEN));
	__u16 frag = afm_ntohs(afm_load16(p + AFM_IP4_FRAG));

	if (hlen < AFM_IP4_HLEN || (tot_len != 0 && tot_len < hlen))
		return AFM_SKIP_MALFORMED;
	if (!afm_has(c, hlen))
		return AFM_SKIP_TRUNCATED;
	*ip_len = tot_len ? tot_len : 0xffffffffULL;
	*proto = p[AFM_IP4_PROTO];
	rec->key.ip_version = 4;
	__builtin_memcpy(rec->key.addr[0], p + AFM_IP4_SRC, 4);
	__builtin_memcpy(rec->key.addr[1], p + AFM_IP4_DST, 4);
	if (frag & AFM_IP4_OFFSET)
		rec->frag = AFM_FRAG_LATER;
	else if (frag & AFM_IP4_MF)
		rec->frag = AFM_FRAG_FIRST;
	if (rec->frag != AFM_FRAG_NONE)
		rec->frag_id = afm_ntohs(afm_load16(p + AFM_IP4_ID));
	c->p = p + hlen;
	return AFM_OK;
}

/*
 * IPv6 extension headers from *proto on, up to the transport header (or a later
 * fragment's data). The walk computes with 0/1 values instead of branching on the
 * header type: each step then leaves the verifier one path to follow (not one per
 * header type, which doubles the work with every header).
 */
static __always_inline int afm_parse_ipv6_ext(struct afm_cursor *c, struct afm_record *rec, __u8 *proto)
{
	__u32 kind = AFM_FRAG_NONE, frag_id = 0;
	__u8 next = *proto;

	for (int i = 0; i <= AFM_IPV6_EXT_MAX; i++) {
		__u32 is_ext = afm_eq8(next, AFM_IPPROTO_HOPOPTS) | afm_eq8(next, AFM_IPPROTO_ROUTING) |
			       afm_eq8(next, AFM_IPPROTO_FRAGMENT) | afm_eq8(next, AFM_IPPROTO_DSTOPTS) |
			       afm_eq8(next, AFM_IPPROTO_AH) | afm_eq8(next, AFM_IPPROTO_MH) |
			       afm_eq8(next, AFM_IPPROTO_HIP) | afm_eq8(next, AFM_IPPROTO_SHIM6);

		if (!is_ext)
			break;
		if (i == AFM_IPV6_EXT_MAX)
			return AFM_SKIP_IPV6_EXT_CHAIN;
		if (!afm_has(c, AFM_IP6_EXT_MIN))
			return AFM_SKIP_TRUNCATED;

		const __u8 *p = c->p;
		__u32 is_frag = afm_eq8(next, AFM_IPPROTO_FRAGMENT);
		__u32 is_ah = afm_eq8(next, AFM_IPPROTO_AH);
		/* Fragment: 8 bytes; AH: (len + 2) * 4; the others: (len + 1) * 8. */
		__u32 len = AFM_IP6_EXT_MIN + (__u32)p[AFM_IP6_EXT_LEN] * 4 * (2 - is_ah) * (1 - is_frag);

		if (!afm_has(c, len))
			return AFM_SKIP_TRUNCATED;

		/* Only the first Fragment header that makes a fragment counts. */
		__u32 off_m = afm_ntohs(afm_load16(p + AFM_IP6_FRAG_OFF));
		__u32 counts = is_frag & afm_eq8(kind, AFM_FRAG_NONE);
		__u32 later = counts & afm_nonzero(off_m & 0xfff8);
		__u32 first = counts & (off_m & 1) & (1 - later);
		__u32 take = 0 - (later | first);

		kind |= later * AFM_FRAG_LATER + first * AFM_FRAG_FIRST;
		frag_id = (frag_id & ~take) | (afm_ntohl(afm_load32(p + AFM_IP6_FRAG_ID)) & take);
		next = p[AFM_IP6_EXT_NEXT];
		c->p = p + len;
		if (later)	/* what follows is fragment data, not headers */
			break;
	}
	rec->frag = (__u8)kind;
	rec->frag_id = frag_id;
	*proto = next;
	return AFM_OK;
}

/* IPv6: addresses, then the extension headers (*ip_len as for IPv4). */
static __always_inline int afm_parse_ipv6(struct afm_cursor *c, struct afm_record *rec, __u8 *proto,
					  __u64 *ip_len)
{
	const __u8 *p = c->p;

	if (!afm_has(c, AFM_IP6_HLEN))
		return AFM_SKIP_TRUNCATED;
	if ((p[0] >> 4) != 6)
		return AFM_SKIP_MALFORMED;
	__u32 plen = afm_ntohs(afm_load16(p + AFM_IP6_PLEN));

	*ip_len = plen ? AFM_IP6_HLEN + plen : 0xffffffffULL;
	*proto = p[AFM_IP6_NEXT];
	rec->key.ip_version = 6;
	__builtin_memcpy(rec->key.addr[0], p + AFM_IP6_SRC, 16);
	__builtin_memcpy(rec->key.addr[1], p + AFM_IP6_DST, 16);
	c->p = p + AFM_IP6_HLEN;
	return afm_parse_ipv6_ext(c, rec, proto);
}

/* TCP: ports, flags; payload: l4_avail bytes of segment the IP header declares; detail: seq, ack, window. */
static __always_inline int afm_parse_tcp(struct afm_cursor *c, struct afm_record *rec, __u64 l4_avail,
					 const int detail)
{
	const __u8 *p = c->p;

	if (!afm_has(c, AFM_TCP_HLEN))
		return AFM_SKIP_TRUNCATED;
	__u32 doff = (p[AFM_TCP_DOFF] >> 4) * 4;

	if (doff < AFM_TCP_HLEN)
		return AFM_SKIP_MALFORMED;
	rec->payload_off += (__u16)doff;
	rec->key.port[0] = afm_ntohs(afm_load16(p + AFM_TCP_SPORT));
	rec->key.port[1] = afm_ntohs(afm_load16(p + AFM_TCP_DPORT));
	rec->tcp_flags = p[AFM_TCP_FLAGS];
	if (detail) {
		rec->l4_hlen = (__u8)doff;
		rec->tcp_seq = afm_ntohl(afm_load32(p + AFM_TCP_SEQ_OFF));
		rec->tcp_ack = afm_ntohl(afm_load32(p + AFM_TCP_ACK_OFF));
		rec->tcp_window = afm_ntohs(afm_load16(p + AFM_TCP_WINDOW_OFF));
	}
	/* Data in the segment: the IP packet's declared length says (0: unknown, as in
	 * TSO super-frames, which carry data). */
	rec->payload = l4_avail > doff;
	if (l4_avail > doff && (const void *)(p + doff) <= c->end)
		rec->http_status = afm_http_status(p + doff, c->end, l4_avail - doff);
	return AFM_OK;
}

/* UDP: ports; on port 53, the DNS transaction ID is part of the key. */
static __always_inline int afm_parse_udp(struct afm_cursor *c, struct afm_record *rec, __u64 l4_avail)
{
	const __u8 *p = c->p;

	if (!afm_has(c, AFM_UDP_HLEN))
		return AFM_SKIP_TRUNCATED;
	rec->key.port[0] = afm_ntohs(afm_load16(p + AFM_UDP_SPORT));
	rec->key.port[1] = afm_ntohs(afm_load16(p + AFM_UDP_DPORT));
	rec->payload_off += AFM_UDP_HLEN;
	if (rec->key.port[0] == AFM_PORT_DNS || rec->key.port[1] == AFM_PORT_DNS) {
		rec->key.flags |= AFM_KEY_DNS;
		if (l4_avail >= AFM_UDP_HLEN + 2 && afm_has(c, AFM_UDP_HLEN + 2))
			rec->key.dns_id = afm_ntohs(afm_load16(p + AFM_UDP_HLEN + AFM_DNS_ID));
	}
	return AFM_OK;
}


/*
 * Where the frame starts, read again. The BPF programs define struct afm_frame_src
 * (their context) and afm_frame_start() before including this file; user space has
 * nothing to read again.
 */
#ifndef AFM_FRAME_SRC
struct afm_frame_src;

static __always_inline const void *afm_frame_start(const struct afm_frame_src *src, const void *data)
{
	(void)src;
	return data;
}
#endif

/*
 * Tunnels (docs/METERING.md, 1.1). What a tunnel header holds, once parsed: where the
 * frame inside it starts and how it is framed, and its identifier.
 */
struct afm_tunnel_hdr {
	const __u8 *inner;	/* the frame inside */
	__u32 link;		/* its framing: AFM_LINK_ETHERNET, _RAW or _MPLS */
	__u32 id;		/* VNI, GRE key, ERSPAN session, TEID, bottom MPLS label */
	__u32 has_id;		/* the header carries one */
	__u32 shared;		/* ... and both directions carry the same (it is keyed) */
};

/*
 * The framing of what a protocol type (an EtherType) announces inside a tunnel: an
 * Ethernet frame, an IP packet or an MPLS stack; -1 for anything else.
 */
static __always_inline int afm_tunnel_framing(__u16 type)
{
	if (type == AFM_ETH_P_TEB)
		return AFM_LINK_ETHERNET;
	if (type == AFM_ETH_P_IPV4 || type == AFM_ETH_P_IPV6)
		return AFM_LINK_RAW;
	if (type == AFM_ETH_P_MPLS || type == AFM_ETH_P_MPLS_MC)
		return AFM_LINK_MPLS;
	return -1;
}

/*
 * The tunnel, if any, that the transport header at c (of protocol proto) starts. Not
 * one: GRE version 1 (PPTP's, carrying PPP) or carrying another protocol (WCCP, ...),
 * and GTP-U messages other than G-PDUs (the tunnel's own signalling): those packets
 * are metered as they are. A header too short to tell is a tunnel (and then damage).
 */
static __always_inline __u32 afm_tunnel_kind(const struct afm_cursor *c, __u8 proto)
{
	const __u8 *p = c->p;

	if (proto == AFM_IPPROTO_IPIP || proto == AFM_IPPROTO_IPV6)
		return AFM_TUN_IPIP;
	if (proto == AFM_IPPROTO_GRE) {
		if (!afm_has(c, AFM_GRE_HLEN))
			return AFM_TUN_GRE;
		__u16 type = afm_ntohs(afm_load16(p + AFM_GRE_PROTO));

		if ((afm_ntohs(afm_load16(p)) & AFM_GRE_VER) == 1)
			return AFM_TUN_NONE;
		if (type == AFM_ETH_P_ERSPAN || type == AFM_ETH_P_ERSPAN3)
			return AFM_TUN_ERSPAN;
		return afm_tunnel_framing(type) >= 0 ? AFM_TUN_GRE : AFM_TUN_NONE;
	}
	if (proto != AFM_IPPROTO_UDP || !afm_has(c, AFM_UDP_HLEN))
		return AFM_TUN_NONE;
	__u16 port = afm_ntohs(afm_load16(p + AFM_UDP_DPORT));	/* only the destination counts */

	if (port == AFM_PORT_VXLAN || port == AFM_PORT_VXLAN_LINUX)
		return AFM_TUN_VXLAN;
	if (port == AFM_PORT_GENEVE)
		return AFM_TUN_GENEVE;
	if (port != AFM_PORT_GTPU)
		return AFM_TUN_NONE;
	if (afm_has(c, AFM_UDP_HLEN + 2) && p[AFM_UDP_HLEN + 1] != AFM_GTPU_GPDU)
		return AFM_TUN_NONE;
	return AFM_TUN_GTPU;
}

/* t's framing from a protocol type; another protocol is not IP. */
static __always_inline int afm_tunnel_link(__u16 type, struct afm_tunnel_hdr *t)
{
	int link = afm_tunnel_framing(type);

	if (link < 0)
		return AFM_SKIP_NOT_IP;
	t->link = (__u32)link;
	return AFM_OK;
}

/* VXLAN (RFC 7348): 8 bytes after the UDP header, the I flag set; an Ethernet frame. */
static __always_inline int afm_parse_vxlan(const __u8 *p, const void *end, struct afm_tunnel_hdr *t)
{
	if ((const void *)(p + AFM_VXLAN_HLEN) > end || !(p[0] & AFM_VXLAN_I))
		return AFM_SKIP_TUNNEL;
	t->id = afm_ntohl(afm_load32(p + AFM_VNI)) >> 8;
	t->has_id = t->shared = 1;
	t->inner = p + AFM_VXLAN_HLEN;
	t->link = AFM_LINK_ETHERNET;
	return AFM_OK;
}

/* Geneve (RFC 8926): version 0, options skipped, the frame its protocol type names. */
static __always_inline int afm_parse_geneve(const __u8 *p, const void *end, struct afm_tunnel_hdr *t)
{
	if ((const void *)(p + AFM_GENEVE_HLEN) > end || (p[0] >> 6) != 0)
		return AFM_SKIP_TUNNEL;
	__u32 len = AFM_GENEVE_HLEN + (__u32)(p[0] & 0x3f) * 4;

	if ((const void *)(p + len) > end)
		return AFM_SKIP_TUNNEL;
	t->id = afm_ntohl(afm_load32(p + AFM_VNI)) >> 8;
	t->has_id = t->shared = 1;
	t->inner = p + len;
	return afm_tunnel_link(afm_ntohs(afm_load16(p + AFM_GENEVE_PROTO)), t);
}

/*
 * GRE (RFC 2784, 2890): version 0 without routing; checksum, key and sequence
 * number each present by its flag. ERSPAN (types I, II, III) rides on it.
 */
static __always_inline int afm_parse_gre(const __u8 *p, const void *end, struct afm_tunnel_hdr *t)
{
	if ((const void *)(p + AFM_GRE_HLEN) > end)
		return AFM_SKIP_TUNNEL;
	__u16 flags = afm_ntohs(afm_load16(p));
	__u16 type = afm_ntohs(afm_load16(p + AFM_GRE_PROTO));

	if ((flags & AFM_GRE_VER) || (flags & AFM_GRE_R))
		return AFM_SKIP_TUNNEL;
	__u32 c = afm_nonzero(flags & AFM_GRE_C), k = afm_nonzero(flags & AFM_GRE_K);
	__u32 len = AFM_GRE_HLEN + 4 * (c + k + afm_nonzero(flags & AFM_GRE_S));

	if ((const void *)(p + len) > end)
		return AFM_SKIP_TUNNEL;
	t->has_id = t->shared = k;
	if (k)
		t->id = afm_ntohl(afm_load32(p + AFM_GRE_HLEN + 4 * c));
	p += len;
	t->inner = p;
	if (type == AFM_ETH_P_ERSPAN && !(flags & AFM_GRE_S)) {	/* type I: the frame follows */
		t->has_id = t->shared = 0;
		t->link = AFM_LINK_ETHERNET;
		return AFM_OK;
	}
	if (type == AFM_ETH_P_ERSPAN || type == AFM_ETH_P_ERSPAN3) {
		__u32 three = type == AFM_ETH_P_ERSPAN3;
		__u32 hlen = three ? AFM_ERSPAN3_HLEN : AFM_ERSPAN2_HLEN;

		if ((const void *)(p + hlen) > end || (p[0] >> 4) != 1 + three)
			return AFM_SKIP_TUNNEL;
		t->id = afm_ntohs(afm_load16(p + AFM_ERSPAN_SESSION)) & 0x3ff;
		t->has_id = t->shared = 1;
		t->link = AFM_LINK_ETHERNET;
		if (three) {
			__u16 w = afm_ntohs(afm_load16(p + AFM_ERSPAN3_FLAGS));
			__u32 ft = (w >> 10) & 0x1f;

			hlen += (w & 1) * AFM_ERSPAN3_SUB_HLEN;
			if ((const void *)(p + hlen) > end)
				return AFM_SKIP_TUNNEL;
			if (ft == 2)
				t->link = AFM_LINK_RAW;
			else if (ft != 0)
				return AFM_SKIP_NOT_IP;
		}
		t->inner = p + hlen;
		return AFM_OK;
	}
	return afm_tunnel_link(type, t);
}

/*
 * GTP-U (3GPP TS 29.281): version 1, protocol type GTP, a G-PDU (others are the
 * tunnel's own signalling); the optional word and up to AFM_GTPU_EXT_MAX extension
 * headers, all inside the length field; an IP packet.
 */
static __always_inline int afm_parse_gtpu(const __u8 *p, const void *end, struct afm_tunnel_hdr *t)
{
	if ((const void *)(p + AFM_GTPU_HLEN) > end || (p[0] >> 5) != 1 || !(p[0] & 0x10))
		return AFM_SKIP_TUNNEL;
	__u32 len = AFM_GTPU_HLEN + AFM_GTPU_OPT * afm_nonzero(p[0] & 0x07);
	__u32 declared = afm_ntohs(afm_load16(p + AFM_GTPU_LEN));

	if ((const void *)(p + len) > end)
		return AFM_SKIP_TUNNEL;
	__u8 next = 0;

	if (p[0] & 0x04) {	/* E: the optional word's last byte names the first extension */
		if ((const void *)(p + AFM_GTPU_HLEN + AFM_GTPU_OPT) > end)
			return AFM_SKIP_TUNNEL;
		next = p[AFM_GTPU_HLEN + 3];
	}
	const __u8 *q = p + len;	/* each extension: its length in words, ..., the next type */

	for (int i = 0; i <= AFM_GTPU_EXT_MAX && next; i++) {
		if (i == AFM_GTPU_EXT_MAX || (const void *)(q + 1) > end || q[0] == 0)
			return AFM_SKIP_TUNNEL;
		const __u8 *last = q + ((__u32)q[0] * 4 - 1);

		if ((const void *)(last + 1) > end)
			return AFM_SKIP_TUNNEL;
		next = last[0];
		q = last + 1;
	}
	len = (__u32)(q - p);
	if (declared + AFM_GTPU_HLEN < len)
		return AFM_SKIP_TUNNEL;
	t->id = afm_ntohl(afm_load32(p + AFM_GTPU_TEID));
	t->has_id = 1;
	t->shared = 0;		/* each end names its own TEID */
	t->inner = p + len;
	t->link = AFM_LINK_RAW;
	return AFM_OK;
}

/*
 * An MPLS label stack (RFC 3032) of at most AFM_MPLS_MAX entries; after the bottom one,
 * an IP packet, or a pseudowire's control word (first nibble 0) and an Ethernet frame.
 */
static __always_inline int afm_parse_mpls(const __u8 *p, const void *end, struct afm_tunnel_hdr *t)
{
	for (int i = 0; i <= AFM_MPLS_MAX; i++) {
		if (i == AFM_MPLS_MAX || (const void *)(p + AFM_MPLS_HLEN) > end)
			return AFM_SKIP_TUNNEL;
		__u32 entry = afm_ntohl(afm_load32(p));

		p += AFM_MPLS_HLEN;
		if ((entry >> 12) == AFM_MPLS_GAL)
			return AFM_SKIP_NOT_IP;
		if (entry & 0x100) {	/* bottom of the stack */
			t->id = entry >> 12;
			break;
		}
	}
	t->has_id = 1;
	t->shared = 0;		/* labels are chosen per direction (and per hop) */
	if ((const void *)(p + 1) > end)
		return AFM_SKIP_TRUNCATED;
	if ((p[0] >> 4) == 0) {	/* the control word */
		if ((const void *)(p + 4) > end)
			return AFM_SKIP_TUNNEL;
		p += 4;
		t->link = AFM_LINK_ETHERNET;
	} else {
		t->link = AFM_LINK_RAW;
	}
	t->inner = p;
	return AFM_OK;
}

/* One tunnel header of kind at p (after the carrier's IP header; MPLS: the stack). */
static __always_inline int afm_parse_tunnel(const __u8 *p, const void *end, __u32 kind, struct afm_tunnel_hdr *t)
{
	switch (kind) {
	case AFM_TUN_IPIP:
		t->inner = p;
		t->link = AFM_LINK_RAW;
		return AFM_OK;
	case AFM_TUN_GRE:
	case AFM_TUN_ERSPAN:
		return afm_parse_gre(p, end, t);
	case AFM_TUN_VXLAN:
		return afm_parse_vxlan(p + AFM_UDP_HLEN, end, t);
	case AFM_TUN_GENEVE:
		return afm_parse_geneve(p + AFM_UDP_HLEN, end, t);
	case AFM_TUN_GTPU:
		return afm_parse_gtpu(p + AFM_UDP_HLEN, end, t);
	default:
		return afm_parse_mpls(p, end, t);
	}
}

/* fmix32 of MurmurHash3: every input bit moves every output bit. */
static __always_inline __u32 afm_mix32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/*
 * What a tunnel adds to the flow key (docs/METERING.md, 2): its identifier when both
 * directions carry the same one, else a digest of its carrier's two addresses that
 * does not depend on their order (0 without a carrier: MPLS on a link).
 */
static __always_inline __u32 afm_tunnel_key_step(__u32 key, const struct afm_tunnel_hdr *t,
						 const struct afm_record *rec, __u32 carrier)
{
	__u32 v = 0;

	if (t->shared) {
		v = t->id;
	} else if (carrier) {
		for (int i = 0; i < 8; i++)
			v += afm_mix32(afm_ntohl(afm_load32(rec->key.addr[i >> 2] + 4 * (i & 3))) + (__u32)(i & 3) * 0x9e3779b9u);
	}
	return key * 16777619u + v;
}

/*
 * Between two tunnel levels, the cursor's offset from the frame's start goes through
 * the record, which the BPF programs keep in map memory that the verifier does not
 * follow: every way through a tunnel header then meets as one state (an offset below
 * max + 1) and the verifier walks the next level once, not once per way. The frame's
 * start is read afresh too (afm_frame_start()): the old pointer carries the bounds
 * each way checked, which differ, and would keep the ways apart. In user space it is
 * the same arithmetic.
 */
static __always_inline int afm_rebase(struct afm_cursor *c, const void **data, struct afm_record *rec,
				      __u32 off, const __u32 max, const struct afm_frame_src *src)
{
	if (off > max)		/* max + 1: a power of two */
		return -1;
	rec->rebase_off = (__u16)off;
	__asm__ volatile("" ::: "memory");
	*data = afm_frame_start(src, *data);
	c->p = (const __u8 *)*data + (rec->rebase_off & max);
	return 0;
}

/*
 * One frame of level `level` at c, framed as link: its link header and tags, its IP
 * header, and the tunnel its transport header starts (*kind; AFM_TUN_NONE: the
 * transport header is at c, of protocol *proto, *l3 the IP header, *ip_len its length).
 */
static __always_inline int afm_parse_frame(struct afm_cursor *c, const void **data, int link, struct afm_record *rec,
					   int level, const int tunnels, const struct afm_frame_src *src, __u8 *proto,
					   __u64 *ip_len, const __u8 **l3, __u32 *kind)
{
	__u16 eth_proto = 0;
	int ret = afm_parse_link(c, link, &eth_proto);

	if (ret == AFM_OK)
		ret = afm_parse_vlans(c, &eth_proto, rec);
	if (ret != AFM_OK)
		return ret;
	*kind = AFM_TUN_NONE;
	if (tunnels && (eth_proto == AFM_ETH_P_MPLS || eth_proto == AFM_ETH_P_MPLS_MC)) {
		*kind = AFM_TUN_MPLS;	/* a label stack: no IP header at this level */
		return AFM_OK;
	}
	__u64 at = (__u64)(c->p - (const __u8 *)*data);	/* the IP header */

	rec->l3_off = (__u8)(at - rec->frame_off);
	if (level > 0 && afm_rebase(c, data, rec, (__u32)at, AFM_TUNNEL_HDR_MAX, src))
		return AFM_SKIP_TUNNEL;
	*l3 = c->p;
	if (eth_proto == AFM_ETH_P_IPV4)
		ret = afm_parse_ipv4(c, rec, proto, ip_len);
	else if (eth_proto == AFM_ETH_P_IPV6)
		ret = afm_parse_ipv6(c, rec, proto, ip_len);
	else
		return AFM_SKIP_NOT_IP;
	/* a later fragment carries no header; an outer fragment is not reassembled */
	if (ret == AFM_OK && tunnels && rec->frag == AFM_FRAG_NONE)
		*kind = afm_tunnel_kind(c, *proto);
	return ret;
}

/*
 * The tunnels inside the first one, which the frame at level 0 found: its header at
 * rec->rebase_off, its kind rec->rebase_kind. Each tunnel opened, and the frame inside
 * parsed, until one holds no tunnel: then AFM_OK, with its transport header's offset in
 * rec->rebase_off, the bytes the IP header declares after it in rec->rebase_avail,
 * after the IP header in rec->rebase_l4off, its protocol in key.proto and its IP length
 * in ip_len. The BPF programs run this as a function of their own, which the verifier
 * checks once, whatever way the first frame came (afm_inner_levels(), bpf/afm.bpf.c).
 */
static __always_inline int afm_parse_inner(const void *data, const void *data_end, struct afm_record *rec,
					   const struct afm_frame_src *src)
{
	struct afm_cursor c = { data, data_end };

	for (int level = 0; level < AFM_TUNNEL_MAX; level++) {
		struct afm_tunnel_hdr t = { 0 };
		__u32 kind = rec->rebase_kind;

		if (afm_rebase(&c, &data, rec, rec->rebase_off, AFM_TUNNEL_HDR_MAX, src))
			return AFM_SKIP_TUNNEL;
		int ret = afm_parse_tunnel(c.p, c.end, kind, &t);

		if (ret != AFM_OK)
			return ret;
		__u32 off = (__u32)(t.inner - (const __u8 *)data);

		if (off > AFM_TUNNEL_OFF_MAX)
			return AFM_SKIP_TUNNEL;
		__u32 carrier = kind != AFM_TUN_MPLS;

		if (carrier) {	/* this IP header carries the tunnel */
			__builtin_memcpy(rec->outer, rec->key.addr, sizeof(rec->outer));
			rec->outer_ver = rec->key.ip_version;
		}
		rec->key.tunnel_key = afm_tunnel_key_step(rec->key.tunnel_key, &t, rec, carrier);
		rec->key.tunnel[level] = (__u8)kind;
		rec->tunnel_id = t.id;
		rec->tunnel_has_id = (__u8)t.has_id;
		/* the frame inside starts afresh: its own tags and addresses */
		__builtin_memset(rec->key.addr, 0, sizeof(rec->key.addr));
		rec->key.vlan[0] = rec->key.vlan[1] = 0;
		rec->frame_off = (__u16)off;
		rec->rebase_link = (__u8)t.link;
		afm_rebase(&c, &data, rec, off, AFM_TUNNEL_OFF_MAX, src);	/* checked above */

		const __u8 *l3 = c.p;
		__u64 ip_len = 0;
		__u8 proto = 0;

		ret = afm_parse_frame(&c, &data, rec->rebase_link, rec, level + 1, 1, src, &proto, &ip_len, &l3, &kind);
		if (ret != AFM_OK)
			return ret;
		if (kind == AFM_TUN_NONE) {	/* the innermost frame: its transport header next */
			__u32 l4_off = (__u32)(c.p - l3);

			rec->key.proto = proto;
			rec->ip_len = (__u32)ip_len & ~(0u - (__u32)(ip_len >> 31));
			rec->rebase_avail = ip_len > l4_off ? (__u32)(ip_len - l4_off) : 0;
			rec->rebase_l4off = (__u16)l4_off;
			rec->rebase_off = (__u16)(c.p - (const __u8 *)data);
			return AFM_OK;
		}
		if (level + 1 == AFM_TUNNEL_MAX)
			return AFM_SKIP_TUNNEL;	/* one tunnel more than the meter opens */
		rec->rebase_kind = (__u8)kind;
		rec->rebase_off = (__u16)(c.p - (const __u8 *)data);
	}
	return AFM_SKIP_TUNNEL;
}

/* User space runs the inner levels inline; the BPF programs define their own call. */
#ifndef AFM_FRAME_SRC
static __always_inline int afm_inner_levels(const struct afm_frame_src *src, const void *data,
					    const void *data_end, struct afm_record *rec)
{
	return afm_parse_inner(data, data_end, rec, src);
}
#endif

/*
 * Parse one frame into rec->key, dir, tcp_flags, http_status, frag, frag_id, l3_off,
 * ip_len and payload_off; with detail (a constant at each caller), also headers,
 * l4_hlen, the TCP sequence, acknowledgement and window, the ICMP type and code. With
 * tunnels (--tunnels decap), the packet is the innermost frame of up to AFM_TUNNEL_MAX
 * nested tunnels: frame_off and the tunnel fields say where it was; src: the BPF
 * program's context (user space: NULL). ts_ns and wire_len are the caller's
 * (afm_record_wire()). Returns AFM_OK or an AFM_SKIP_* reason.
 */
static __always_inline int afm_parse(const void *data, const void *data_end, int link,
				     struct afm_record *rec, const int detail, const int tunnels,
				     const struct afm_frame_src *src)
{
	struct afm_cursor c = { data, data_end };
	const __u8 *l3 = data;
	__u64 ip_len = 0;	/* bytes of the IP packet as its header declares them */
	__u8 proto = 0;
	__u32 kind;
	__u32 l4_off, l4_avail;
	int ret;

	__builtin_memset(rec, 0, AFM_RECORD_CLEAR);
	ret = afm_parse_frame(&c, &data, link, rec, 0, tunnels, src, &proto, &ip_len, &l3, &kind);
	if (ret != AFM_OK)
		return ret;
	if (tunnels && kind != AFM_TUN_NONE) {	/* the frames inside, then their transport header */
		rec->rebase_kind = (__u8)kind;
		rec->rebase_off = (__u16)(c.p - (const __u8 *)data);
		if (c.p - (const __u8 *)data > AFM_TUNNEL_HDR_MAX)
			return AFM_SKIP_TUNNEL;
		ret = afm_inner_levels(src, data, data_end, rec);
		if (ret != AFM_OK)
			return ret;
		if (afm_rebase(&c, &data, rec, rec->rebase_off, AFM_TUNNEL_HDR_MAX, src))
			return AFM_SKIP_TUNNEL;
		l4_avail = rec->rebase_avail;
		l4_off = rec->rebase_l4off;
		proto = rec->key.proto;
	} else {
		rec->key.proto = proto;
		/* 0 when it declares none: ip_len is then 0xffffffff, else under 2^17 (no branch) */
		rec->ip_len = (__u32)ip_len & ~(0u - (__u32)(ip_len >> 31));
		/* Payload bytes: captured, and inside the IP packet's declared length. */
		l4_off = (__u32)(c.p - l3);
		l4_avail = ip_len > l4_off ? (__u32)(ip_len - l4_off) : 0;
	}
	if (rec->frag != AFM_FRAG_LATER) {	/* a later fragment has no transport header */
		/* payload_off: bytes before the transport header, and the TCP/UDP parser adds
		 * that header's (in memory, not a register live to the end: the verifier then
		 * walks the rest once, whatever the transport) */
		rec->payload_off = (__u16)(c.p - (const __u8 *)data);

		if (proto == AFM_IPPROTO_TCP)
			ret = afm_parse_tcp(&c, rec, l4_avail, detail);
		else if (proto == AFM_IPPROTO_UDP)
			ret = afm_parse_udp(&c, rec, l4_avail);
		if (ret != AFM_OK)
			return ret;
		if (detail && proto == AFM_IPPROTO_UDP)
			rec->l4_hlen = AFM_UDP_HLEN;
		if (detail && (proto == AFM_IPPROTO_ICMP || proto == AFM_IPPROTO_ICMPV6) && afm_has(&c, 2)) {
			rec->icmp_type = c.p[AFM_ICMP_TYPE];
			rec->icmp_code = c.p[AFM_ICMP_CODE];
		}
	}
	if (detail)
		rec->headers = (__u16)(l4_off + rec->l4_hlen);
	afm_key_canonicalize(rec);
	return AFM_OK;
}

#endif /* AFM_PARSE_H */
