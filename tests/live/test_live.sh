#!/usr/bin/env bash
# Live metering, for real: the meter on one end of a veth pair (XDP ingress, TC egress)
# while tcpdump captures the same interface and real clients talk to real servers.
# The meter's CSV must equal, flow for flow, what -r gives on tcpdump's capture: packet
# counts and every length statistic exactly, times within 1 ms. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${BIN:-build/app-flow-meter}")
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "live: skipped (needs root to create namespaces and load BPF)"
	exit 0
fi
# shellcheck source=tests/live/netns.sh
source tests/live/netns.sh
trap netns_cleanup EXIT

netns_setup
servers_start

# (ip netns exec execs: $! is the program itself, which the signals below must reach)
ip netns exec "$CLI_NS" tcpdump -i "$CLI_IF" -s 256 -U --time-stamp-precision=nano \
	-w "$WORK/capture.pcap" 2>"$WORK/tcpdump.log" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for_text "$WORK/tcpdump.log" "listening on"
ip netns exec "$CLI_NS" "$BIN" -i "$CLI_IF" --precision 17 -o "$WORK/live.csv" --stats-json "$WORK/live.json" \
	2>"$WORK/meter.log" &
METER=$!
PIDS+=("$METER")
wait_for_text "$WORK/meter.log" "metering $CLI_IF"
sleep 0.3

client_traffic in_cli

sleep 0.5
kill -TERM "$METER"
status=0
wait "$METER" || status=$?
sleep 0.3
kill -TERM "$TCPDUMP"
wait "$TCPDUMP" || true
if [ "$status" -ne 0 ]; then
	echo "FAIL live: the meter exited with status $status:"
	cat "$WORK/meter.log"
	exit 1
fi
"$BIN" -q --precision 17 -r "$WORK/capture.pcap" -o "$WORK/offline.csv"
$PY tests/live/compare_live.py "$WORK/offline.csv" "$WORK/live.csv" --stats "$WORK/live.json" \
	--only "$SRV4,$CLI4,$SRV6,$CLI6"
rm -rf "$WORK"
