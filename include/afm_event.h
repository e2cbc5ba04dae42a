/* SPDX-License-Identifier: MIT */
/*
 * What the kernel programs and user space exchange: the per-CPU flow slot that holds
 * a flow's batch, the ring buffer event that carries a batch, the packet counters and
 * what user space sets before a test run.
 */
#ifndef AFM_EVENT_H
#define AFM_EVENT_H

#include "afm_record.h"


/* Packets a flow slot holds before they are shipped as one event. */
#define AFM_BATCH 32

/* The maps' sizes. User space may size the flow table and the ring before load. */
#define AFM_FLOW_SLOTS 16384		/* flow table slots per CPU: a power of two */
#define AFM_RINGBUF_BYTES (16u << 20)	/* a power of two, at least a page */
#define AFM_FRAG_SLOTS 16384		/* first fragments remembered (LRU) */

/*
 * One packet in 8 bytes. `stamp` is the packet's time minus the batch's base time in
 * ns (live), or minus the base replay sequence number (--via-xdp). `info` packs:
 */
struct afm_ksample {
	__u32 stamp;
	__u32 info;
};

#define AFM_KS_LEN_BITS 20			/* wire length, saturated at 2^20 - 1 */
#define AFM_KS_LEN_MASK ((1u << AFM_KS_LEN_BITS) - 1)
#define AFM_KS_DIR (1u << 20)			/* sent by endpoint 1 of the key */
#define AFM_KS_HTTP_2XX (1u << 21)		/* an HTTP/1.x 2xx status line */
#define AFM_KS_FLAGS_SHIFT 22			/* TCP flags in bits 22..29 */
#define AFM_KS_PAYLOAD (1u << 30)		/* a TCP segment carrying data */
#define AFM_KS_SEGMENTS (1u << 31)		/* --segments: a super-frame; the next sample extends it */

/*
 * --segments (TC only): a GSO/GRO super-frame of TCP or UDP that the wire carries as
 * several segments is a sample with AFM_KS_SEGMENTS (its own stamp, its whole length,
 * its flags) followed by an extension sample in the same batch, which is no packet:
 * stamp = segments | gso_size << 16, info = the header bytes every segment repeats
 * (never AFM_KS_SEGMENTS). User space makes the segments of the pair
 * (afm_kevent_segment()): segment i is headers + gso_size long, the last one headers
 * plus the remainder, all at the super-frame's time (docs/METERING.md).
 */
#define AFM_KX_SEGS(s) ((s)->stamp & 0xffffu)
#define AFM_KX_GSO_SIZE(s) ((s)->stamp >> 16)
#define AFM_KX_HEADERS(s) ((s)->info & 0xffffu)

/* Why an event was sent. */
enum afm_flush {
	AFM_FLUSH_FULL = 0,	/* the batch was full */
	AFM_FLUSH_CLOSE,	/* FIN or RST: ship at once so the close is seen promptly */
	AFM_FLUSH_SPAN,		/* the next packet is too far in time from the batch base */
	AFM_FLUSH_SWEEP,	/* user space's periodic sweep of waiting batches */
	AFM_FLUSH_COLLISION,	/* another flow hashed to the slot: its batch goes first */
	AFM_FLUSH_COUNT,
};

struct afm_event {
	struct afm_flow_key key;
	__u64 base;		/* ns (live) or replay sequence number of stamp 0 */
	__u32 n;		/* samples that follow */
	/* enum afm_flush. In a slot whose batch fills (--segments): the packets its
	 * super-frames stand for beyond their two samples, for the count of a lost batch. */
	__u32 reason;
	/* Each sample's wire length minus its IP octets (afm_ip_octets()): the link
	 * header, the VLAN tags and the padding, saturated at AFM_KS_OVERHEAD_MAX. */
	__u16 overhead[AFM_BATCH];
	struct afm_ksample s[AFM_BATCH];
};

#define AFM_KS_OVERHEAD_MAX 0xffff

_Static_assert(sizeof(struct afm_event) == 72 + 10 * AFM_BATCH, "event layout");

/*
 * A slot of the per-CPU flow table: the batch of the flow that hashed there last, laid
 * out as the event that ships it. Each CPU has its own table (no lock, no shared cache
 * line); user space puts the CPUs' streams back in time order.
 */
struct afm_kslot {
	struct afm_event ev;	/* ev.n == 0: the slot holds no packet */
};

