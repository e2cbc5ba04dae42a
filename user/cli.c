// SPDX-License-Identifier: MIT
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docdir.h"
#include "features/features.h"
#include "features/labels.h"
#include "output/format.h"
#include "output/ipfix.h"
#include "output/schema.h"
#include "kernel/hooks.h"
#include "log.h"

static const char usage_text[] =
	"Usage: app-flow-meter -r CAPTURE [-r CAPTURE...] [-o OUT.csv | -o -] [options]\n"
	"       app-flow-meter -i IFACE [-i IFACE...] [-o OUT.csv | -o -] [options]\n"
	"       app-flow-meter --netns NAME|PATH | --pid PID [...] [-i IFACE...] [options]\n"
	"\n"
	"Meter network flows and write one CSV row of features per flow (the 78 columns\n"
	"of the original AppFlowMeter). Every column is defined in COLUMNS.md (the CIC\n"
	"schemas' in CIC.md), the rules of metering in METERING.md: " AFM_DOCDIR "\n"
	"\n"
	"Input:\n"
	"  -r, --read FILE          read a pcap or pcapng capture ('-': standard input), plain\n"
	"                           or compressed (gzip, zstd, xz: known by their content);\n"
	"                           repeat for several, or give a directory (every file in it\n"
	"                           that is a capture, whatever its name) or a quoted glob:\n"
	"                           their packets are merged by time, in whatever order given;\n"
	"                           a pcapng's interfaces each with its own link type, apart\n"
	"                           in the flow key and named in the interface column\n"
	"      --via-xdp            with -r: run every packet through the kernel's XDP program\n"
	"                           (BPF_PROG_TEST_RUN) instead of the user-space parser; the\n"
	"                           CSV is the same (a test of the kernel path; needs root)\n"
	"  -i, --interface IFACE    meter a live interface (repeat for several) until SIGINT or\n"
	"                           SIGTERM: XDP sees what it receives, TC egress what it sends;\n"
	"                           each flow's row is written when the flow ends (needs root,\n"
	"                           or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)\n"
	"      --netns NAME|PATH    meter a container: its network namespace, by name (under\n"
	"                           /run/netns) or path (/proc/PID/ns/net); every interface in\n"
	"                           it but lo, or those named with -i, is metered on its veth\n"
	"                           peer here, once per packet; repeat for several containers\n"
	"      --pid PID            the same for the network namespace of process PID (both\n"
	"                           need CAP_SYS_ADMIN too, to enter the namespace)\n"
	"      --xdp-mode MODE      native, generic or auto (default: generic on a veth, else\n"
	"                           native, falling back to generic)\n"
	"      --ingress-only       no TC egress program: only what the interface receives\n"
	"      --tunnels decap|outer\n"
	"                           decap (default): a packet in VXLAN (UDP 4789, 8472), Geneve,\n"
	"                           GRE, ERSPAN, GTP-U, MPLS or IP-in-IP (up to 3 nested) is the\n"
	"                           frame inside: the flow is the innermost conversation, its\n"
	"                           tunnels part of its key (extended schema: tunnel columns);\n"
	"                           outer: meter the outer packets as they are (METERING.md, 1.1)\n"
	"      --segments           count each GSO/GRO super-frame as the segments the wire\n"
	"                           carries, as a mirror port sees them (TC egress sees\n"
	"                           super-frames of up to 64 KiB); TC ingress takes the place\n"
	"                           of generic XDP (veth, lo). Live only\n"
	"      --force              replace an XDP program another tool attached (it is put\n"
	"                           back at exit)\n"
	"Output:\n"
	"  -o, --output FILE        write the rows to FILE; '-' is standard output (the default\n"
	"                           without --ipfix). Created once every input is open and\n"
	"                           every hook attached; never an input or another output\n"
	"      --format FORMAT      csv (default) or jsonl: JSON lines, one object a flow, keys\n"
	"                           the CSV's column names, numbers as JSON numbers\n"
	"      --schema NAME        appflowmeter (default: the original 78 columns) or extended\n"
	"                           (40 more: bytes, handshake, flags, end reason, tunnel, ...;\n"
	"                           all in COLUMNS.md); cic: CICFlowMeter's 94 columns as the\n"
	"                           corrected fork (Engelen et al.) writes them; cic-ids2017,\n"
	"                           cic-ids2018: the same values under the published CIC-IDS2017\n"
	"                           (85) and CSE-CIC-IDS2018 (80) headers, for models trained on\n"
	"                           them (docs/CIC.md)\n"
	"      --cic-activity-timeout SECONDS\n"
	"                           the CIC schemas' active/idle split: a gap longer than this\n"
	"                           ends an active period (default 5, as CICFlowMeter)\n"
	"      --columns LIST       write these columns, in this order (names from either schema,\n"
	"                           separated by commas); an unknown name lists the valid ones\n"
	"      --label TEXT         fill the label column with TEXT (a dataset's class, e.g.\n"
	"                           BENIGN); with the default schema it is added as the last one\n"
	"      --labels FILE        label each flow by rules: a CSV with the header\n"
	"                           start,end,src,dst,port,protocol,label, one rule a line\n"
	"                           (ISO 8601 UTC times, the flow's first packet in [start, end);\n"
	"                           CIDRs, either way round; a port or A-B that either end's port\n"
	"                           is in; tcp, udp, icmp, ... or a number; * for any). The first\n"
	"                           rule that matches wins; else --label's TEXT, else -\n"
	"      --no-header          no header line\n"
	"      --rotate-rows N      rotation: OUT.csv becomes OUT.000001.csv, OUT.000002.csv...,\n"
	"                           a new file every N rows; each is written as NAME.part and\n"
	"                           renamed when complete. SIGHUP ends the current file (for\n"
	"                           logrotate; without rotation the file is reopened).\n"
	"                           Numbers go on after the files already there\n"
	"      --rotate-seconds S   rotation: a new file every S seconds (with rows in it)\n"
	"      --first-packets N    the first N packets of each flow (0-255, default 0: none):\n"
	"                           direction (0 src->dst, 1 dst->src), wire length and time\n"
	"                           since the packet before (s), -1 past the flow's last packet\n"
	"      --first-packets-layout arrays|columns\n"
	"                           arrays (default): splt_direction, splt_ps, splt_piat, each\n"
	"                           [v1,...,vN]; columns: splt_direction_1 ... splt_piat_N\n"
	"      --precision N        significant digits of numbers that are not whole (1-17,\n"
	"                           default 9); counts and lengths always print whole\n"
	"Export (IPFIX, RFC 7011; every element in EXPORT.md):\n"
	"      --ipfix URL          send each flow as an IPFIX record to a collector:\n"
	"                           udp://HOST[:PORT] or tcp://HOST[:PORT] (port 4739 by\n"
	"                           default; IPv6 in brackets), alone or beside -o. A collector\n"
	"                           that is down or slow costs records, counted as export_lost;\n"
	"                           metering and -o go on (TCP reconnects)\n"
	"      --ipfix-pen N        enterprise number of the elements that are not IANA's\n"
	"                           (default 32473, the number RFC 5612 sets aside)\n"
	"      --ipfix-domain N     observation domain ID of the messages (default 0)\n"
	"      --ipfix-template-refresh S\n"
	"                           UDP: send the templates again every S seconds (default 60;\n"
	"                           0: only at the start and after a send error)\n"
	"      --ipfix-mtu BYTES    UDP: the largest message, one datagram (default 1400)\n"
	"      --ipfix-queue N      records that wait for the collector (default 4096); past\n"
	"                           that, live runs count them lost and capture runs wait\n"
	"      --ipfix-elements     print the elements of the schema's templates and exit\n"
	"Flow ending (seconds, decimals allowed):\n"
	"      --idle-timeout S     end a flow after S seconds without packets (default 120)\n"
	"      --dns-timeout S      the same for DNS flows, one per transaction (default 30)\n"
	"      --active-timeout S   cut a flow that has lasted S seconds (default 1800)\n"
	"      --close-linger S     after FIN both ways or RST, keep the flow open S seconds\n"
	"                           for the closing packets that follow (default 5; 0: end it\n"
	"                           at the closing packet, as CICFlowMeter does)\n"
	"      --max-flows N        keep at most N flows open; past that, the least recently\n"
	"                           active one ends (end_reason evicted). Default: a quarter of\n"
	"                           the available memory at 1 KiB a flow\n"
	"Other:\n"
	"  -q, --quiet              no progress line and no summary (errors still print)\n"
	"  -v, --verbose            print libbpf's messages and the BPF verifier's log\n"
	"      --stats-json FILE    also write the summary counters to FILE as JSON (live:\n"
	"                           rewritten every --stats-interval); '-': standard output\n"
	"      --stats-interval S   live: a status line on stderr every S seconds (packets/s,\n"
	"                           flows open, rows written, losses; default 10, 0: none)\n"
	"  -h, --help               show this help\n"
	"  -V, --version            show the version\n"
	"\n"
	"SIGINT or SIGTERM stop the run (offline too): every open flow is written (end\n"
	"reason shutdown), and the summary printed. At exit the summary on stderr accounts\n"
	"for every packet (metered, skipped: not IP, truncated, malformed, ...; or lost)\n"
	"and every flow (ended, by reason; its row written, or lost to an output error).\n"
	"\n"
	"Exit status: 0 success (also when stopped by SIGINT or SIGTERM); 1 internal error\n"
	"(e.g. out of memory); 2 bad command line (also: an output that is an input or\n"
	"another output, a capture or an interface given twice);\n"
	"3 a capture cannot be read (missing, no permission, empty, not a capture, unsupported\n"
	"link type); 4 the output cannot be written; 5 a capture is damaged (truncated or\n"
	"corrupt record): the rows of everything read before the damage were written; 6 the\n"
	"kernel meter cannot start (privileges, kernel without BTF or ring buffer, verifier\n"
	"rejection: see -v, no such interface, another XDP program attached).\n";

