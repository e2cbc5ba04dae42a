/* SPDX-License-Identifier: MIT */
/* The features of an ended flow: the values of its row (docs/COLUMNS.md). */
#ifndef AFM_FEATURES_H
#define AFM_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "features/cic.h"
#include "flow/flow.h"
#include "features/sort.h"
#include "features/stats.h"
#include "output/text.h"

/* --first-packets N: the flow's first N packets (docs/COLUMNS.md, "The first packets"). */
#define AFM_FIRST_PACKETS_MAX 255

struct afm_first_packets {
	uint32_t n;				/* packets here: the N asked for, or fewer */
	uint8_t sending[AFM_FIRST_PACKETS_MAX];	/* 0: receiving (src -> dst), 1: sending */
	uint32_t len[AFM_FIRST_PACKETS_MAX];	/* wire length */
	uint64_t piat_ns[AFM_FIRST_PACKETS_MAX];	/* time since the packet before (0 for the first) */
};

#define AFM_TUNNEL_TEXT 24	/* AFM_TUNNEL_MAX names of at most 6 letters, and '+' */
#define AFM_TUNNEL_ID_TEXT 12	/* a 32-bit identifier in decimal */

struct afm_row {
	char timestamp[AFM_TIME_TEXT];
	char src_ip[AFM_ADDR_TEXT], dst_ip[AFM_ADDR_TEXT];
	uint64_t src_port, dst_port;
	const char *protocol;
	struct afm_dec duration;
	uint64_t packets, rx_packets, tx_packets, success_packets;
	double success_rate, packets_rate, rx_rate, tx_rate;
	struct afm_stats len, rx_len, tx_len;
	struct afm_stats rx_delta_len, tx_delta_len;
	struct afm_stats rx_delta_time, tx_delta_time;

	/* the extended schema (docs/COLUMNS.md) */
	uint64_t total_bytes, rx_bytes, tx_bytes;
	uint64_t rx_ip_bytes, tx_ip_bytes;
	double len_rate, rx_len_rate, tx_len_rate;
	struct afm_dec handshake_duration, delta_start;
	uint64_t ip_version, ip_protocol;
	char vlan_ids[16];
	uint64_t flags[2][8];		/* [0 receiving, 1 sending][TCP flag bit] */
	char first_time[32], last_time[32];
	const char *end_reason;
	const char *interface;		/* the caller's (the row worker fills it) */
	const char *label;
	char tunnel[AFM_TUNNEL_TEXT];	/* "erspan+vxlan", or "-" */
	char tunnel_src[AFM_ADDR_TEXT], tunnel_dst[AFM_ADDR_TEXT];
	char rx_tunnel_id[AFM_TUNNEL_ID_TEXT], tx_tunnel_id[AFM_TUNNEL_ID_TEXT];

	/* The flow's identity as numbers, for binary sinks (IPFIX, output/ipfix_record.h). */
	uint8_t src_addr[16], dst_addr[16];	/* IPv4 in the first 4 bytes */
	uint64_t first_ns, last_ns;		/* first and last packet, ns since the epoch */
	uint16_t vlan[2];			/* outer, inner VLAN ID; 0 when absent */
	uint32_t ifindex;			/* live: the interface; 0 from a capture */
	uint8_t end_code;			/* enum afm_end_reason */
	uint8_t tcp_flags[2];			/* TCP flags seen: [0] receiving, [1] sending */

	struct afm_cic_row cic;			/* the CIC schemas (a detailed flow), else 0 */
	struct afm_first_packets first;		/* --first-packets (n = 0 without) */
};

/* The longest text of the text columns that are not fixed arrays in the row. */
#define AFM_LABEL_MAX 200		/* --label (the CLI refuses longer ones) */
#define AFM_PROTOCOL_TEXT 8		/* protocol: "HTTPS", "Others", ... */
#define AFM_END_REASON_TEXT 16		/* end_reason: "shutdown", ... */
#define AFM_INTERFACE_TEXT (16 + 96)	/* interface: "veth1 (netns web, eth0)" (live.c) */

/*
 * Scratch memory reused from flow to flow to compute their statistics: 72 bytes a
 * packet of the largest flow so far (rounded up to a power of two), kept between flows
 * up to AFM_SCRATCH_KEEP packets (4.5 MiB) and given back after a larger one.
 */
#define AFM_SCRATCH_KEEP 65536

struct afm_scratch {
	size_t cap;
	struct afm_timed *rx, *tx, *timed_tmp;
	int64_t *values, *tmp, *lens;
	struct afm_cic_scratch cic;
};

struct afm_features_config {
	unsigned first_packets;		/* how many of its first packets row->first holds (0 to 255) */
	uint64_t cic_activity_ns;	/* --cic-activity-timeout (a detailed flow: row->cic) */
};

/* The row of an ended flow. */
int afm_features_compute(const struct afm_flow *f, struct afm_row *row, struct afm_scratch *s,
			 const struct afm_features_config *cfg);
void afm_scratch_free(struct afm_scratch *s);

#endif
