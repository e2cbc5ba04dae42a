// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The kernel half of app-flow-meter.
 *
 * Every packet: parse (include/afm_parse.h, the same code user space runs), key it to
 * its bidirectional flow, and append an 8-byte sample to that flow's batch in this
 * CPU's flow table. A full batch, a FIN or RST, another flow taking the slot, or user
 * space's periodic sweep ships the batch to user space as one ring buffer event: one
 * ring buffer write per batch, not per packet. Each CPU has its own table, so nothing
 * is locked or shared between CPUs; user space merges the CPUs' streams by time.
 * Nothing is dropped silently: every packet is counted as batched, skipped (by reason)
 * or lost (ring buffer full) in per-CPU counters.
 *
 * Programs: afm_xdp or afm_xdp_compat (ingress, see xdp_meter()), afm_tc (egress; with
 * --segments, ingress too where XDP would be generic: user/live.c), afm_sweep (run by
 * user space on each CPU with BPF_PROG_TEST_RUN). --via-xdp runs the XDP program on the
 * packets of a capture.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/*
 * The parser reads the frame's start again between tunnel levels (afm_rebase()): from
 * the program's context, an XDP or a TC one (tc: a constant of each program).
 */
#define AFM_FRAME_SRC
struct afm_frame_src {
	void *ctx;
	int tc;
};

static __always_inline const void *afm_frame_start(const struct afm_frame_src *src, const void *data)
{
	(void)data;
	if (src->tc)
		return (const void *)(long)((struct __sk_buff *)src->ctx)->data;
	return (const void *)(long)((struct xdp_md *)src->ctx)->data;
}

struct afm_record;
static __always_inline int afm_inner_levels(const struct afm_frame_src *src, const void *data,
					    const void *data_end, struct afm_record *rec);

#include "afm_event.h"
#include "afm_key.h"
#include "afm_parse.h"

#define TC_ACT_UNSPEC (-1)	/* continue with the next program/default action */

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by user space before load. */
const volatile __u8 cfg_replay = 0;		/* 1: --via-xdp, time and length from `replay` */
const volatile __u32 cfg_slot_mask = AFM_FLOW_SLOTS - 1;	/* flow table slots per CPU, minus 1 */
const volatile __u64 cfg_wakeup_bytes = AFM_RINGBUF_BYTES / 4;	/* wake user space past this much data */
const volatile __u8 cfg_detail = 0;		/* 1: a CIC schema: the sweep ships details (see xdp_meter()) */
#ifndef AFM_CFG_TUNNELS
#define AFM_CFG_TUNNELS 1	/* make bench builds it with 0 too */
#endif
const volatile __u8 cfg_tunnels = AFM_CFG_TUNNELS;	/* 1: --tunnels decap (the verifier drops the code when 0) */
const volatile __u8 cfg_segments = 0;		/* 1: --segments: TC splits super-frames (afm_meter()) */

/* Set by user space before each replayed packet (--via-xdp). */
struct afm_replay replay;

/* Set by user space before each run of afm_sweep. */
struct afm_sweep_args sweep_args;

/*
 * Fragment clock: the largest time seen by a fragment (the capture clock in replay).
 * Every CPU updates it without an atomic: two fragments on two CPUs at once may leave
 * the smaller of their two times, which puts the clock back by the nanoseconds between
 * them; against the 30-second fragment timeout that is nothing, and a lock or a
 * compare-and-exchange loop per fragment is not worth it.
 */
__u64 frag_clock;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AFM_FLOW_SLOTS);	/* user space may size it before load */
	__type(key, __u32);
	__type(value, struct afm_kslot);
} flows SEC(".maps");

/* The batches' details (cfg_detail), slot by slot; one entry when unused. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AFM_FLOW_SLOTS);	/* user space sizes it before load */
	__type(key, __u32);
	__type(value, struct afm_kdetails);
} details SEC(".maps");

