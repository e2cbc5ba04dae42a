/* SPDX-License-Identifier: MIT */
/*
 * The packet parser: one frame in, one afm_record (or a skip reason) out.
 *
 * The same code runs in the XDP/TC programs and in the offline reader, so it is
 * written for the verifier: every read is preceded by an explicit check against
 * data_end, loops have constant bounds, and nothing is read from uninitialised stack.
 * The rules it implements are in docs/METERING.md, section 1.
 */
#ifndef AFM_PARSE_H
#define AFM_PARSE_H

#include "afm_record.h"

#define AFM_ETH_P_IPV4 0x0800
#define AFM_ETH_P_IPV6 0x86dd
#define AFM_ETH_P_8021Q 0x8100
#define AFM_ETH_P_8021AD 0x88a8
#define AFM_ETH_P_QINQ_OLD 0x9100

#define AFM_IPPROTO_HOPOPTS 0
#define AFM_IPPROTO_TCP 6
#define AFM_IPPROTO_UDP 17
#define AFM_IPPROTO_ROUTING 43
#define AFM_IPPROTO_FRAGMENT 44
#define AFM_IPPROTO_AH 51
#define AFM_IPPROTO_DSTOPTS 60
#define AFM_IPPROTO_MH 135
#define AFM_IPPROTO_HIP 139
#define AFM_IPPROTO_SHIM6 140

#define AFM_PORT_DNS 53

/*
 * 0/1 tests without a branch: the value passes through an empty asm statement so that
 * the compiler cannot turn the arithmetic back into a compare-and-jump.
 */
