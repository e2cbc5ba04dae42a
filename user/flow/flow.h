/* SPDX-License-Identifier: MIT */
/* One flow as the engine keeps it: key, state, counters and every packet sample. */
#ifndef AFM_FLOW_H
#define AFM_FLOW_H

#include <stdint.h>

#include "afm_event.h"

/* One packet of a flow: 12 bytes. */
struct afm_sample {
	uint64_t ts_ns;
	uint32_t len_dir;	/* wire length; bit 31 set for a sending (dst -> src) packet */
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct afm_sample) == 12, "sample layout");

#define AFM_SAMPLE_SENDING 0x80000000u
#define AFM_SAMPLE_LEN_MAX 0x7fffffffu

/*
 * What the CIC schemas need of a packet beyond its sample (docs/CIC.md): kept, in
 * its chunk after the samples, only by flows of an engine with detail on.
 */
struct afm_sample_detail {
	uint32_t seq, ack;	/* TCP */
	uint32_t payload;	/* transport payload bytes (docs/CIC.md, "Terms") */
	uint16_t window;	/* TCP window; ICMP and ICMPv6: type << 8 | code */
	uint8_t l4_hlen;	/* transport header bytes */
	uint8_t pad;
};

_Static_assert(sizeof(struct afm_sample_detail) == 16, "detail layout");

/*
 * A flow's samples are kept in chunks, in arrival order: each new chunk holds half as
 * many samples as those before it (4 at first, at most AFM_CHUNK_MAX), so that growing
 * never copies or moves a sample, and the slack is at most a third of a flow's
 * samples and at most one chunk: a long flow holds 12 bytes a packet and a little.
 */
#define AFM_CHUNK_FIRST 4
#define AFM_CHUNK_MAX 4096	/* samples: 48 KiB, below malloc's mmap threshold */
#define AFM_CHUNK_MAX_DETAIL 2048	/* with details: 56 KiB */

struct afm_sample_chunk {
	struct afm_sample_chunk *next;
	uint32_t n, cap;
	struct afm_sample s[];	/* then, in a detailed flow, cap struct afm_sample_detail */
};

static inline struct afm_sample_detail *afm_chunk_details(const struct afm_sample_chunk *c)
{
	return (struct afm_sample_detail *)(void *)((char *)(void *)c + sizeof(*c) + (size_t)c->cap * sizeof(c->s[0]));
}

enum afm_end_reason {
	AFM_END_FIN = 0,
	AFM_END_RST,
	AFM_END_IDLE,
	AFM_END_ACTIVE,
	AFM_END_EOF,
	AFM_END_SHUTDOWN,
	AFM_END_EVICTED,
	AFM_END_COUNT,
};

const char *afm_end_reason_name(int reason);
/* A tunnel kind's name in the tunnel column (enum afm_tunnel; AFM_TUN_NONE: "-"). */
const char *afm_tunnel_name(int kind);


struct afm_flow {
	struct afm_flow_key key;	/* first: the key map compares it here */
	uint64_t hash;
	uint64_t seq;			/* creation order */
	uint64_t first_ns, last_ns;	/* smallest and largest packet timestamp */
	uint64_t close_ns;		/* timestamp of the closing FIN/RST */
	struct afm_flow *older, *newer;	/* open flows in creation order */
	struct afm_sample_chunk *first, *last;	/* the samples, in arrival order */
	uint32_t n, cap;			/* samples, and room for them */
	uint64_t sample_bytes;			/* bytes the chunks take (the first one's samples, then whole chunks) */
	uint32_t heap_idx[2];		/* positions in the deadline and activity heaps */
	uint32_t success;		/* HTTP 2xx response lines */
	uint8_t src_ep;			/* which endpoint of the key is src */
	uint8_t fin_mask;		/* bit e: endpoint e sent a FIN */
	uint8_t closed;			/* 0, or AFM_END_FIN / AFM_END_RST + 1 */
	uint8_t end_reason;
	uint8_t handshake;		/* enum afm_handshake: how far the TCP handshake went */
	uint8_t detailed;		/* its chunks hold details (struct afm_sample_detail) */
	uint8_t chained;		/* detail: it continues a connection split by the active timeout */
	uint64_t chain_first_ns;	/* ... whose first packet came then */
	uint64_t syn_ns, ack_ns, data_ns;	/* times of its SYN, final ACK, first data */
	uint32_t flags[2][8];		/* [endpoint][bit]: packets with that TCP flag */
	uint64_t ip_bytes[2];		/* [endpoint]: IP octets it sent (afm_ip_octets()) */
	struct afm_ktunnel *tunnel;	/* its key has tunnels: their carrier and identifiers (COLUMNS.md 114-118) */
};

/* docs/COLUMNS.md, "The TCP handshake". */
enum afm_handshake {
	AFM_HS_NONE = 0,
	AFM_HS_SYN,		/* the client's SYN */
	AFM_HS_SYNACK,		/* the server's SYN-ACK after it */
	AFM_HS_ACK,		/* the client's ACK after that: complete */
	AFM_HS_DATA,		/* and the first segment with data from then on */
	AFM_HS_MISSED,		/* the flow began with a SYN-ACK: not timed */
};

/* detailed: its samples keep their details. */
struct afm_flow *afm_flow_new(const struct afm_flow_key *key, uint64_t hash, int detailed);
/* Append a sample (and, to a detailed flow, its detail d): 0 or -ENOMEM. */
int afm_flow_append(struct afm_flow *f, uint64_t ts_ns, uint32_t len_dir, const struct afm_sample_detail *d);
void afm_flow_free(struct afm_flow *f);
/* The i-th sample (i < f->n), walking the chunks: for tests and rare lookups. */
const struct afm_sample *afm_flow_sample(const struct afm_flow *f, uint32_t i);

#endif