/*
 * With the CIC schemas (cfg_detail), each sample has a detail beside it, in a second
 * per-CPU table of the same slots, and events carry the batch's details after the
 * whole sample array (struct afm_event_detailed, reason | AFM_EVENT_DETAILED). Without,
 * the details table has one entry and nothing of this is written or shipped.
 */
struct afm_kdetail {
	__u32 seq, ack;		/* TCP sequence and acknowledgement numbers */
	__u16 window;		/* TCP window; ICMP: type << 8 | code */
	__u16 headers;		/* afm_record.headers */
	__u8 l4_hlen;		/* afm_record.l4_hlen */
	__u8 pad[3];
};

struct afm_kdetails {
	struct afm_kdetail d[AFM_BATCH];
};

struct afm_event_detailed {
	struct afm_event ev;
	struct afm_kdetail d[AFM_BATCH];
};

#define AFM_EVENT_DETAILED 0x100u	/* in afm_event.reason */

_Static_assert(sizeof(struct afm_kdetail) == 16, "detail layout");

/*
 * A tunnelled flow's outer endpoints and identifiers (--tunnels decap), by endpoint of
 * its key: written by the program at the flow's first packet and at each endpoint's
 * first identifier, read by user space for each event of the flow (the key and the
 * samples have no room for them). An LRU table: the oldest go first when it is full.
 */
struct afm_ktunnel {
	__u8 outer[2][16];	/* the carrier's address on the side of key endpoint 0, 1 */
	__u32 id[2];		/* the innermost tunnel's identifier as endpoint 0, 1 sent it */
	__u8 outer_ver;		/* 4 or 6; 0: no carrier (MPLS on a link) */
	__u8 has_id;		/* bit e: id[e] was seen */
	__u8 pad[6];
};

_Static_assert(sizeof(struct afm_ktunnel) == 48, "tunnel layout");

#define AFM_TUNNEL_FLOWS 65536	/* tunnelled flows the table remembers */

/*
 * A tunnelled packet into its flow's tunnel (the kernel's table, the engine's flow):
 * the carrier's two sides at the flow's first packet (first), and the identifier each
 * endpoint sends at its first packet that carries one.
 */
static __always_inline void afm_tunnel_take(struct afm_ktunnel *t, const struct afm_record *rec, int first)
{
	__u32 e = rec->dir & 1, bit = (__u32)rec->tunnel_has_id << e;

	if (first) {
		__builtin_memcpy(t->outer[e], rec->outer[0], 16);	/* the sender's side */
		__builtin_memcpy(t->outer[e ^ 1], rec->outer[1], 16);
		t->outer_ver = rec->outer_ver;
	}
	if (bit & ~(__u32)t->has_id) {
		t->id[e] = rec->tunnel_id;
		t->has_id |= (__u8)bit;
	}
}

/* Per-CPU packet accounting; user space sums the CPUs. */
struct afm_kcounters {
	__u64 packets;				/* seen by a hook */
	__u64 bytes;
	__u64 skipped[AFM_VERDICT_COUNT];	/* by parser verdict; [0] unused */
	__u64 batched;				/* samples put into a batch */
	__u64 lost_ringbuf;			/* samples lost: ring buffer full */
	__u64 events[AFM_FLUSH_COUNT];		/* events sent, by reason */
	__u64 frag_matched, frag_unmatched;	/* later fragments */
	__u64 len_clamped;			/* wire length above 2^20 - 1 */
	__u64 overhead_clamped;			/* wire minus IP length above 65535 (afm_event) */
	/* --segments: super-frames split, the segments they made (counted in packets and
	 * bytes too), those whose gso_segs differs from the meter's count, and the packets
	 * of lost batches beyond their samples (lost_ringbuf counts samples) */
	__u64 superframes, segments, gso_segs_mismatch, lost_ringbuf_extra;
};

/* Replay (--via-xdp): what user space sets before each BPF_PROG_TEST_RUN. */
struct afm_replay {
	__u64 ts_ns;		/* the packet's capture time: the fragment clock */
	__u64 seq;		/* its sequence number: stamps in the samples */
	__u32 wire_len;		/* its original length */
	__s32 l3_delta;		/* its link header's length minus the Ethernet one it is given */
	__u32 ifindex;		/* its interface's id: the key's ifindex, as user space's (-r) */
};

/* The sweep (afm_sweep, run on each CPU): what user space sets before each run. */
struct afm_sweep_args {
	__u64 now;		/* ns, or replay sequence: the clock of the stamps */
	__u64 flush_after;	/* ship a batch whose first packet is at least this old */
};

#endif /* AFM_EVENT_H */
