/* SPDX-License-Identifier: MIT */
/* The CIC schemas' values of an ended flow (docs/CIC.md), from its detailed samples. */
#ifndef AFM_CIC_H
#define AFM_CIC_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "output/text.h"

/* docs/CIC.md: the activity timeout's default, and the bulk and subflow gap. */
#define AFM_CIC_ACTIVITY_NS (5ULL * 1000000000ULL)
#define AFM_CIC_GAP_NS 1000000000LL
#define AFM_CIC_BULK_PACKETS 4

/* Sample statistics of one set of values (docs/CIC.md, "Terms"): all 0 when empty. */
struct afm_cic_stats {
	double mean, std, var;
	struct afm_dec max, min, total;	/* exact: in the column's unit (bytes, or us from ns) */
};

/* One direction: [0] forward (src to dst), [1] backward. */
struct afm_cic_dir {
	uint64_t packets, bytes, header_bytes, act_data, seg_min, init_win, retrans;
	double packets_rate, segment_avg;
	struct afm_cic_stats len, iat;
	double bulk_bytes, bulk_packets, bulk_rate;
	double subflow_packets, subflow_bytes;
};

struct afm_cic_row {
	char flow_id[2 * AFM_ADDR_TEXT + 32];
	const char *flow_id_text;	/* flow_id: a text column points here */
	char timestamp[40];
	uint64_t protocol;
	struct afm_dec duration;	/* us */
	struct afm_cic_dir dir[2];
	struct afm_cic_stats len, iat, active, idle;
	double bytes_rate, packets_rate, down_up, avg_size;
	uint64_t flags[8];		/* packets with that TCP flag bit, both directions */
	uint64_t icmp_code, icmp_type, retrans;
	struct afm_dec connection_time;	/* us */
};

/* Scratch for the retransmission set, kept from flow to flow. */
struct afm_cic_scratch {
	uint64_t (*set)[2];
	size_t cap;
};

/*
 * The CIC values of a detailed flow; src_ip, dst_ip: its address texts; flags:
 * [0 forward, 1 backward][TCP flag bit] packet counts. 0 or -ENOMEM.
 */
int afm_cic_compute(const struct afm_flow *f, const char *src_ip, const char *dst_ip, const uint64_t flags[2][8],
		    uint64_t activity_ns, struct afm_cic_row *out, struct afm_cic_scratch *s);
void afm_cic_scratch_free(struct afm_cic_scratch *s);

#endif
