/* SPDX-License-Identifier: MIT */
/*
 * The flow engine: packet records in, ended flows out. It knows nothing of where
 * records come from (a capture file or the kernel) nor of what is done with ended
 * flows (statistics, CSV): those are the caller's. Rules: docs/METERING.md, 2 and 3.
 */
#ifndef AFM_ENGINE_H
#define AFM_ENGINE_H

#include <stdint.h>

#include "afm_record.h"
#include "flow/deadline_heap.h"
#include "flow/flow.h"
#include "flow/keymap.h"

struct afm_engine_config {
	uint64_t idle_ns;	/* --idle-timeout */
	uint64_t dns_idle_ns;	/* idle timeout of DNS (UDP/53) flows */
	uint64_t active_ns;	/* --active-timeout */
	uint64_t linger_ns;	/* --close-linger */
	uint64_t max_flows;	/* --max-flows: open flows at most (0: no limit) */
	int detail;		/* a CIC schema: samples keep their details, connections are chained */
};

/* Receives each ended flow, and owns it from then on (afm_flow_free). */
typedef void (*afm_flow_sink)(void *ctx, struct afm_flow *flow);

struct afm_frag_entry;
struct afm_chain_entry;

struct afm_engine {
	struct afm_engine_config cfg;
	struct afm_keymap flows;
	struct afm_heap deadlines;	/* by deadline (a lower bound of it: see expire()) */
	struct afm_heap activity;	/* by last packet time (a lower bound), for eviction */
	struct afm_flow *oldest, *newest;	/* open flows in creation order */
	struct afm_keymap frags;		/* first fragments seen, by datagram identity */
	struct afm_frag_entry *frag_oldest, *frag_newest;
	struct afm_keymap chains;		/* detail: flows ended by the active timeout, by key */
	struct afm_chain_entry *chain_oldest, *chain_newest;
	uint64_t clock;				/* largest timestamp seen */
	uint64_t next_seq;
	afm_flow_sink sink;
	void *sink_ctx;
	uint64_t frag_later_matched, frag_later_unmatched;
	uint64_t evicted;		/* flows ended by --max-flows */
	uint64_t open_max;		/* the most flows open at once */
	/* sample storage of the flows ended so far: bytes allocated, samples held */
	uint64_t sample_bytes, samples;
};

int afm_engine_init(struct afm_engine *e, const struct afm_engine_config *cfg, afm_flow_sink sink,
		    void *sink_ctx);
/* Take one packet. Returns 0, or -ENOMEM (the packet is then not metered). */
int afm_engine_packet(struct afm_engine *e, const struct afm_record *rec);
/* Take n packets in order, prefetching their flows first; returns how many were
 * metered and adds the others (no memory) to *lost. */
#define AFM_ENGINE_BATCH 32
int afm_engine_packets(struct afm_engine *e, const struct afm_record *recs, size_t n, uint64_t *lost);
/* Let time pass without packets (live), ending flows whose deadline is < now. */
void afm_engine_advance(struct afm_engine *e, uint64_t now_ns);
/* End every open flow, oldest first, with the given reason (AFM_END_EOF, _SHUTDOWN). */
void afm_engine_flush(struct afm_engine *e, int reason);
/* End, oldest first, the open flows seen on an interface (it went away); returns how many. */
uint64_t afm_engine_end_interface(struct afm_engine *e, uint32_t ifindex, int reason);
uint64_t afm_engine_open_flows(const struct afm_engine *e);
void afm_engine_free(struct afm_engine *e);

#endif
