/* SPDX-License-Identifier: MIT */
/*
 * The packet record: what the parser makes of one frame, and all the flow engine ever
 * sees of it. Shared by the BPF programs and user space, so every field has a fixed
 * width, padding is explicit and sizes are checked at compile time.
 */
#ifndef AFM_RECORD_H
#define AFM_RECORD_H

#include "afm_types.h"

/* Bidirectional flow key: endpoint 0 is the smaller (address, port) of the two. */
struct afm_flow_key {
	__u8 addr[2][16];	/* IPv4 in the first 4 bytes, the rest zero */
	__u16 port[2];		/* host byte order; 0 for protocols without ports */
	__u16 vlan[2];		/* outer, inner 802.1Q/802.1ad VLAN ID; 0 when absent */
	__u16 dns_id;		/* DNS transaction ID (UDP port 53), else 0 */
	__u8 proto;		/* IP protocol number (IPv6: last next-header) */
	__u8 ip_version;	/* 4 or 6 */
	__u8 flags;		/* AFM_KEY_* */
	__u8 tunnel[3];		/* enum afm_tunnel of each tunnel around it, outermost first; 0: none */
	__u32 ifindex;		/* live: the interface it was seen on; 0 from a capture */
	__u32 tunnel_key;	/* what its tunnels share in both directions (afm_tunnel_key_step()) */
};

#define AFM_KEY_DNS 0x01	/* UDP on port 53: one flow per transaction */
#define AFM_KEY_FRAG_IDENT 0x80	/* not a flow: a datagram's identity (afm_frag_ident()) */

/* IP protocol numbers: the transports the meter reads, the IPv6 extension headers. */
#define AFM_IPPROTO_HOPOPTS 0
#define AFM_IPPROTO_ICMP 1
#define AFM_IPPROTO_TCP 6
#define AFM_IPPROTO_UDP 17
#define AFM_IPPROTO_ROUTING 43
#define AFM_IPPROTO_FRAGMENT 44
#define AFM_IPPROTO_AH 51
#define AFM_IPPROTO_DSTOPTS 60
#define AFM_IPPROTO_ICMPV6 58
#define AFM_IPPROTO_MH 135
#define AFM_IPPROTO_HIP 139
#define AFM_IPPROTO_SHIM6 140

#define AFM_PORT_DNS 53

enum afm_frag {
	AFM_FRAG_NONE = 0,	/* not a fragment (or an atomic IPv6 fragment) */
	AFM_FRAG_FIRST = 1,	/* offset 0, more fragments follow: carries the ports */
	AFM_FRAG_LATER = 2,	/* offset > 0: no transport header */
};

/* TCP flag bits as they are in byte 13 of the TCP header. */
#define AFM_TCP_FIN 0x01
#define AFM_TCP_SYN 0x02
#define AFM_TCP_RST 0x04
#define AFM_TCP_PSH 0x08
#define AFM_TCP_ACK 0x10
#define AFM_TCP_URG 0x20
#define AFM_TCP_ECE 0x40
#define AFM_TCP_CWR 0x80

struct afm_record {
	struct afm_flow_key key;
	__u64 ts_ns;		/* capture or kernel time, ns since the epoch */
	__u32 wire_len;		/* length on the wire at layer 2 */
	__u32 frag_id;		/* IPv4 identification / IPv6 fragment ID, if a fragment */
	__u16 http_status;	/* status code of an HTTP/1.x response line, else 0 */
	__u8 tcp_flags;		/* AFM_TCP_*; 0 for other protocols */
	__u8 dir;		/* 0: sent by endpoint 0 of the key, 1: by endpoint 1 */
	__u8 frag;		/* enum afm_frag */
	__u8 payload;		/* a TCP segment carrying data (docs/COLUMNS.md) */
	__u8 l3_off;		/* bytes before the IP header: the link header and VLAN tags */
	__u8 l4_hlen;		/* detail: the transport header's bytes (TCP data offset x 4, UDP 8), else 0 */
	__u32 ip_len;		/* the IP packet's length as its header declares it; 0: it declares none */
	/*
	 * Detail, parsed only when asked for (afm_parse(), detail set: the CIC schemas,
	 * docs/CIC.md); else 0. headers: the bytes from the IP header to the transport
	 * payload (IP header, IPv6 extension headers, transport header).
	 */
	__u16 headers;
	union {
		__u16 tcp_window;	/* TCP: the raw window field */
		struct {
			__u8 icmp_type, icmp_code;	/* ICMP, ICMPv6 */
		};
	};
	__u32 tcp_seq, tcp_ack;
	/* Bytes from the frame's start to the transport payload: the headers every segment
	 * of a GSO/GRO super-frame repeats (--segments). afm_parse() sets it before the
	 * transport header, the TCP/UDP parser adds that header's bytes. */
	__u16 payload_off;
	/*
	 * Tunnels (--tunnels decap, docs/METERING.md 1.1): the packet is the frame inside
	 * the innermost tunnel, frame_off bytes into the captured one (l3_off counts from
	 * there). The rest is written only for a tunnelled packet (key.tunnel[0] != 0).
	 */
	__u16 frame_off;
	__u16 rebase_off;	/* the parser's cursor between two tunnel levels (afm_parse.h) */
	__u8 rebase_link;	/* ... and the framing of the next level (enum afm_link) */
	__u8 outer_ver;		/* 4 or 6: the IP header carrying the innermost tunnel; 0: none (MPLS) */
	__u8 tunnel_has_id;	/* the innermost tunnel carries an identifier: */
	__u8 rebase_kind;	/* the parser's: the tunnel found (enum afm_tunnel) */
	__u16 rebase_l4off;	/* the parser's: the innermost transport header's offset in its IP packet */
	__u32 tunnel_id;	/* ... VNI, GRE key, ERSPAN session, GTP-U TEID or MPLS label */
	__u8 outer[2][16];	/* that IP header's source and destination */
	__u32 rebase_avail;	/* the parser's: transport bytes the IP header declares */
	__u32 pad4;
};