static __always_inline __u32 afm_opaque(__u32 x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

static __always_inline __u32 afm_nonzero(__u32 x)	/* x != 0 */
{
	x = afm_opaque(x);
	return (x | (0u - x)) >> 31;
}

static __always_inline __u32 afm_eq8(__u32 x, __u32 y)	/* x == y, for bytes */
{
	__u32 d = afm_opaque((x ^ y) & 0xff);

	return 1 - ((d + 255) >> 8);
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

/* True when the payload [p, limit) starts an HTTP/1.0 or HTTP/1.1 status line. */
static __always_inline __u16 afm_http_status(const __u8 *p, const void *data_end, __u64 avail)
{
	if (avail < 12 || (const void *)(p + 12) > data_end)
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
 * Parse the link header; on success *proto is the EtherType (host order) of what
 * follows at *l3 (AFM_ETH_P_IPV4/IPV6 for raw and loopback links).
 */
static __always_inline int afm_parse_link(const __u8 *data, const void *data_end, int link,
					  const __u8 **l3, __u16 *proto)
{
	const __u8 *p = data;

	switch (link) {
	case AFM_LINK_ETHERNET:
		if ((const void *)(p + 14) > data_end)
			return AFM_SKIP_TRUNCATED;
		*proto = afm_ntohs(afm_load16(p + 12));
		*l3 = p + 14;
		return AFM_OK;
	case AFM_LINK_SLL:
		if ((const void *)(p + 16) > data_end)
			return AFM_SKIP_TRUNCATED;
		*proto = afm_ntohs(afm_load16(p + 14));
		*l3 = p + 16;
		return AFM_OK;
	case AFM_LINK_SLL2:
		if ((const void *)(p + 20) > data_end)
			return AFM_SKIP_TRUNCATED;
		*proto = afm_ntohs(afm_load16(p));
		*l3 = p + 20;
		return AFM_OK;
	case AFM_LINK_NULL: {
		if ((const void *)(p + 4) > data_end)
			return AFM_SKIP_TRUNCATED;
		/* The family is in the writer's byte order: accept both. */
		__u32 af = afm_load32(p);
		__u32 swapped = ((af & 0xff) << 24) | ((af & 0xff00) << 8) |
				((af >> 8) & 0xff00) | (af >> 24);

		if (af > 0xffff)
			af = swapped;
		*l3 = p + 4;
		if (af == 2)
			*proto = AFM_ETH_P_IPV4;
		else if (af == 24 || af == 28 || af == 30)
			*proto = AFM_ETH_P_IPV6;
		else
			return AFM_SKIP_NOT_IP;
		return AFM_OK;
	}
	default: /* AFM_LINK_RAW */
		if ((const void *)(p + 1) > data_end)
			return AFM_SKIP_TRUNCATED;
		*l3 = p;
		if ((p[0] >> 4) == 4)
			*proto = AFM_ETH_P_IPV4;
		else if ((p[0] >> 4) == 6)
			*proto = AFM_ETH_P_IPV6;
		else
			return AFM_SKIP_NOT_IP;
		return AFM_OK;
	}
}

/*
 * Parse one frame into rec->key, dir, tcp_flags, http_status, frag and frag_id.
 * ts_ns and wire_len are the caller's. Returns AFM_OK or an AFM_SKIP_* reason.
 */
static __always_inline int afm_parse(const void *data, const void *data_end, int link,
				     struct afm_record *rec)
{
	const __u8 *p;
	__u16 eth_proto = 0;
	int ret;

	__builtin_memset(rec, 0, sizeof(*rec));
	ret = afm_parse_link(data, data_end, link, &p, &eth_proto);
	if (ret != AFM_OK)
		return ret;

	for (int i = 0; i <= AFM_VLAN_MAX; i++) {
		if (eth_proto != AFM_ETH_P_8021Q && eth_proto != AFM_ETH_P_8021AD &&
		    eth_proto != AFM_ETH_P_QINQ_OLD)
			break;
		if (i == AFM_VLAN_MAX)
			return AFM_SKIP_VLAN_DEPTH;
		if ((const void *)(p + 4) > data_end)
			return AFM_SKIP_TRUNCATED;
		rec->key.vlan[i] = afm_ntohs(afm_load16(p)) & 0x0fff;
		eth_proto = afm_ntohs(afm_load16(p + 2));
		p += 4;
	}

	const __u8 *l3 = p;
	__u64 l3_len;		/* bytes of the IP packet as its header declares them */
	__u8 proto;

	if (eth_proto == AFM_ETH_P_IPV4) {
		if ((const void *)(p + 20) > data_end)
			return AFM_SKIP_TRUNCATED;
		if ((p[0] >> 4) != 4)
			return AFM_SKIP_MALFORMED;
		__u32 hlen = (p[0] & 0x0f) * 4;
		__u32 tot_len = afm_ntohs(afm_load16(p + 2));
		__u16 frag_off = afm_ntohs(afm_load16(p + 6));

		if (hlen < 20 || (tot_len != 0 && tot_len < hlen))
			return AFM_SKIP_MALFORMED;
		if ((const void *)(p + hlen) > data_end)
			return AFM_SKIP_TRUNCATED;
		l3_len = tot_len ? tot_len : 0xffffffffULL;
		proto = p[9];
		rec->key.ip_version = 4;
		__builtin_memcpy(rec->key.addr[0], p + 12, 4);
		__builtin_memcpy(rec->key.addr[1], p + 16, 4);
		if (frag_off & 0x1fff)
			rec->frag = AFM_FRAG_LATER;
		else if (frag_off & 0x2000)
			rec->frag = AFM_FRAG_FIRST;
		if (rec->frag != AFM_FRAG_NONE)
			rec->frag_id = afm_ntohs(afm_load16(p + 4));
		p += hlen;
	} else if (eth_proto == AFM_ETH_P_IPV6) {
		if ((const void *)(p + 40) > data_end)
			return AFM_SKIP_TRUNCATED;
		if ((p[0] >> 4) != 6)
			return AFM_SKIP_MALFORMED;
		__u32 plen = afm_ntohs(afm_load16(p + 4));

		l3_len = plen ? 40 + plen : 0xffffffffULL;
		proto = p[6];
		rec->key.ip_version = 6;
		__builtin_memcpy(rec->key.addr[0], p + 8, 16);
		__builtin_memcpy(rec->key.addr[1], p + 24, 16);
		p += 40;
		/*
		 * The extension-header walk computes with 0/1 values instead of branching
		 * on the header type: each step then leaves the verifier one path to follow
		 * (not one per header type, which doubles the work with every header).
		 */
		__u32 kind = AFM_FRAG_NONE, frag_id = 0;

		for (int i = 0; i <= AFM_IPV6_EXT_MAX; i++) {
			__u32 is_ext = afm_eq8(proto, AFM_IPPROTO_HOPOPTS) | afm_eq8(proto, AFM_IPPROTO_ROUTING) |
				       afm_eq8(proto, AFM_IPPROTO_FRAGMENT) | afm_eq8(proto, AFM_IPPROTO_DSTOPTS) |
				       afm_eq8(proto, AFM_IPPROTO_AH) | afm_eq8(proto, AFM_IPPROTO_MH) |
				       afm_eq8(proto, AFM_IPPROTO_HIP) | afm_eq8(proto, AFM_IPPROTO_SHIM6);

			if (!is_ext)
				break;
			if (i == AFM_IPV6_EXT_MAX)
				return AFM_SKIP_IPV6_EXT_CHAIN;
			if ((const void *)(p + 8) > data_end)
				return AFM_SKIP_TRUNCATED;

			__u32 is_frag = afm_eq8(proto, AFM_IPPROTO_FRAGMENT);
			__u32 is_ah = afm_eq8(proto, AFM_IPPROTO_AH);
			/* Fragment: 8 bytes; AH: (len + 2) * 4; the others: (len + 1) * 8. */
			__u32 len = 8 + (__u32)p[1] * 4 * (2 - is_ah) * (1 - is_frag);

			if ((const void *)(p + len) > data_end)
				return AFM_SKIP_TRUNCATED;

			/* Only the first Fragment header that makes a fragment counts. */
			__u32 off_m = afm_ntohs(afm_load16(p + 2));
			__u32 counts = is_frag & afm_eq8(kind, AFM_FRAG_NONE);
			__u32 later = counts & afm_nonzero(off_m & 0xfff8);
			__u32 first = counts & (off_m & 1) & (1 - later);
			__u32 take = 0 - (later | first);

			kind |= later * AFM_FRAG_LATER + first * AFM_FRAG_FIRST;
			frag_id = (frag_id & ~take) | (afm_ntohl(afm_load32(p + 4)) & take);
			proto = p[0];
			p += len;
			if (later)	/* what follows is fragment data, not headers */
				break;
		}
		rec->frag = (__u8)kind;
		rec->frag_id = frag_id;
	} else {
		return AFM_SKIP_NOT_IP;
	}

	rec->key.proto = proto;
	if (rec->frag == AFM_FRAG_LATER)
		goto done;

	/* Payload bytes present: captured, and inside the IP packet's declared length. */
	__u64 l4_off = (__u64)(p - l3);
	__u64 l4_avail = l3_len > l4_off ? l3_len - l4_off : 0;

	if (proto == AFM_IPPROTO_TCP) {
		if ((const void *)(p + 20) > data_end)
			return AFM_SKIP_TRUNCATED;
		__u32 doff = (p[12] >> 4) * 4;

		if (doff < 20)
			return AFM_SKIP_MALFORMED;
		rec->key.port[0] = afm_ntohs(afm_load16(p));
		rec->key.port[1] = afm_ntohs(afm_load16(p + 2));
		rec->tcp_flags = p[13];
		/* Data in the segment: the IP packet's declared length says (0: unknown,
		 * as in TSO super-frames, which carry data). */
		rec->payload = l4_avail > doff;
		if (l4_avail > doff && (const void *)(p + doff) <= data_end)
			rec->http_status = afm_http_status(p + doff, data_end, l4_avail - doff);
	} else if (proto == AFM_IPPROTO_UDP) {
		if ((const void *)(p + 8) > data_end)
			return AFM_SKIP_TRUNCATED;
		rec->key.port[0] = afm_ntohs(afm_load16(p));
		rec->key.port[1] = afm_ntohs(afm_load16(p + 2));
		if (rec->key.port[0] == AFM_PORT_DNS || rec->key.port[1] == AFM_PORT_DNS) {
			rec->key.flags |= AFM_KEY_DNS;
			if (l4_avail >= 10 && (const void *)(p + 10) <= data_end)
				rec->key.dns_id = afm_ntohs(afm_load16(p + 8));
		}
	}
done:
	afm_key_canonicalize(rec);
	return AFM_OK;
}

#endif /* AFM_PARSE_H */