enum {
	OPT_IDLE = 256,
	OPT_DNS,
	OPT_ACTIVE,
	OPT_LINGER,
	OPT_PRECISION,
	OPT_FIRST_PACKETS,
	OPT_FIRST_LAYOUT,
	OPT_CIC_ACTIVITY,
	OPT_TUNNELS,
	OPT_STATS_JSON,
	OPT_VIA_XDP,
	OPT_XDP_MODE,
	OPT_INGRESS_ONLY,
	OPT_SEGMENTS,
	OPT_FORCE,
	OPT_NETNS,
	OPT_PID,
	OPT_SCHEMA,
	OPT_COLUMNS,
	OPT_LABEL,
	OPT_LABELS,
	OPT_NO_HEADER,
	OPT_MAX_FLOWS,
	OPT_ROTATE_ROWS,
	OPT_ROTATE_SECONDS,
	OPT_STATS_INTERVAL,
	OPT_FORMAT,
	OPT_IPFIX,
	OPT_IPFIX_PEN,
	OPT_IPFIX_DOMAIN,
	OPT_IPFIX_REFRESH,
	OPT_IPFIX_MTU,
	OPT_IPFIX_QUEUE,
	OPT_IPFIX_ELEMENTS,
};

static const struct option long_options[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "dns-timeout", required_argument, NULL, OPT_DNS },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
	{ "close-linger", required_argument, NULL, OPT_LINGER },
	{ "precision", required_argument, NULL, OPT_PRECISION },
	{ "first-packets", required_argument, NULL, OPT_FIRST_PACKETS },
	{ "first-packets-layout", required_argument, NULL, OPT_FIRST_LAYOUT },
	{ "cic-activity-timeout", required_argument, NULL, OPT_CIC_ACTIVITY },
	{ "tunnels", required_argument, NULL, OPT_TUNNELS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "via-xdp", no_argument, NULL, OPT_VIA_XDP },
	{ "interface", required_argument, NULL, 'i' },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "ingress-only", no_argument, NULL, OPT_INGRESS_ONLY },
	{ "segments", no_argument, NULL, OPT_SEGMENTS },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "labels", required_argument, NULL, OPT_LABELS },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "rotate-rows", required_argument, NULL, OPT_ROTATE_ROWS },
	{ "rotate-seconds", required_argument, NULL, OPT_ROTATE_SECONDS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "ipfix", required_argument, NULL, OPT_IPFIX },
	{ "ipfix-pen", required_argument, NULL, OPT_IPFIX_PEN },
	{ "ipfix-domain", required_argument, NULL, OPT_IPFIX_DOMAIN },
	{ "ipfix-template-refresh", required_argument, NULL, OPT_IPFIX_REFRESH },
	{ "ipfix-mtu", required_argument, NULL, OPT_IPFIX_MTU },
	{ "ipfix-queue", required_argument, NULL, OPT_IPFIX_QUEUE },
	{ "ipfix-elements", no_argument, NULL, OPT_IPFIX_ELEMENTS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Seconds with decimals -> ns; 0 < S <= 10^9 (about 31 years), or 0 <= S with zero_ok. */
static int parse_seconds_from(const char *opt, const char *text, int zero_ok, uint64_t *ns)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(s) || s < 0 || (s == 0 && !zero_ok) || s > 1e9) {
		afm_error("%s: '%s' is not a number of seconds in %s, 1e9]", opt, text, zero_ok ? "[0" : "(0");
		return -1;
	}
	*ns = (uint64_t)llround(s * 1e9);
	if (*ns == 0 && s > 0)
		*ns = 1;
	return 0;
}

