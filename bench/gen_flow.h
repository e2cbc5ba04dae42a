// SPDX-License-Identifier: MIT
/*
 * One synthetic flow: its endpoints and a script of packets (time offset, direction,
 * TCP flags, payload length) written when the flow starts and played by the generator.
 */
#ifndef GEN_FLOW_H
#define GEN_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "gen_rng.h"

enum flow_kind { FLOW_TCP, FLOW_DNS, FLOW_QUIC, FLOW_RTP, FLOW_ICMP, FLOW_KINDS };

enum { DIR_CLIENT = 0, DIR_SERVER = 1 };

/* TCP flag bits as in byte 13 of the header. */
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10 };

/* pkt.aux of a QUIC packet with a long header: the Initial that opens each side. */
#define QUIC_INITIAL 1

/* Largest payload of one segment or datagram, so that a frame is at most 1514 bytes. */
#define MSS_V4 1460
#define MSS_V6 1440

struct pkt {
	uint64_t t;		/* ns after the flow's start */
	uint16_t len;		/* payload bytes (after the TCP/UDP/ICMP header) */
	uint16_t aux;		/* HTTP status, ICMP/RTP sequence, QUIC_INITIAL */
	uint8_t flags;		/* TCP flags */
	uint8_t dir;		/* DIR_CLIENT: client to server */
	uint8_t start;		/* first segment of an application message */
};

struct flow {
	enum flow_kind kind;
	int v6;
	uint8_t mac[2][6];	/* [dir]: source MAC of packets in that direction */
	uint8_t ip[2][16];	/* [DIR_CLIENT] client, [DIR_SERVER] server */
	uint16_t port[2];
	uint8_t ttl[2];
	uint32_t label;		/* IPv6 flow label */
	uint32_t seq[2];	/* next TCP sequence number of each side */
	uint8_t syn_sent[2];	/* a retransmitted SYN repeats the first one's number */
	uint16_t ipid[2];
	uint16_t icmp_id;
	uint32_t ssrc;		/* RTP */
	uint8_t quic_cid[2][8];	/* [dir]: the connection ID that side chose */
	uint8_t quic_odcid[8];	/* the client's first, random, destination ID */
	uint16_t dns_id;
	uint16_t dns_qtype;	/* 1 (A) or 28 (AAAA) */
	uint16_t dns_answers;	/* 0: NXDOMAIN */
	uint8_t qname[64];	/* DNS question name, wire format */
	uint8_t qname_len;

	struct pkt *pkts;	/* the script, in non-decreasing time */
	size_t n, cap, next;
	uint64_t start;		/* absolute ns of pkts[0] */
};

/*
 * Draw a new flow (kind, endpoints, script). scale stretches the heavy tail (bulk
 * transfers and UDP streams). Returns 0, or -1 when out of memory.
 */
int flow_create(struct flow *f, struct rng *r, double scale);

/* Free the script when it grew large, so big flows do not pin memory. */
void flow_trim(struct flow *f);

/* Mean packets per flow at a tail scale, over n sample flows drawn from seed. */
double flow_mean_packets(uint64_t seed, double scale, int n);

#endif