/* Tunnelled flows' outer endpoints and identifiers (afm_event.h); one entry with --tunnels outer. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AFM_TUNNEL_FLOWS);	/* user space sizes it before load */
	__type(key, struct afm_flow_key);
	__type(value, struct afm_ktunnel);
} tunnels SEC(".maps");

/* First fragments seen: later fragments take their flow key and direction. */
struct afm_kfrag {
	struct afm_flow_key key;
	__u64 created;		/* frag_clock when the first fragment came */
	__u8 dir;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AFM_FRAG_SLOTS);
	__type(key, struct afm_flow_key);	/* datagram identity: afm_frag_ident() */
	__type(value, struct afm_kfrag);
} frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, AFM_RINGBUF_BYTES);	/* user space may size it before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct afm_kcounters);
} counters SEC(".maps");

/*
 * Per-CPU room: the packet's record, and fragment bookkeeping. The record lives here,
 * not on the stack, because the verifier does not track what a map value holds: the
 * parser's many ways end in one state (on the stack each kept its own contents, and
 * the verifier walked everything after the parser once for each). No two programs run
 * on one CPU at once (a hook runs in a softirq, or with bottom halves off).
 */
struct afm_kscratch {
	struct afm_record rec;
	struct afm_kfrag frag;
	struct afm_flow_key ident;
	struct afm_ktunnel tun;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct afm_kscratch);
} scratch SEC(".maps");

/*
 * The tunnels inside a packet's first one (afm_parse_inner()): a function of its own
 * for each kind of context, global, so that the verifier checks it once whatever
 * state the packet's first frame left (and the first frame's many ways are not walked
 * again for every way through the tunnels). It parses into this CPU's record, which
 * the caller holds too. Untunnelled packets never call it.
 */
__noinline int afm_inner_xdp(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct afm_kscratch *sc = bpf_map_lookup_elem(&scratch, &zero);
	const struct afm_frame_src src = { ctx, 0 };

	if (!ctx || !sc)
		return AFM_SKIP_TUNNEL;
	return afm_parse_inner((void *)(long)ctx->data, (void *)(long)ctx->data_end, &sc->rec, &src);
}

__noinline int afm_inner_tc(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct afm_kscratch *sc = bpf_map_lookup_elem(&scratch, &zero);
	const struct afm_frame_src src = { skb, 1 };

	if (!skb || !sc)
		return AFM_SKIP_TUNNEL;
	return afm_parse_inner((void *)(long)skb->data, (void *)(long)skb->data_end, &sc->rec, &src);
}

static __always_inline int afm_inner_levels(const struct afm_frame_src *src, const void *data,
					    const void *data_end, struct afm_record *rec)
{
	(void)data, (void)data_end, (void)rec;	/* the callee reads them again */
	return src->tc ? afm_inner_tc(src->ctx) : afm_inner_xdp(src->ctx);
}

#define EVENT_HEADER ((__u64)sizeof(struct afm_event) - sizeof(((struct afm_event *)0)->s))

/*
 * make bench builds this program again with AFM_BENCH_STOP set, to cost each step of a
 * packet's way (bench/bpf_bench.c): 1, stop after the parse; 2, after the counters and
 * the flow's slot index (the key's hash); 3, after the slot's lookup. Unset: the meter.
 */
#ifndef AFM_BENCH_STOP
#define AFM_BENCH_STOP 0
#endif

/* Index of a key's slot. Any spread will do: a collision only ships a batch early. */
static __always_inline __u32 slot_of(const struct afm_flow_key *k)
{
	const __u64 *w = (const __u64 *)(const void *)k;
	__u64 h = w[0] * 0x9e3779b97f4a7c15ULL + w[1] * 0xc2b2ae3d27d4eb4fULL +
		  w[2] * 0x165667b19e3779f9ULL + w[3] * 0xd6e8feb86659fd93ULL +
		  w[4] * 0xff51afd7ed558ccdULL + w[5] * 0xc4ceb9fe1a85ec53ULL +
		  w[6] * 0x94d049bb133111ebULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (__u32)(h >> 32) & cfg_slot_mask;
}

