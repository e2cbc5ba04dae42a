#!/usr/bin/env bash
# make bench: app-flow-meter's throughput, memory and in-kernel cost, each beside a
# floor measured in the same run. It reports; nothing here fails on a slow result.
#
#  1. Offline, on two generated captures of the same traffic (5,000,000 packets,
#     120,000 flows): whole packets (as tcpdump writes them), and headers only
#     (snaplen 128); and 2,000,000 packets in 50,000 flows. The meter
#     against the bare libpcap read loop over the same file. Then the memory of one
#     flow of 5,000,000 packets.
#  2. Compressed input: the headers-only capture gzip'd and zstd'd, read directly and
#     through zcat/zstdcat into -r -, against the plain file.
#     Export: the headers-only capture's flows as CSV, JSON lines and IPFIX (TCP, UDP)
#     to a local socket, against the CSV alone.
#  3. In the kernel (run first, on a quiet machine): ns/packet of the XDP program under
#     BPF_PROG_TEST_RUN beside an empty XDP_PASS program and one that only reads the
#     clock, and step by step.
#  4. Live: a packet-socket blaster sends UDP over 50,000 flows for 5 s through a veth
#     pair; the meter on the receiving end. Packets sent and metered, losses, and the
#     meter's CPU share.
#
# Environment: BUILD (build), BIN ($BUILD/app-flow-meter), RUNS (3).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-$BUILD/app-flow-meter}
RUNS=${RUNS:-3}
GEN=$BUILD/bench/gen-capture
PY=/usr/bin/python3
FLOOR=$BUILD/bench/pcap-floor
TIMES=$BUILD/bench/time.out

die() {
	echo "bench: $*" >&2
	exit 1
}

# shellcheck source=bench/timing.sh
source bench/timing.sh

need_time() {
	[ -x /usr/bin/time ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		die "/usr/bin/time is missing: run as root to install it, or: sudo apt-get install time"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >/dev/null; } ||
		die "cannot install package time"
}

# capture NAME SNAPLEN [GEN-OPTION...]: generate once (deterministic), keep until
# gen-capture changes.
capture() {
	local pcap=$BUILD/bench/$1.pcap snaplen=$2
	shift 2
	if [ ! -f "$pcap" ] || [ "$GEN" -nt "$pcap" ]; then
		echo "bench: generating $pcap" >&2
		"$GEN" -o "$pcap" --snaplen "$snaplen" "$@" >&2 || die "gen-capture failed"
	fi
	echo "$pcap"
}

# offline LABEL PCAP: floor and meter RUNS times each, one line of results.
offline() {
	local label=$1 pcap=$2 floor_pps=() meter_secs=() meter_kib=() packets=0 out start end i
	cat "$pcap" >/dev/null	# from the page cache, both of them
	for ((i = 0; i < RUNS; i++)); do
		out=$("$FLOOR" "$pcap") || die "pcap-floor failed"
		packets=$(awk '{ print $2 }' <<<"$out")
		floor_pps+=("$(awk '{ print $6 }' <<<"$out")")
		start=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$TIMES" "$BIN" -q -r "$pcap" -o /dev/null ||
			die "app-flow-meter failed (exit $?)"
		end=$(date +%s%N)
		meter_secs+=("$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')")
		meter_kib+=("$(tail -n 1 "$TIMES")")
	done
	awk -v label="$label" -v packets="$packets" -v bytes="$(stat -c %s "$pcap")" \
		-v floor="$(median "${floor_pps[@]}")" -v secs="$(median "${meter_secs[@]}")" \
		-v kib="$(median "${meter_kib[@]}")" 'BEGIN {
		meter = secs > 0 ? packets / secs : 0
		ratio = floor > 0 ? meter / floor : 0
		verdict = ratio >= 0.5 ? "met" : "not met"
		printf "  %-14s %7.0f MB %11.0f %11.0f %7.2f (%s) %8.1f\n", label, bytes / 1e6, floor,
			meter, ratio, verdict, kib / 1024
	}'
}

# sinks LABEL ARGS...: the meter over the headers-only capture RUNS times with these
# output arguments; one line: seconds, flows/s, against the CSV to /dev/null.
sink_base=0
sinks() {
	local label=$1 s sent lost
	shift
	s=$(seconds "$BIN" -q -r "$headers" "$@" --stats-json "$BUILD/bench/sink.json")
	[ "$sink_base" = 0 ] && sink_base=$s
	sent=- lost=-
	[[ " $* " == *" --ipfix "* ]] &&
		read -r sent lost < <("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["export_sent"], c["export_lost"])' "$BUILD/bench/sink.json")
	awk -v label="$label" -v s="$s" -v base="$sink_base" -v flows="$flows" -v sent="$sent" -v lost="$lost" 'BEGIN {
		printf "  %-34s %7.2f s %11.0f %11.0f %7.2f %10s %6s\n", label, s, flows / s, 5000000 / s, base / s, sent, lost }'
}

