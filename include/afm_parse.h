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
 * Parse one frame into rec->key, dir, tcp_flags, http_status, frag, frag_id, l3_off,
 * ip_len and payload_off; with detail (a constant at each caller), also headers,
 * l4_hlen, the TCP sequence, acknowledgement and window, the ICMP type and code. ts_ns
 * and wire_len are the caller's. Returns AFM_OK or an AFM_SKIP_* reason.
 */
static __always_inline int afm_parse(const void *data, const void *data_end, int link,
				     struct afm_record *rec, const int detail)
{
	struct afm_cursor c = { data, data_end };
	__u16 eth_proto = 0;
	__u64 ip_len;		/* bytes of the IP packet as its header declares them */
	__u8 proto;
	int ret;

	__builtin_memset(rec, 0, sizeof(*rec));
	ret = afm_parse_link(&c, link, &eth_proto);
	if (ret == AFM_OK)
		ret = afm_parse_vlans(&c, &eth_proto, rec);
	if (ret != AFM_OK)
		return ret;

	const __u8 *l3 = c.p;

	rec->l3_off = (__u8)(l3 - (const __u8 *)data);
	if (eth_proto == AFM_ETH_P_IPV4)
		ret = afm_parse_ipv4(&c, rec, &proto, &ip_len);
	else if (eth_proto == AFM_ETH_P_IPV6)
		ret = afm_parse_ipv6(&c, rec, &proto, &ip_len);
	else
		return AFM_SKIP_NOT_IP;
	if (ret != AFM_OK)
		return ret;
	rec->key.proto = proto;
	/* 0 when it declares none: ip_len is then 0xffffffff, else under 2^17 (no branch) */
	rec->ip_len = (__u32)ip_len & ~(0u - (__u32)(ip_len >> 31));
	if (rec->frag != AFM_FRAG_LATER) {	/* a later fragment has no transport header */
		/* Payload bytes: captured, and inside the IP packet's declared length. */
		__u64 l4_off = (__u64)(c.p - l3);
		__u64 l4_avail = ip_len > l4_off ? ip_len - l4_off : 0;

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
		rec->headers = (__u16)((c.p - l3) + rec->l4_hlen);
	afm_key_canonicalize(rec);
	return AFM_OK;
}

#endif /* AFM_PARSE_H */