/* A detailed event: the slot's batch and the details of slot idx, copied into a reservation. */
static __always_inline long ship_detailed(struct afm_kslot *slot, __u32 idx, __u64 flags)
{
	const struct afm_kdetails *d = bpf_map_lookup_elem(&details, &idx);
	struct afm_event_detailed *ev;

	if (!d || !(ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0)))
		return -1;
	__builtin_memcpy(&ev->ev, &slot->ev, sizeof(ev->ev));
	__builtin_memcpy(ev->d, d->d, sizeof(ev->d));
	ev->ev.reason |= AFM_EVENT_DETAILED;
	bpf_ringbuf_submit(ev, flags);
	return 0;
}

/* Ship the slot's batch (idx: its index, for its details) as one event and empty it. */
static __always_inline void ship(struct afm_kslot *slot, __u32 idx, __u32 reason, struct afm_kcounters *c,
				 const int detail)
{
	__u32 n = slot->ev.n;
	/* --segments: the packets the batch's super-frames add to its samples */
	__u32 extra = cfg_segments ? slot->ev.reason : 0;
	long err;

	if (n > AFM_BATCH)
		n = AFM_BATCH;
	slot->ev.reason = reason;
	/* User space reads the ring every 50 ms anyway: wake it only when data piles up. */
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										     : BPF_RB_NO_WAKEUP;

	if (detail)
		err = ship_detailed(slot, idx, flags);
	else
		err = bpf_ringbuf_output(&events, &slot->ev, EVENT_HEADER + n * sizeof(struct afm_ksample), flags);
	if (err == 0) {
		c->events[reason < AFM_FLUSH_COUNT ? reason : 0]++;
	} else {
		c->lost_ringbuf += n;
		c->lost_ringbuf_extra += extra;
	}
	slot->ev.n = 0;
}

/*
 * Fragments (docs/METERING.md, 1): remember a first fragment's key; give a later one
 * the key and direction of its first fragment if that came at most 30 s earlier.
 */
static __always_inline void frag_resolve(struct afm_kscratch *sc, __u64 clock, struct afm_kcounters *c)
{
	struct afm_record *rec = &sc->rec;
	struct afm_flow_key *id = &sc->ident;

	if (clock > frag_clock)
		frag_clock = clock;
	clock = frag_clock;
	afm_frag_ident(rec, id);
	if (rec->frag == AFM_FRAG_FIRST) {
		struct afm_kfrag *x = &sc->frag;

		__builtin_memset(x, 0, sizeof(*x));
		x->key = rec->key;
		x->created = clock;
		x->dir = rec->dir;
		bpf_map_update_elem(&frags, id, x, BPF_ANY);
		return;
	}
	struct afm_kfrag *x = bpf_map_lookup_elem(&frags, id);

	if (x && x->created + AFM_FRAG_TIMEOUT_NS >= clock) {
		rec->key = x->key;
		rec->dir = x->dir;
		c->frag_matched++;
	} else {
		c->frag_unmatched++;
	}
}

/*
 * A tunnelled packet: its flow's outer endpoints, at its first packet, and the
 * identifier each endpoint sends, at the first packet that carries it.
 */
static __always_inline void tunnel_note(struct afm_kscratch *sc)
{
	const struct afm_record *rec = &sc->rec;
	struct afm_ktunnel *t = bpf_map_lookup_elem(&tunnels, &rec->key);

	if (t) {
		afm_tunnel_take(t, rec, 0);
		return;
	}
	t = &sc->tun;
	__builtin_memset(t, 0, sizeof(*t));
	afm_tunnel_take(t, rec, 1);
	bpf_map_update_elem(&tunnels, &rec->key, t, BPF_NOEXIST);
}