# collector PROTO: a socket that takes every record (tests/export/collector.py, which
# keeps them in $BUILD/bench/collected*); sets PORT and COLLECTOR (its pid).
collector() {
	rm -f "$BUILD/bench/collected"*
	coproc COLL { exec "$PY" tests/export/collector.py "$1" "$BUILD/bench/collected"; }
	COLLECTOR=$COLL_PID
	read -r PORT <&"${COLL[0]}"
}
collector_stop() {
	kill -TERM "$COLLECTOR"
	wait "$COLLECTOR" 2>/dev/null || true
	rm -f "$BUILD/bench/collected"*
}

# compressed SUFFIX TOOL...: the headers-only capture compressed once (kept until the
# capture changes).
compressed() {
	local out=$headers.$1
	shift
	if [ ! -f "$out" ] || [ "$headers" -nt "$out" ]; then
		echo "bench: compressing $headers with $*" >&2
		"$@" <"$headers" >"$out.tmp" && mv "$out.tmp" "$out" || die "$* failed"
	fi
	echo "$out"
}

# timed LABEL CMD: RUNS runs of a shell command, the median seconds; one line.
timed() {
	local label=$1 cmd=$2 s
	s=$(seconds bash -c "set -o pipefail; $cmd")
	[ "$timed_base" = 0 ] && timed_base=$s
	awk -v label="$label" -v s="$s" -v base="$timed_base" 'BEGIN {
		printf "  %-40s %7.2f s %11.0f %7.2f\n", label, s, 5000000 / s, base / s }'
}

need_time
# In the kernel first, on a quiet machine: the ring buffer writes of the meter are
# memory-bound, and the offline runs before would leave their traffic behind.
if [ "$(id -u)" -eq 0 ]; then
	# Each program is kept in the XDP dispatcher by a link on an idle interface (see
	# bench/bpf_bench.c): four veth ends in a scratch namespace.
	ns=afm-bench-$$
	ip netns add "$ns"
	trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ip -n "$ns" link add "b$i" type veth peer name "c$i"
		ip -n "$ns" link set "b$i" up
	done
	echo
	ip netns exec "$ns" env AFM_BENCH_BASE="$BUILD/bench/afm-base.bpf.o" AFM_BENCH_OUTER="$BUILD/bench/afm-outer.bpf.o" \
		AFM_BENCH_IF1=b9 AFM_BENCH_IF2=b10 \
		"$BUILD/bench/bpf-bench" "$BUILD/afm.bpf.o" "$BUILD/bench/ref.bpf.o" b1 b2 b3 b4 \
		"$BUILD/afm.bpf.o" b8 \
		"$BUILD/bench/afm-stop1.bpf.o" b5 "$BUILD/bench/afm-stop2.bpf.o" b6 "$BUILD/bench/afm-stop3.bpf.o" b7
fi

full=$(capture synthetic-full 65535)
headers=$(capture synthetic 128)
# issue 12's first case: 2,000,000 packets in 50,000 flows (headers only)
heavy=$(capture 50k-flows 128 --packets 2000000 --flows 50000)
"$BIN" -q -r "$headers" -o "$BUILD/bench/synthetic.csv" --stats-json "$BUILD/bench/synthetic.json" ||
	die "app-flow-meter failed"
flows=$(($(wc -l <"$BUILD/bench/synthetic.csv") - 1))
memory=$("$PY" - "$BUILD/bench/synthetic.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
print(f"{c['flows_open_max']:,} flows open at most, {c['sample_bytes_per_packet']} bytes of samples per packet")
PYEOF
)

echo
echo "app-flow-meter bench: 5,000,000 packets, $flows flows written; median of $RUNS runs"
echo "offline (-r), packets/s; floor: the bare libpcap read loop over the same file"
printf '  %-14s %10s %11s %11s %7s %14s\n' "capture" "size" "floor" "meter" "ratio" "peak RSS MiB"
offline "whole packets" "$full"
offline "headers only" "$headers"
offline "2M, 50k flows" "$heavy"
echo "  memory: $memory"

# one flow of 5,000,000 packets: its samples (at most 16 bytes a packet) and the
# scratch for its statistics at the end (72 bytes a packet) are the peak
one=$(capture one-flow 128 --one-flow)
/usr/bin/time -f '%M' -o "$TIMES" "$BIN" -q -r "$one" -o /dev/null --max-flows 1 --stats-json "$BUILD/bench/one.json" ||
	die "app-flow-meter failed on the one-flow capture"
