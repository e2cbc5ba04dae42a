#!/usr/bin/env bash
# Live metering, for real: the meter on one end of a veth pair (XDP ingress, TC egress)
# while tcpdump captures the same interface and real clients talk to real servers.
# The meter's CSV must equal, flow for flow, what -r gives on tcpdump's capture: packet
# counts and every length statistic exactly, times within 1 ms. The same on the other
# end with the XDP program for kernels before 6.2 (afm_xdp_compat); with a jumbo MTU,
# where frames come in several buffers; and on a namespace's loopback interface, where
# every packet sent is received too and must be metered once. Needs root.
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
same_receive_clock
servers_start

# Labels from rules (--labels), on the live rows and on -r of the capture alike; the
# ping is labelled by a time window around now (live times are UTC), not the one before.
LABELS=$WORK/labels.csv
cat >"$LABELS" <<RULES
start,end,src,dst,port,protocol,label
*,*,$SRV4,10.77.0.0/24,80,tcp,web4
*,*,fd00:77::/64,$SRV6,80,tcp,web6
*,*,*,$SRV4,53,udp,dns4
*,*,*,*,5201,*,iperf
2000-01-01T00:00:00Z,2000-01-02T00:00:00Z,*,*,*,icmp,never
$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ),$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S+00:00),*,*,*,icmp,ping4
RULES

# (ip netns exec execs: $! is the program itself, which the signals below must reach)
# start_side NAME NS IFACE XDP_COMPAT [SCHEMA]: tcpdump and the meter (-v: it names its
# XDP program) on one interface of a namespace, with the default schema or SCHEMA.
declare -A TCPDUMP METER SCHEMA
start_side() {
	local name=$1 ns=$2 ifname=$3
	SCHEMA[$name]=${5:-appflowmeter}
	ip netns exec "$ns" tcpdump -i "$ifname" -s 256 --immediate-mode -U --time-stamp-precision=nano \
		-w "$WORK/$name.pcap" 2>"$WORK/$name.tcpdump.log" &
	TCPDUMP[$name]=$!
	PIDS+=("$!")
	wait_for_text "$WORK/$name.tcpdump.log" "listening on"
	AFM_XDP_COMPAT=$4 ip netns exec "$ns" "$BIN" -v -i "$ifname" --precision 17 --labels "$LABELS" \
		--schema "${SCHEMA[$name]}" -o "$WORK/$name.csv" --stats-json "$WORK/$name.json" 2>"$WORK/$name.log" &
	METER[$name]=$!
	PIDS+=("$!")
	wait_for_text "$WORK/$name.log" "metering $ifname"
}

# stop_and_compare NAME PROGRAM [lo]: stop both; the live CSV against -r on the capture.
stop_and_compare() {
	local name=$1 status=0
	kill -TERM "${METER[$name]}"
	wait "${METER[$name]}" || status=$?
	stop_tcpdump "${TCPDUMP[$name]}" "$WORK/$name.pcap" "$WORK/$name.tcpdump.log" "${3:-}" || return 1
	if [ "$status" -ne 0 ]; then
		echo "FAIL live ($name): the meter exited with status $status:"
		cat "$WORK/$name.log"
		return 1
	fi
	grep -q "XDP program $2\b" "$WORK/$name.log" ||
		{ echo "FAIL live ($name): not metered by $2: $(grep 'XDP program' "$WORK/$name.log")"; return 1; }
	echo "live ($name, $2, --schema ${SCHEMA[$name]}):"
	"$BIN" -q --precision 17 --labels "$LABELS" --schema "${SCHEMA[$name]}" -r "$WORK/$name.pcap" \
		-o "$WORK/$name.offline.csv"
	local expect= cic=
	case $name in client | server) expect=web4,web6,dns4,iperf,ping4 ;; esac
	case ${SCHEMA[$name]} in cic) cic=--cic ;; esac
	$PY tests/live/compare_live.py "$WORK/$name.offline.csv" "$WORK/$name.csv" --stats "$WORK/$name.json" \
		--only "$SRV4,$CLI4,$SRV6,$CLI6,127.0.0.1,::1" --expect-labels "$expect" $cic
}

start_side client "$CLI_NS" "$CLI_IF" 0
start_side server "$SRV_NS" "$SRV_IF" 1 cic
sleep 0.3

client_traffic in_cli

sleep 0.5
fail=0
stop_and_compare client afm_xdp || fail=1
stop_and_compare server afm_xdp_compat_detail || fail=1

# Frames larger than a page: a 9000-byte MTU and TCP segmentation offload give the
# receiving end frames of up to 64 KiB in several buffers (multi-buffer XDP), whose
# whole length the meter must count, as tcpdump does.
# Client and server on one CPU: packets processed on two CPUs at once may reach the
# XDP hook and tcpdump's tap in different orders, and the length deltas would differ.
ip -n "$SRV_NS" link set "$SRV_IF" mtu 9000
ip -n "$CLI_NS" link set "$CLI_IF" mtu 9000
bg in_srv taskset -c 0 iperf3 -s -B "$SRV4" -p 5209 >/dev/null 2>&1
for _ in $(seq 100); do in_srv ss -ltn | grep -q ':5209 ' && break; sleep 0.05; done
start_side jumbo "$SRV_NS" "$SRV_IF" 0
in_cli taskset -c 0 iperf3 -c "$SRV4" -p 5209 -t 1 >/dev/null
sleep 0.5
stop_and_compare jumbo afm_xdp || fail=1
big=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "max_packets_len") c = i; next }
	$c > m { m = $c } END { print m + 0 }' "$WORK/jumbo.csv")
if [ "$big" -gt 9014 ]; then
	echo "ok   live: frames of up to $big bytes (several buffers) counted whole"
else
	echo "FAIL live: no frame larger than the MTU was seen (largest $big): the multi-buffer path is untested"
	fail=1
fi
# Loopback: what lo sends it receives, so both hooks would see each packet; the meter
# attaches XDP only, and must equal tcpdump on lo, flow for flow (tcpdump shows each
# packet once too). In the CIC schema (docs/CIC.md): the kernel's detailed samples,
# every cic column against -r on the capture.
bg in_cli /usr/bin/python3 -m http.server 8081 --bind :: --directory "$WORK/www" >/dev/null 2>&1
bg in_cli /usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.1 --address=/example.test/127.0.0.1 --pid-file="$WORK/dnsmasq-lo.pid" \
	--user=root --log-facility=- >/dev/null 2>&1
for _ in $(seq 100); do in_cli ss -ltn | grep -q ':8081 ' && in_cli ss -lun | grep -q '127.0.0.1:53 ' && break; sleep 0.05; done
start_side loopback "$CLI_NS" lo 0 cic
grep -q "metering lo: generic XDP ingress (a loopback interface: what it sends, it receives)" "$WORK/loopback.log" ||
	{ echo "FAIL live: lo: $(grep metering "$WORK/loopback.log")"; fail=1; }
for f in index.html small.bin large.bin missing.html; do
	in_cli curl -s -o /dev/null "http://127.0.0.1:8081/$f"
	in_cli curl -s -o /dev/null -g "http://[::1]:8081/$f"
done
for n in one two; do in_cli dig +short +time=2 @127.0.0.1 "$n.example.test" A >/dev/null; done
in_cli ping -q -c 3 -i 0.2 127.0.0.1 >/dev/null
in_cli ping -q -6 -c 3 -i 0.2 ::1 >/dev/null
sleep 0.5
stop_and_compare loopback afm_xdp_detail lo || fail=1
[ "$fail" -eq 0 ] && rm -rf "$WORK"
exit "$fail"