/*
 * Count one packet and, when it parsed, meter it. stamp: time for the batch (ns, or
 * replay sequence); clock: time for the fragment rule (ns, or capture time); gso_size
 * and gso_segs: the skb's (TC), 0 from XDP.
 */
static __always_inline int afm_meter(struct afm_kscratch *sc, __u64 verdict, __u64 len, __u64 stamp,
				     __u64 clock, __u32 gso_size, __u32 gso_segs, const int detail)
{
	__u32 zero = 0;
	struct afm_kcounters *c = bpf_map_lookup_elem(&counters, &zero);
	struct afm_record *rec = &sc->rec;

	if (!c)
		return 0;
	c->packets++;
	c->bytes += len;
	if (verdict != AFM_OK) {
		if (verdict < AFM_VERDICT_COUNT)
			c->skipped[verdict]++;
		return 0;
	}
	if (rec->frag != AFM_FRAG_NONE)
		frag_resolve(sc, clock, c);
	afm_record_wire(rec, len);	/* the innermost frame's length */
	len = rec->wire_len;

	/*
	 * Lengths above the sample's 20 bits are clamped, and counted: without a branch on
	 * len, so that the verifier never needs its range, and the two ways the XDP
	 * program finds it (xdp_meter()) meet as one state before the parser.
	 */
	__u64 over = afm_nonzero((__u32)(len >> AFM_KS_LEN_BITS)), keep = over - 1;

	/* What is not IP in the frame (user space gets the IP octets back from it). */
	__u64 overhead = len - afm_ip_octets(rec);
	__u64 big = afm_nonzero((__u32)(overhead >> 16)), fits = big - 1;

	overhead = (overhead & fits) | (AFM_KS_OVERHEAD_MAX & ~fits);
	c->overhead_clamped += big;
	len = (len & keep) | (AFM_KS_LEN_MASK & ~keep);
	c->len_clamped += over;
	__u32 info = (__u32)len | (rec->dir ? AFM_KS_DIR : 0) |
		     (rec->http_status >= 200 && rec->http_status <= 299 ? AFM_KS_HTTP_2XX : 0) |
		     ((__u32)rec->tcp_flags << AFM_KS_FLAGS_SHIFT) | (rec->payload ? AFM_KS_PAYLOAD : 0);
	/*
	 * --segments: a GSO/GRO super-frame of TCP or UDP is the segments the wire carries
	 * (docs/METERING.md): counted as them here, one sample marked AFM_KS_SEGMENTS and
	 * an extension sample in the batch (afm_event.h), which user space expands. The
	 * count is the meter's own, from the payload and gso_size: gso_segs may be 0 or
	 * stale for a peer's (SKB_GSO_DODGY) packets, and is only checked against it.
	 */
	__u32 segs = 0, hdr = rec->payload_off - rec->frame_off;	/* the innermost frame's */

	gso_size &= 0xffff;
	if (cfg_segments && gso_size && !over && rec->frag == AFM_FRAG_NONE && len > hdr &&
	    (rec->key.proto == AFM_IPPROTO_TCP || rec->key.proto == AFM_IPPROTO_UDP)) {
		segs = ((__u32)len - hdr + gso_size - 1) / gso_size;
		if (segs < 2 || segs > 0xffff)
			segs = 0;	/* one segment: a packet as any other */
	}
	if (segs) {
		info |= AFM_KS_SEGMENTS;
		c->superframes++;
		c->segments += segs;
		c->packets += segs - 1;
		c->bytes += (__u64)(segs - 1) * rec->payload_off;	/* every segment repeats them all */
		c->gso_segs_mismatch += gso_segs != segs;
	}
	__u32 idx = slot_of(&rec->key);

	if (AFM_BENCH_STOP == 2) {
		c->batched += (idx ^ info ^ overhead) & 1;	/* keep what was computed */
		return 0;
	}
	struct afm_kslot *slot = bpf_map_lookup_elem(&flows, &idx);

	if (!slot)
		return 0;
	if (AFM_BENCH_STOP == 3) {
		c->batched += slot->ev.n & 1;
		return 0;
	}
	if (slot->ev.n) {
		if (!afm_key_equal(&slot->ev.key, &rec->key))
			ship(slot, idx, AFM_FLUSH_COLLISION, c, detail);	/* another flow's batch goes first */
		else if (stamp < slot->ev.base || stamp - slot->ev.base > 0xffffffffULL)
			ship(slot, idx, AFM_FLUSH_SPAN, c, detail);		/* a stamp the batch cannot hold */
		else if (segs && slot->ev.n >= AFM_BATCH - 1)
			ship(slot, idx, AFM_FLUSH_FULL, c, detail);		/* no room for a super-frame's two */
	}
	__u32 n = slot->ev.n;

	if (n == 0) {
		slot->ev.key = rec->key;
		slot->ev.base = stamp;
		if (cfg_segments)
			slot->ev.reason = 0;	/* the packets beyond the samples, so far */
	}
	if (segs && n < AFM_BATCH - 1) {	/* the extension, after the super-frame's sample */
		slot->ev.s[n + 1].stamp = segs | gso_size << 16;
		slot->ev.s[n + 1].info = hdr & 0xffff;
		slot->ev.overhead[n + 1] = 0;
		slot->ev.reason += segs - 2;
		c->batched++;
	}
	if (n < AFM_BATCH) {
		slot->ev.s[n].stamp = (__u32)(stamp - slot->ev.base);
		slot->ev.s[n].info = info;
		slot->ev.overhead[n] = (__u16)overhead;
		struct afm_kdetails *d = detail ? bpf_map_lookup_elem(&details, &idx) : NULL;

		if (d) {
			struct afm_kdetail *x = &d->d[n];

			x->seq = rec->tcp_seq;
			x->ack = rec->tcp_ack;
			x->window = afm_l4_word(rec, rec->key.proto);
			x->headers = rec->headers;
			x->l4_hlen = rec->l4_hlen;
		}
		n += segs && n < AFM_BATCH - 1 ? 2 : 1;
		slot->ev.n = n;
	}
	/* before the batch can ship: user space reads the table for the event (late in the
	 * program: the verifier walks what follows a branch twice) */
	if (cfg_tunnels && rec->key.tunnel[0])
		tunnel_note(sc);
	c->batched++;
	if (n >= AFM_BATCH)
		ship(slot, idx, AFM_FLUSH_FULL, c, detail);
	else if (rec->tcp_flags & (AFM_TCP_FIN | AFM_TCP_RST))
		ship(slot, idx, AFM_FLUSH_CLOSE, c, detail);
	return 0;
}

