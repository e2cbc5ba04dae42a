#!/usr/bin/env bash
# make bench-peers: app-flow-meter beside the flow meters people use, on the same
# generated captures in the same run (medians of RUNS): the bare libpcap read loop (the
# floor), softflowd (NetFlow v10 to a local port), nfdump's nfpcapd (into a flow
# directory), argus (into an argus file) and tshark's conversation table. Each line: the
# seconds of each tool and, under it, its speed as a ratio to the floor (1.00: as fast
# as reading the file). It reports; nothing here fails on a slow result.
#
# Environment: BUILD (build), BIN ($BUILD/app-flow-meter), RUNS (3), TSHARK (1; 0 to
# leave tshark out: it takes about 30 s a run).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-$BUILD/app-flow-meter}
RUNS=${RUNS:-3}
TSHARK=${TSHARK:-1}
GEN=$BUILD/bench/gen-capture
FLOOR=$BUILD/bench/pcap-floor
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

die() {
	echo "bench-peers: $*" >&2
	exit 1
}

for tool in softflowd nfpcapd argus; do
	command -v "$tool" >/dev/null || die "$tool is missing: run as root (make bench-peers installs softflowd, nfdump, argus-server), or install it"
done
[ "$TSHARK" = 0 ] || command -v tshark >/dev/null || die "tshark is missing: install it, or TSHARK=0"

# shellcheck source=bench/timing.sh
source bench/timing.sh
before_run() { rm -rf "$SCRATCH/out" && mkdir -p "$SCRATCH/out"; }
quiet() { "$@" >/dev/null 2>&1; }	# a tool's own output thrown away

capture() {
	local pcap=$BUILD/bench/$1.pcap
	shift
	if [ ! -f "$pcap" ] || [ "$GEN" -nt "$pcap" ]; then
		echo "bench-peers: generating $pcap" >&2
		"$GEN" -o "$pcap" "$@" >&2 || die "gen-capture failed"
	fi
	echo "$pcap"
}

row() {
	local label=$1 pcap=$2 floor meter soft nfp arg tsh=-
	cat "$pcap" >/dev/null
	floor=$(seconds quiet "$FLOOR" "$pcap")
	meter=$(seconds quiet "$BIN" -q -r "$pcap" -o /dev/null)
	soft=$(seconds quiet softflowd -r "$pcap" -n 127.0.0.1:9 -v 10 -d)
	nfp=$(seconds quiet nfpcapd -r "$pcap" -w "$SCRATCH/out")
	arg=$(seconds quiet argus -r "$pcap" -w "$SCRATCH/out/a.argus")
	[ "$TSHARK" = 0 ] || tsh=$(seconds quiet tshark -n -r "$pcap" -q -z conv,ip)
	printf '  %-28s %9s %15s %9s %9s %9s %9s\n' "$label" "$floor" "$meter" "$soft" "$nfp" "$arg" "$tsh"
	awk -v f="$floor" -v a="$meter" -v b="$soft" -v c="$nfp" -v d="$arg" -v e="$tsh" 'BEGIN {
		printf "  %-28s %9s %15.2f %9.2f %9.2f %9.2f %9s\n", "  ratio to the floor", "1.00", f / a, f / b, f / c, f / d,
			e == "-" ? "-" : sprintf("%.2f", f / e) }'
}

headers=$(capture synthetic --snaplen 128)
heavy=$(capture 50k-flows --snaplen 128 --packets 2000000 --flows 50000)
echo
echo "peers: seconds, median of $RUNS runs; under each, the ratio floor / tool (higher is faster)"
printf '  %-28s %9s %15s %9s %9s %9s %9s\n' "capture" "floor" "app-flow-meter" "softflowd" "nfpcapd" "argus" "tshark"
row "5M packets, 120k flows" "$headers"
row "2M packets, 50k flows" "$heavy"