static int parse_seconds(const char *opt, const char *text, uint64_t *ns)
{
	return parse_seconds_from(opt, text, 0, ns);
}

/* A positive whole number. */
static int parse_count(const char *opt, const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || v == 0 || *text == '-') {
		afm_error("%s: '%s' is not a positive whole number", opt, text);
		return -1;
	}
	*out = v;
	return 0;
}

/* A whole number in [lo, hi]. */
static int parse_u32(const char *opt, const char *text, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || *text == '-' || v < lo || v > hi) {
		afm_error("%s: '%s' is not a whole number from %u to %u", opt, text, lo, hi);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_int(const char *opt, const char *text, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi) {
		afm_error("%s: '%s' is not an integer from %d to %d", opt, text, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int afm_cli_parse(int argc, char **argv, struct afm_options *opt)
{
	int c, cic_activity_given = 0;

	memset(opt, 0, sizeof(*opt));
	opt->ipfix_pen = AFM_IPFIX_PEN_DEFAULT;
	opt->ipfix_refresh_ns = AFM_IPFIX_REFRESH_DEFAULT * 1000000000ULL;
	opt->ipfix_mtu = AFM_IPFIX_MTU_DEFAULT;
	opt->ipfix_queue = AFM_IPFIX_QUEUE_DEFAULT;
	opt->idle_ns = 120ULL * 1000000000ULL;
	opt->dns_idle_ns = 30ULL * 1000000000ULL;
	opt->cic_activity_ns = AFM_CIC_ACTIVITY_NS;
	opt->active_ns = 1800ULL * 1000000000ULL;
	opt->linger_ns = 5ULL * 1000000000ULL;
	opt->precision = 9;
	opt->schema = "appflowmeter";
	opt->stats_interval_ns = 10ULL * 1000000000ULL;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":r:o:i:qvhV", long_options, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'r':
			if (opt->n_captures == AFM_MAX_INPUTS) {
				afm_error("-r: at most %d captures in one run", AFM_MAX_INPUTS);
				return AFM_EXIT_USAGE;
			}
			opt->captures[opt->n_captures++] = optarg;
			break;
		case 'o':
			opt->output = optarg;
			break;
		case OPT_IDLE:
			bad = parse_seconds("--idle-timeout", optarg, &opt->idle_ns);
			break;
		case OPT_DNS:
			bad = parse_seconds("--dns-timeout", optarg, &opt->dns_idle_ns);
			break;
		case OPT_ACTIVE:
			bad = parse_seconds("--active-timeout", optarg, &opt->active_ns);
			break;
		case OPT_LINGER:
			bad = parse_seconds_from("--close-linger", optarg, 1, &opt->linger_ns);
			break;
		case OPT_PRECISION:
			bad = parse_int("--precision", optarg, 1, 17, &opt->precision);
			break;
		case OPT_FIRST_PACKETS:
			bad = parse_int("--first-packets", optarg, 0, AFM_FIRST_PACKETS_MAX, &opt->first_packets);
			break;
		case OPT_TUNNELS:
			if (strcmp(optarg, "decap") == 0 || strcmp(optarg, "outer") == 0) {
				opt->outer_tunnels = optarg[0] == 'o';
			} else {
				afm_error("--tunnels: '%s' is not decap or outer", optarg);
				return AFM_EXIT_USAGE;
			}
			break;
		case OPT_FIRST_LAYOUT:
			if (strcmp(optarg, "arrays") == 0)
				opt->first_layout = AFM_FIRST_ARRAYS;
			else if (strcmp(optarg, "columns") == 0)
				opt->first_layout = AFM_FIRST_COLUMNS;
			else {
				afm_error("--first-packets-layout: '%s' is not arrays or columns", optarg);
				return AFM_EXIT_USAGE;
			}
			break;
		case 'q':
			opt->quiet = 1;
			break;
		case OPT_STATS_JSON:
			opt->stats_json = optarg;
			break;
		case OPT_VIA_XDP:
			opt->via_xdp = 1;
			break;
		case 'i':
			if (opt->n_interfaces == AFM_MAX_INPUTS) {
				afm_error("-i: at most %d interfaces in one run", AFM_MAX_INPUTS);
				return AFM_EXIT_USAGE;
			}
			if (!*optarg || strlen(optarg) >= 16) {
				afm_error("-i: '%s' is not an interface name", optarg);
				return AFM_EXIT_USAGE;
			}
			for (int k = 0; k < opt->n_interfaces; k++)
				if (strcmp(opt->interfaces[k], optarg) == 0) {
					afm_error("-i %s is given twice: each packet would be metered twice", optarg);
					return AFM_EXIT_USAGE;
				}
			opt->interfaces[opt->n_interfaces++] = optarg;
			break;
		case OPT_XDP_MODE:
			if (strcmp(optarg, "auto") == 0)
				opt->xdp_mode = AFM_XDP_AUTO;
			else if (strcmp(optarg, "native") == 0)
				opt->xdp_mode = AFM_XDP_NATIVE;
			else if (strcmp(optarg, "generic") == 0)
				opt->xdp_mode = AFM_XDP_GENERIC;
			else {
				afm_error("--xdp-mode: '%s' is not native, generic or auto", optarg);
				return AFM_EXIT_USAGE;
			}
			break;
		case OPT_INGRESS_ONLY:
			opt->ingress_only = 1;
			break;
		case OPT_SEGMENTS:
			opt->segments = 1;
			break;
		case OPT_FORCE:
			opt->force = 1;
			break;
		case OPT_SCHEMA:
			if (strcmp(optarg, "appflowmeter") != 0 && strcmp(optarg, "extended") != 0 &&
			    strcmp(optarg, "cic") != 0 && strcmp(optarg, "cic-ids2017") != 0 &&
			    strcmp(optarg, "cic-ids2018") != 0) {
				afm_error("--schema: '%s' is not appflowmeter, extended, cic, cic-ids2017 or cic-ids2018",
					  optarg);
				return AFM_EXIT_USAGE;
			}
			opt->schema = optarg;
			break;
		case OPT_CIC_ACTIVITY:
			bad = parse_seconds("--cic-activity-timeout", optarg, &opt->cic_activity_ns);
			cic_activity_given = 1;
			break;
		case OPT_COLUMNS:
			opt->columns = optarg;
			break;
		case OPT_LABEL:
			if (!afm_label_valid(optarg)) {
				afm_error("--label: '%s' must be 1 to %d bytes of UTF-8, without commas, quotes or "
					  "line breaks", optarg, AFM_LABEL_MAX);
				return AFM_EXIT_USAGE;
			}
			opt->label = optarg;
			break;
		case OPT_LABELS:
			opt->labels = optarg;
			break;
		case OPT_NO_HEADER:
			opt->no_header = 1;
			break;
		case OPT_MAX_FLOWS:
			bad = parse_count("--max-flows", optarg, &opt->max_flows);
			break;
		case OPT_ROTATE_ROWS:
			bad = parse_count("--rotate-rows", optarg, &opt->rotate_rows);
			break;
		case OPT_ROTATE_SECONDS:
			bad = parse_seconds("--rotate-seconds", optarg, &opt->rotate_ns);
			break;
		case OPT_STATS_INTERVAL:
			if (strcmp(optarg, "0") == 0)
				opt->stats_interval_ns = 0;
			else
				bad = parse_seconds("--stats-interval", optarg, &opt->stats_interval_ns);
			break;
		case OPT_NETNS:
		case OPT_PID:
			if (opt->n_containers == AFM_MAX_INPUTS) {
				afm_error("at most %d containers in one run", AFM_MAX_INPUTS);
				return AFM_EXIT_USAGE;
			}
			if (c == OPT_PID && strspn(optarg, "0123456789") != strlen(optarg)) {
				afm_error("--pid: '%s' is not a process id", optarg);
				return AFM_EXIT_USAGE;
			}
			opt->container_kind[opt->n_containers] = c == OPT_PID ? "pid" : "netns";
			opt->containers[opt->n_containers++] = optarg;
			break;
		case 'v':
			opt->verbose = 1;
			break;
		case OPT_FORMAT:
			opt->format = afm_format_parse(optarg);
			if (opt->format < 0) {
				afm_error("--format: '%s' is not csv or jsonl", optarg);
				return AFM_EXIT_USAGE;
			}
			break;
		case OPT_IPFIX:
			if (opt->ipfix) {
				afm_error("--ipfix is given twice: one collector a run");
				return AFM_EXIT_USAGE;
			}
			opt->ipfix = optarg;
			break;
		case OPT_IPFIX_PEN:
			bad = parse_u32("--ipfix-pen", optarg, 1, UINT32_MAX, &opt->ipfix_pen);
			if (!bad && opt->ipfix_pen == AFM_IPFIX_PEN_REVERSE) {
				afm_error("--ipfix-pen: 29305 is RFC 5103's number for reverse elements");
				return AFM_EXIT_USAGE;
			}
			break;
		case OPT_IPFIX_DOMAIN:
			bad = parse_u32("--ipfix-domain", optarg, 0, UINT32_MAX, &opt->ipfix_domain);
			break;
		case OPT_IPFIX_REFRESH:
			bad = parse_seconds_from("--ipfix-template-refresh", optarg, 1, &opt->ipfix_refresh_ns);
			break;
		case OPT_IPFIX_MTU:
			bad = parse_u32("--ipfix-mtu", optarg, 512, 65535, &opt->ipfix_mtu);
			break;
		case OPT_IPFIX_QUEUE:
			bad = parse_count("--ipfix-queue", optarg, &opt->ipfix_queue);
			if (!bad && opt->ipfix_queue > 1000000) {
				afm_error("--ipfix-queue: '%s' is more than 1000000 records", optarg);
				return AFM_EXIT_USAGE;
			}
			break;
		case OPT_IPFIX_ELEMENTS:
			opt->ipfix_elements = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return AFM_EXIT_OK;
		case 'V':
			printf("app-flow-meter %s\n", AFM_VERSION);
			return AFM_EXIT_OK;
		case ':':
			afm_error("option %s needs a value (see --help)", argv[optind - 1]);
			return AFM_EXIT_USAGE;
		default:
			afm_error("unknown option %s (see --help)", argv[optind - 1]);
			return AFM_EXIT_USAGE;
		}
		if (bad)
			return AFM_EXIT_USAGE;
	}
	if (optind < argc) {
		afm_error("unexpected argument '%s' (captures are given with -r; see --help)", argv[optind]);
		return AFM_EXIT_USAGE;
	}
	if (!opt->output && !opt->ipfix)
		opt->output = "-";
	if (opt->first_packets && (opt->ipfix || opt->ipfix_elements)) {
		afm_error("--first-packets: no IPFIX element carries the first packets yet; write them with "
			  "-o FILE (CSV or JSON lines) and export to the collector in a run without --first-packets");
		return AFM_EXIT_USAGE;
	}
	if (cic_activity_given && strncmp(opt->schema, "cic", 3) != 0) {
		afm_error("--cic-activity-timeout applies to the CIC schemas only (--schema cic, cic-ids2017 or "
			  "cic-ids2018), not to --schema %s", opt->schema);
		return AFM_EXIT_USAGE;
	}
	if (strncmp(opt->schema, "cic", 3) == 0 && (opt->ipfix || opt->ipfix_elements)) {
		afm_error("--schema %s: IPFIX has no elements for the CIC columns; write them with -o FILE "
			  "(CSV or JSON lines), or export --schema extended", opt->schema);
		return AFM_EXIT_USAGE;
	}
	if (opt->ipfix_elements)
		return -1;	/* main prints them: no input needed */
	if (opt->n_captures == 0 && opt->n_interfaces == 0 && opt->n_containers == 0) {
		afm_error("nothing to meter: give a capture with -r FILE, an interface with -i IFACE or a "
			  "container with --netns/--pid (see --help)");
		return AFM_EXIT_USAGE;
	}
	if (opt->n_captures && (opt->n_interfaces || opt->n_containers)) {
		afm_error("-r cannot be mixed with -i, --netns or --pid: meter captures or interfaces");
		return AFM_EXIT_USAGE;
	}
	if (opt->columns) {	/* unknown names are usage errors, found before anything starts */
		struct afm_schema probe;
		char err[4096];

		if (afm_schema_build(&probe, opt->schema, opt->columns, 0, err, sizeof(err)) != 0) {
			afm_error("%s", err);
			return AFM_EXIT_USAGE;
		}
		afm_schema_free(&probe);
	}
	if ((opt->rotate_rows || opt->rotate_ns) && (!opt->output || strcmp(opt->output, "-") == 0)) {
		afm_error("--rotate-rows and --rotate-seconds need an output file (-o FILE); standard "
			  "output stays one stream");
		return AFM_EXIT_USAGE;
	}
	if (opt->segments && opt->n_captures) {
		afm_error("--segments splits the super-frames the kernel's hooks see live (-i, --netns, --pid); a "
			  "capture has no segment sizes: a super-frame in it stays one packet, as written");
		return AFM_EXIT_USAGE;
	}
	if (opt->via_xdp && !opt->n_captures) {
		afm_error("--via-xdp replays captures: it needs -r FILE");
		return AFM_EXIT_USAGE;
	}
	return -1;
}