/*
 * l3_delta: a replayed frame's own link header length minus the Ethernet one it was
 * given (0 live). detail: a constant of each program, so that the programs without
 * details (no CIC schema) have none of their code (a branch on a value would leave
 * some: clang computes ahead of it).
 */
static __always_inline void meter(const struct afm_frame_src *src, void *data, void *data_end, __u32 ifindex,
				  __u64 len, __u64 stamp, __u64 clock, __s32 l3_delta, __u32 gso_size, __u32 gso_segs,
				  const int detail)
{
	__u32 zero = 0;
	struct afm_kscratch *sc = bpf_map_lookup_elem(&scratch, &zero);

	if (!sc)
		return;
	struct afm_record *rec = &sc->rec;
	int v = afm_parse(data, data_end, AFM_LINK_ETHERNET, rec, detail, cfg_tunnels, src);

	if (AFM_BENCH_STOP == 1) {
		rec->l3_off += (__u8)v;	/* the parse's result is used */
		return;
	}
	rec->key.ifindex = ifindex;	/* each interface meters its own flows */
	/*
	 * A replayed frame's own link header (--via-xdp: the frame was given an Ethernet
	 * one) is before the innermost frame, or is its own; and the innermost frame's
	 * start limit counts it (docs/METERING.md, 1.1). Live, nothing of this is loaded.
	 */
	if (cfg_replay) {
		__u32 tunnelled = afm_nonzero(rec->frame_off);
		__u32 frame_off = rec->frame_off + tunnelled * (__u32)l3_delta;

		rec->frame_off = (__u16)frame_off;
		rec->l3_off += (__u8)((1 - tunnelled) * (__u32)l3_delta);
		if (v == AFM_OK && frame_off > AFM_TUNNEL_OFF_MAX)
			v = AFM_SKIP_TUNNEL;
	}
	afm_meter(sc, (__u64)v, len, stamp, clock, gso_size, gso_segs, detail);
}

