// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The kernel half of app-flow-meter.
 *
 * Every packet: parse (include/afm_parse.h, the same code user space runs), key it to
 * its bidirectional flow, and append an 8-byte sample to that flow's batch in the flow
 * map. A full batch, a FIN or RST, or user space's periodic sweep ships the batch to
 * user space as one ring buffer event: one reserve/commit per batch, not per packet.
 * Nothing is dropped silently: every packet is counted as batched, skipped (by
 * reason) or lost (by reason) in per-CPU counters.
 *
 * Programs: afm_xdp (ingress), afm_tc (egress), afm_sweep (run by user space with
 * BPF_PROG_TEST_RUN). --via-xdp runs afm_xdp on the packets of a capture.
 */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "afm_event.h"
#include "afm_parse.h"

#define TC_ACT_UNSPEC (-1)	/* continue with the next program/default action */

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by user space before load. */
const volatile __u8 cfg_replay = 0;	/* 1: --via-xdp, time and length from `replay` */

/* Set by user space before each replayed packet (--via-xdp). */
struct afm_replay replay;

/* Set by user space before each run of afm_sweep. */
struct afm_sweep_args sweep_args;

/* Fragment clock: the largest time seen by a fragment (the capture clock in replay). */
__u64 frag_clock;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);	/* user space sizes it before load */
	__type(key, struct afm_flow_key);
	__type(value, struct afm_kflow);
} flows SEC(".maps");

/* First fragments seen: later fragments take their flow key and direction. */
struct afm_kfrag {
	struct afm_flow_key key;
	__u64 created;		/* frag_clock when the first fragment came */
	__u8 dir;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct afm_flow_key);	/* datagram identity, see frag_ident() */
	__type(value, struct afm_kfrag);
} frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);	/* user space sizes it before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct afm_kcounters);
} counters SEC(".maps");

/* Per-CPU room to assemble an event and fragment entries (the stack has 512 bytes). */
struct afm_kscratch {
	struct afm_event ev;
	struct afm_kfrag frag;
	struct afm_flow_key ident;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct afm_kscratch);
} scratch SEC(".maps");

/* One all-zero flow entry, the initial value of new entries (too big for the stack);
 * plain bytes, because a value holding a bpf_spin_lock cannot be passed to a helper. */
struct afm_kflow_bytes {
	__u8 b[sizeof(struct afm_kflow)];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct afm_kflow_bytes);
} zero_flow SEC(".maps");

#define EVENT_HEADER ((__u64)sizeof(struct afm_event) - sizeof(((struct afm_event *)0)->s))

static __always_inline void send(struct afm_event *ev, struct afm_kcounters *c)
{
	__u32 n = ev->n;

	if (n > AFM_BATCH)
		n = AFM_BATCH;
	if (bpf_ringbuf_output(&events, ev, EVENT_HEADER + n * sizeof(struct afm_ksample), 0) == 0) {
		if (ev->reason < AFM_FLUSH_COUNT)
			c->events[ev->reason]++;
	} else {
		c->lost_ringbuf += n;
	}
}

/* Copy the waiting batch of f into ev and empty it. Called with f's lock held. */
static __always_inline void take_batch(struct afm_kflow *f, struct afm_event *ev, __u32 reason)
{
	ev->base = f->base;
	ev->n = f->n;
	ev->reason = reason;
	for (int i = 0; i < AFM_BATCH; i++)
		ev->s[i] = f->s[i];
	f->n = 0;
}

/* A packet that has no flow entry to join goes out alone. */
static __always_inline void send_single(struct afm_event *ev, const struct afm_flow_key *key, __u64 stamp,
					__u32 info, struct afm_kcounters *c)
{
	ev->key = *key;
	ev->base = stamp;
	ev->n = 1;
	ev->reason = AFM_FLUSH_SINGLE;
	ev->s[0].stamp = 0;
	ev->s[0].info = info;
	send(ev, c);
}

static __always_inline void frag_ident(const struct afm_record *rec, struct afm_flow_key *id)
{
	__builtin_memset(id, 0, sizeof(*id));
	__builtin_memcpy(id->addr[0], rec->key.addr[rec->dir & 1], 16);
	__builtin_memcpy(id->addr[1], rec->key.addr[!(rec->dir & 1)], 16);
	id->vlan[0] = rec->key.vlan[0];
	id->vlan[1] = rec->key.vlan[1];
	id->port[0] = (__u16)(rec->frag_id >> 16);
	id->port[1] = (__u16)rec->frag_id;
	id->proto = rec->key.proto;
	id->ip_version = rec->key.ip_version;
	id->flags = 0x80;
}

/*
 * Fragments (docs/METERING.md, 1): remember a first fragment's key; give a later one
 * the key and direction of its first fragment if that came at most 30 s earlier.
 */
static __always_inline void frag_resolve(struct afm_record *rec, __u64 clock, struct afm_kscratch *sc,
					 struct afm_kcounters *c)
{
	struct afm_flow_key *id = &sc->ident;

