/* SPDX-License-Identifier: MIT */
/* Command line: options, their defaults and --help. */
#ifndef AFM_CLI_H
#define AFM_CLI_H

#include <stdint.h>

#include "exit_status.h"

#define AFM_VERSION "0.1.0"

#define AFM_MAX_INPUTS 64

struct afm_options {
	const char *captures[AFM_MAX_INPUTS];	/* -r */
	int n_captures;
	const char *interfaces[AFM_MAX_INPUTS];	/* -i */
	int n_interfaces;
	const char *containers[AFM_MAX_INPUTS];	/* --netns NAME|PATH, --pid PID */
	const char *container_kind[AFM_MAX_INPUTS];	/* "netns" or "pid" */
	int n_containers;
	int xdp_mode;				/* enum afm_xdp_mode */
	int ingress_only;			/* no TC egress program */
	int segments;				/* --segments: super-frames as their segments */
	int force;				/* replace another XDP program */
	int outer_tunnels;			/* --tunnels outer (default decap) */
	const char *output;			/* -o, "-" for stdout; NULL: none (--ipfix alone) */
	int format;				/* --format: enum afm_format */
	uint64_t idle_ns, dns_idle_ns, active_ns, linger_ns;
	int precision;
	int first_packets;			/* --first-packets N (0: none) */
	uint64_t cic_activity_ns;		/* --cic-activity-timeout */
	int first_layout;			/* --first-packets-layout: enum afm_first_layout */
	int quiet;
	const char *schema;			/* --schema: appflowmeter, extended, cic, cic-ids2017, cic-ids2018 */
	const char *columns;			/* --columns LIST, or NULL */
	const char *label;			/* --label TEXT, or NULL */
	const char *labels;			/* --labels FILE, or NULL */
	int no_header;				/* --no-header */
	uint64_t max_flows;			/* --max-flows (0: from the memory) */
	uint64_t rotate_rows;			/* --rotate-rows */
	uint64_t rotate_ns;			/* --rotate-seconds */
	uint64_t stats_interval_ns;		/* --stats-interval (live) */
	const char *stats_json;			/* --stats-json */
	int via_xdp;				/* --via-xdp */
	int verbose;				/* -v */
	const char *ipfix;			/* --ipfix URL, or NULL */
	uint32_t ipfix_pen;			/* --ipfix-pen */
	uint32_t ipfix_domain;			/* --ipfix-domain */
	uint64_t ipfix_refresh_ns;		/* --ipfix-template-refresh (UDP; 0: at start only) */
	uint32_t ipfix_mtu;			/* --ipfix-mtu (UDP) */
	uint64_t ipfix_queue;			/* --ipfix-queue: records */
	int ipfix_elements;			/* --ipfix-elements: print them and exit */
};


/*
 * Fill opt from argv. Returns -1 to go on, or an exit status (0 after --help or
 * --version, AFM_EXIT_USAGE after a one-line error).
 */
int afm_cli_parse(int argc, char **argv, struct afm_options *opt);

#endif