/*
 * The XDP program, frags-aware: multi-buffer frames (jumbo MTUs, LRO/GRO on capable
 * drivers) are accepted; the headers are in the first buffer, the length counts every
 * buffer. That length is bpf_xdp_get_buff_len(), a helper call (5 ns here, a sixth of
 * the program); with fast set, the program reads the frame's frags flag through
 * bpf_cast_to_kern_ctx() (Linux 6.2, inlined by the verifier) and calls the helper only
 * for a multi-buffer frame. Two programs: afm_xdp (fast) and afm_xdp_compat, for
 * kernels without the kfunc; user space loads one (user/kmeter.c). The kfunc is weak so
 * that the object still opens where the kernel lacks it.
 */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

/*
 * The kernel's struct xdp_buff and its frags flag, as far as the program reads them:
 * CO-RE views, relocated against the running kernel's BTF at load, so that the program
 * uses no kernel-internal type of vmlinux.h (only UAPI ones) and an object built on one
 * kernel loads on another.
 */
struct xdp_buff___afm {
	__u32 flags;
} __attribute__((preserve_access_index));

enum xdp_buff_flags___afm {
	XDP_FLAGS_HAS_FRAGS___afm = 1,
};

static __always_inline int xdp_meter(struct xdp_md *ctx, const int fast, const int detail)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct afm_frame_src src = { ctx, 0 };

	if (cfg_replay) {
		meter(&src, data, data_end, replay.ifindex, replay.wire_len, replay.seq, replay.ts_ns, replay.l3_delta, 0,
		      0, detail);
		return XDP_PASS;
	}
	__u64 now = bpf_ktime_get_ns(), len;

	if (fast && !(((struct xdp_buff___afm *)bpf_cast_to_kern_ctx(ctx))->flags &
		      bpf_core_enum_value(enum xdp_buff_flags___afm, XDP_FLAGS_HAS_FRAGS___afm)))
		len = (__u64)(data_end - data);
	else
		len = bpf_xdp_get_buff_len(ctx);
	meter(&src, data, data_end, ctx->ingress_ifindex, len, now, now, 0, 0, 0, detail);
	return XDP_PASS;
}

/* Each program twice: without details, and with them (*_detail: the CIC schemas). */
SEC("xdp.frags")
int afm_xdp(struct xdp_md *ctx)
{
	return xdp_meter(ctx, 1, 0);
}

SEC("xdp.frags")
int afm_xdp_compat(struct xdp_md *ctx)
{
	return xdp_meter(ctx, 0, 0);
}

SEC("xdp.frags")
int afm_xdp_detail(struct xdp_md *ctx)
{
	return xdp_meter(ctx, 1, 1);
}

SEC("xdp.frags")
int afm_xdp_compat_detail(struct xdp_md *ctx)
{
	return xdp_meter(ctx, 0, 1);
}