	if (clock > frag_clock)
		frag_clock = clock;
	clock = frag_clock;
	frag_ident(rec, id);
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
 * Meter one parsed packet. stamp: time for the batch (ns, or replay sequence); clock:
 * time for the fragment rule (ns, or capture time).
 *
 * A global function: the verifier checks it once, whatever path the parser took,
 * instead of once for every combination of headers.
 */
__noinline int afm_meter_record(struct afm_record *rec, __u64 len, __u64 stamp, __u64 clock)
{
	__u32 zero = 0;
	struct afm_kcounters *c = bpf_map_lookup_elem(&counters, &zero);
	struct afm_kscratch *sc = bpf_map_lookup_elem(&scratch, &zero);

	if (!rec || !c || !sc)
		return 0;

	struct afm_event *ev = &sc->ev;

	if (rec->frag != AFM_FRAG_NONE)
		frag_resolve(rec, clock, sc, c);

	if (len > AFM_KS_LEN_MASK) {
		len = AFM_KS_LEN_MASK;
		c->len_clamped++;
	}
	__u32 info = (__u32)len | (rec->dir ? AFM_KS_DIR : 0) |
		     (rec->http_status >= 200 && rec->http_status <= 299 ? AFM_KS_HTTP_2XX : 0) |
		     ((__u32)rec->tcp_flags << AFM_KS_FLAGS_SHIFT);

	struct afm_kflow *f = bpf_map_lookup_elem(&flows, &rec->key);

	if (!f) {
		struct afm_kflow_bytes *z = bpf_map_lookup_elem(&zero_flow, &zero);

		if (z)
			bpf_map_update_elem(&flows, &rec->key, z, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&flows, &rec->key);
		if (!f) {	/* the map is full: the packet goes out alone */
			c->batched++;
			send_single(ev, &rec->key, stamp, info, c);
			return 0;
		}
	}

	int ship = 0, dead = 0;

	bpf_spin_lock(&f->lock);
	if (f->dead) {
		dead = 1;
	} else {
		/* A stamp the batch cannot hold (too far on, or earlier): ship the batch first. */
		if (f->n && (stamp < f->base || stamp - f->base > 0xffffffffULL)) {
			take_batch(f, ev, AFM_FLUSH_SPAN);
			ship = 1;
		}
		__u32 n = f->n;

		if (n == 0)
			f->base = stamp;
		if (n < AFM_BATCH) {
			f->s[n].stamp = (__u32)(stamp - f->base);
			f->s[n].info = info;
			f->n = ++n;
		}
		f->last = stamp;
		if (!ship && (n >= AFM_BATCH || (rec->tcp_flags & (AFM_TCP_FIN | AFM_TCP_RST)))) {
			take_batch(f, ev, n >= AFM_BATCH ? AFM_FLUSH_FULL : AFM_FLUSH_CLOSE);
			ship = 1;
		}
	}
	bpf_spin_unlock(&f->lock);

	c->batched++;
	if (dead) {
		send_single(ev, &rec->key, stamp, info, c);
		return 0;
	}
	if (ship) {
		ev->key = rec->key;
		send(ev, c);
	}
	return 0;
}

/* Count a skipped packet; also a global function, for the same reason. */
__noinline int afm_count(__u64 verdict, __u64 len)
{
	__u32 zero = 0;
	struct afm_kcounters *c = bpf_map_lookup_elem(&counters, &zero);

	if (!c)
		return 0;
	c->packets++;
	c->bytes += len;
	if (verdict > 0 && verdict < AFM_VERDICT_COUNT)
		c->skipped[verdict]++;
	return 0;
}

static __always_inline void meter(void *data, void *data_end, __u64 len, __u64 stamp, __u64 clock)
{
	struct afm_record rec;
	int v = afm_parse(data, data_end, AFM_LINK_ETHERNET, &rec);

	afm_count(v, len);
	if (v == AFM_OK)
		afm_meter_record(&rec, len, stamp, clock);
}

SEC("xdp")
int afm_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (cfg_replay)
		meter(data, data_end, replay.wire_len, replay.seq, replay.ts_ns);
	else {
		__u64 now = bpf_ktime_get_ns();

		meter(data, data_end, (__u64)(data_end - data), now, now);
	}
	return XDP_PASS;
}

SEC("tc")
int afm_tc(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	__u32 want = len < 256 ? len : 256;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	/* Headers of a non-linear skb may not all be in the linear part: pull them. */
	if (data + want > data_end) {
		bpf_skb_pull_data(skb, want);
		/* keep clang from reusing ctx offsets across the call (the verifier
		 * rejects a modified ctx pointer) */
		__asm__ volatile("" ::: "memory");
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	__u64 now = bpf_ktime_get_ns();

	meter(data, data_end, len, now, now);
	return TC_ACT_UNSPEC;
}

struct sweep_ctx {
	struct afm_kcounters *c;
	struct afm_event *ev;
};

static long sweep_one(void *map, struct afm_flow_key *key, struct afm_kflow *f, struct sweep_ctx *sc)
{
	struct afm_event *ev = sc->ev;
	__u64 now = sweep_args.now;
	int ship = 0, remove = 0;

	bpf_spin_lock(&f->lock);
	if (f->n && now - f->base >= sweep_args.flush_after) {
		take_batch(f, ev, AFM_FLUSH_SWEEP);
		ship = 1;
	} else if (!f->n && !f->dead && now - f->last >= sweep_args.remove_after) {
		f->dead = 1;	/* a packet that still finds this entry goes out alone */
		remove = 1;
	}
	bpf_spin_unlock(&f->lock);

	if (ship) {
		ev->key = *key;
		send(ev, sc->c);
	}
	if (remove)
		bpf_map_delete_elem(map, key);
	return 0;
}

/* Ship the batches waiting longer than flush_after; remove idle empty entries. */
SEC("xdp")
int afm_sweep(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct afm_kscratch *s = bpf_map_lookup_elem(&scratch, &zero);
	struct sweep_ctx sc = { .c = bpf_map_lookup_elem(&counters, &zero) };

	(void)ctx;
	if (!sc.c || !s)
		return XDP_ABORTED;
	sc.ev = &s->ev;
	bpf_for_each_map_elem(&flows, sweep_one, &sc, 0);
	return XDP_PASS;
}