"$PY" - "$BUILD/bench/one.json" "$(tail -n 1 "$TIMES")" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
rss = int(sys.argv[2]) / 1024
per = c['sample_bytes_per_packet']
print(f"  one flow of {c['metered']:,} packets (--max-flows 1): {per} bytes of samples per packet "
      f"({'met' if per <= 16 else 'not met'}: at most 16), peak RSS {rss:.1f} MiB "
      f"(samples {per * c['metered'] / 2**20:.1f} MiB + statistics scratch)")
PYEOF

echo
echo "compressed input: the headers-only capture (median of $RUNS runs; ratio: the plain file's time over this one's)"
gz=$(compressed gz gzip -6)
zst=$(compressed zst zstd -q -3)
printf '  %-40s %9s %11s %7s\n' "input" "time" "packets/s" "ratio"
timed_base=0
timed "plain ($(($(stat -c %s "$headers") / 1000000)) MB)" "'$BIN' -q -r '$headers' -o /dev/null"
timed "gzip -r x.gz ($(($(stat -c %s "$gz") / 1000000)) MB)" "'$BIN' -q -r '$gz' -o /dev/null"
timed "gzip: zcat x.gz | -r -" "zcat '$gz' | '$BIN' -q -r - -o /dev/null"
timed "zstd -r x.zst ($(($(stat -c %s "$zst") / 1000000)) MB)" "'$BIN' -q -r '$zst' -o /dev/null"
timed "zstd: zstdcat x.zst | -r -" "zstdcat '$zst' | '$BIN' -q -r - -o /dev/null"

echo
echo "export cost: the headers-only capture's $flows flows to each sink (median of $RUNS runs)"
printf '  %-34s %9s %11s %11s %7s %10s %6s\n' "sinks" "time" "flows/s" "packets/s" "ratio" "sent" "lost"
sinks "CSV to /dev/null" -o /dev/null
sinks "JSON lines to /dev/null" -o /dev/null --format jsonl
sinks "--schema cic, CSV to /dev/null" -o /dev/null --schema cic
collector tcp
sinks "CSV + IPFIX over TCP (127.0.0.1)" -o /dev/null --ipfix "tcp://127.0.0.1:$PORT"
sinks "IPFIX over TCP alone" --ipfix "tcp://127.0.0.1:$PORT"
collector_stop
collector udp
sinks "CSV + IPFIX over UDP (127.0.0.1)" -o /dev/null --ipfix "udp://127.0.0.1:$PORT"
collector_stop
echo "  (ratio: the CSV run's time over this one's; sent/lost: export_sent, export_lost; --schema cic keeps"
echo "   each sample's detail too, docs/CIC.md)"

if [ "$(id -u)" -eq 0 ]; then
	# The live rate: sender and meter in two namespaces joined by a veth pair.
	tx=afm-bench-tx-$$
	ip netns add "$tx"
	trap 'ip netns del "$ns" 2>/dev/null || true; ip netns del "$tx" 2>/dev/null || true' EXIT
	ip link add vtx netns "$tx" type veth peer name vrx netns "$ns"
	ip -n "$tx" link set vtx up
	ip -n "$ns" link set vrx up
	ip netns exec "$ns" /usr/bin/time -f '%U %S %e' -o "$TIMES" "$BIN" -i vrx -o /dev/null \
		--stats-json "$BUILD/bench/live.json" 2>"$BUILD/bench/live.log" &
	meter=$!
	for _ in $(seq 100); do grep -q "metering vrx" "$BUILD/bench/live.log" 2>/dev/null && break; sleep 0.05; done
	sent=$(ip netns exec "$tx" "$BUILD/bench/blaster" vtx 5 50000)
	sleep 1
	kill -INT "$(pgrep -P "$meter" -f "$BIN" || echo "$meter")" 2>/dev/null || kill -INT "$meter"
	wait "$meter" || die "the live meter failed: $(cat "$BUILD/bench/live.log")"
	$PY - "$BUILD/bench/live.json" "$TIMES" "$sent" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
user, system, wall = (float(x) for x in open(sys.argv[2]).read().split()[-3:])
sent = int(sys.argv[3])
print()
print("live rate (veth, generic XDP, UDP over 50,000 flows, 5 s of sending)")
print("  %-28s %12d  (%.0f packets/s)" % ("packets sent", sent, sent / 5.0))
print("  %-28s %12d" % ("packets seen by the meter", s["packets"]))
print("  %-28s %12d" % ("packets metered", s["metered"]))
print("  %-28s %12d  (target 0)" % ("packets lost", s["lost_total"]))
print("  %-28s %11.1f%%  (user %.2f s + system %.2f s over %.1f s)" % (
    "meter CPU share", 100 * (user + system) / wall, user, system, wall))
PYEOF
else
	echo "(in-kernel cost and live rate: skipped, needs root)"
fi