static __always_inline int tc_meter(struct __sk_buff *skb, const int detail)
{
	__u32 len = skb->len;
	/* min(len, 256), without a branch on len: its two ways would each walk the parser
	 * through the verifier (len is precise: it sizes a pointer's step). */
	__u32 big = afm_nonzero(len >> 8);
	__u32 want = ((len & (big - 1)) | (256 & (0 - big))) & 0x1ff;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	/* Headers of a non-linear skb may not all be in the linear part: pull them. */
	if (data + want > data_end)
		bpf_skb_pull_data(skb, want);
	/*
	 * Both ways read the packet pointers again here (the barrier keeps clang from
	 * reusing what it loaded, and from reusing ctx offsets across the call, which the
	 * verifier rejects): they then meet as one state before the parser, which the
	 * verifier walks once.
	 */
	__asm__ volatile("" ::: "memory");
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	__u64 now = bpf_ktime_get_ns();
	const struct afm_frame_src src = { skb, 1 };

	meter(&src, data, data_end, skb->ifindex, len, now, now, 0, skb->gso_size, skb->gso_segs, detail);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int afm_tc(struct __sk_buff *skb)
{
	return tc_meter(skb, 0);
}

SEC("tc")
int afm_tc_detail(struct __sk_buff *skb)
{
	return tc_meter(skb, 1);
}

struct sweep_ctx {
	struct afm_kcounters *c;
};

/*
 * Ship one waiting batch. A hook of this CPU may run between the copy and the emptying
 * (a test run keeps bottom halves off only from Linux 6.11 on). So the copy goes into
 * a reservation that is submitted only if the batch is still the one copied
 * (compare-and-exchange on its count), else discarded: the hook then owns the batch,
 * and the next sweep ships it.
 */
static long sweep_one(void *map, __u32 *idx, struct afm_kslot *slot, struct sweep_ctx *sc)
{
	__u32 n = slot->ev.n;
	__u32 extra = cfg_segments ? slot->ev.reason : 0;	/* before a hook may start a batch */
	struct afm_kdetails *d = NULL;
	struct afm_event_detailed *ev;

	(void)map;
	if (!n || n > AFM_BATCH || sweep_args.now - slot->ev.base < sweep_args.flush_after)
		return 0;
	if (cfg_detail) {
		d = bpf_map_lookup_elem(&details, idx);
		if (!d)
			return 0;
	}
	/* the whole detailed layout either way: a reservation's size is a constant */
	ev = bpf_ringbuf_reserve(&events, cfg_detail ? sizeof(*ev) : sizeof(ev->ev), 0);
	if (!ev) {	/* the ring is full: the batch is lost, and counted */
		if (__sync_val_compare_and_swap(&slot->ev.n, n, 0) == n) {
			sc->c->lost_ringbuf += n;
			sc->c->lost_ringbuf_extra += extra;
		}
		return 0;
	}
	__builtin_memcpy(&ev->ev, &slot->ev, sizeof(ev->ev));
	ev->ev.n = n;
	ev->ev.reason = AFM_FLUSH_SWEEP;
	if (d) {	/* cfg_detail */
		__builtin_memcpy(ev->d, d->d, sizeof(ev->d));
		ev->ev.reason |= AFM_EVENT_DETAILED;
	}
	if (__sync_val_compare_and_swap(&slot->ev.n, n, 0) == n) {
		bpf_ringbuf_submit(ev, 0);
		sc->c->events[AFM_FLUSH_SWEEP]++;
	} else {
		bpf_ringbuf_discard(ev, 0);
	}
	return 0;
}

/*
 * Ship this CPU's batches that waited at least flush_after. User space runs it on each
 * CPU in turn (a test run uses the table of the CPU it runs on); sweep_one() copes
 * with a hook of this CPU running meanwhile.
 */
SEC("xdp")
int afm_sweep(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct sweep_ctx sc = { .c = bpf_map_lookup_elem(&counters, &zero) };

	(void)ctx;
	if (!sc.c)
		return XDP_ABORTED;
	bpf_for_each_map_elem(&flows, sweep_one, &sc, 0);
	return XDP_PASS;
}