_Static_assert(sizeof(struct afm_flow_key) == 56, "flow key layout");
_Static_assert(sizeof(struct afm_record) == 152, "record layout");

/* The part of a record every parse clears: what follows is written only for a tunnel. */
#define AFM_RECORD_CLEAR __builtin_offsetof(struct afm_record, outer)

/*
 * The packet's bytes at the IP layer (docs/METERING.md, 1): the length its IP header
 * declares, or, when it declares none (TSO/GRO super-frames) or more than the frame
 * holds, the frame's bytes after the link header and VLAN tags.
 */
static __always_inline __u32 afm_ip_octets(const struct afm_record *rec)
{
	/* Without a branch (the kernel's verifier would walk what follows twice). */
	__u64 decl = rec->ip_len, d = (__u64)rec->wire_len - rec->l3_off;
	__u64 avail = d & ((d >> 63) - 1);	/* wire_len - l3_off, or 0 */
	__u64 use = afm_nonzero((__u32)decl) & ((decl - avail) >> 63);	/* declared, and less */

	return (__u32)(avail - use * (avail - decl));
}

/*
 * The detail's 16-bit transport word of a packet of a flow of protocol proto: the TCP
 * window, or for other protocols the ICMP type and code (type << 8 | code), as the
 * kernel ships it and the flows keep it (struct afm_kdetail, struct afm_sample_detail).
 */
static __always_inline __u16 afm_l4_word(const struct afm_record *rec, __u8 proto)
{
	return proto == AFM_IPPROTO_TCP ? rec->tcp_window : (__u16)(rec->icmp_type << 8 | rec->icmp_code);
}

/* Why the parser did not produce a record. Kept in step with afm_verdict_name(). */
enum afm_verdict {
	AFM_OK = 0,
	AFM_SKIP_NOT_IP,	/* ARP, LLDP, ...: no IPv4/IPv6 packet */
	AFM_SKIP_TRUNCATED,	/* captured bytes end inside a needed header */
	AFM_SKIP_MALFORMED,	/* impossible header value */
	AFM_SKIP_IPV6_EXT_CHAIN,	/* more IPv6 extension headers than the parser walks */
	AFM_SKIP_VLAN_DEPTH,	/* more than two VLAN tags */
	AFM_SKIP_OVERSIZED,	/* a capture record's original length beyond any real frame */
	AFM_SKIP_TUNNEL,	/* a tunnel header cut short or impossible, or tunnels nested too deep */
	AFM_VERDICT_COUNT,
};

/* Link-layer framings the parser understands (not DLT numbers: see capture.c). */
enum afm_link {
	AFM_LINK_ETHERNET = 0,
	AFM_LINK_SLL,		/* Linux cooked capture v1 */
	AFM_LINK_SLL2,		/* Linux cooked capture v2 */
	AFM_LINK_RAW,		/* bare IPv4 or IPv6, version from the first nibble */
	AFM_LINK_NULL,		/* BSD loopback: 4-byte address family, either byte order */
	AFM_LINK_MPLS,		/* inside a tunnel: an MPLS label stack (afm_parse.h) */
};

/* Tunnels the parser takes packets out of (docs/METERING.md, 1.1). Kept in step with afm_tunnel_name(). */
enum afm_tunnel {
	AFM_TUN_NONE = 0,
	AFM_TUN_VXLAN,		/* UDP 4789 or 8472 */
	AFM_TUN_GENEVE,		/* UDP 6081 */
	AFM_TUN_GRE,		/* IP protocol 47 */
	AFM_TUN_ERSPAN,		/* GRE 0x88be (types I, II) and 0x22eb (type III) */
	AFM_TUN_GTPU,		/* UDP 2152, G-PDU */
	AFM_TUN_MPLS,		/* EtherType 0x8847/0x8848, or GRE carrying them */
	AFM_TUN_IPIP,		/* IP protocols 4 and 41: IPv4 or IPv6 in IPv4 or IPv6 */
	AFM_TUN_COUNT,
};

#ifndef AFM_TUNNEL_MAX
#define AFM_TUNNEL_MAX 3	/* tunnels nested in one another; one more is AFM_SKIP_TUNNEL */
#endif
#define AFM_TUNNEL_OFF_MAX 1023	/* an inner frame starts within the first 1024 bytes */
#define AFM_TUNNEL_HDR_MAX 16383	/* ... and its headers within the first 16 KiB */
#define AFM_MPLS_MAX 8		/* label stack entries */
#define AFM_GTPU_EXT_MAX 4	/* GTP-U extension headers */

/* The packet on the wire less what is outside its innermost tunnel's frame. */
static __always_inline void afm_record_wire(struct afm_record *rec, __u64 len)
{
	__u64 d = len - rec->frame_off;

	rec->wire_len = (__u32)(d & ((d >> 63) - 1));	/* never below 0 */
}

/* A capture record longer than this on the wire is damage, not a frame (skipped). */
#define AFM_WIRE_LEN_MAX (16u << 20)

#define AFM_VLAN_MAX 2
#define AFM_IPV6_EXT_MAX 8
#define AFM_FRAG_TIMEOUT_NS (30ULL * 1000000000ULL)

#endif /* AFM_RECORD_H */
