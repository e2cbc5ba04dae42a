#!/usr/bin/env bash
# Metering containers (--netns, --pid), for real. Namespaces stand in for the host (H)
# and for containers: C1 on a veth routed by H, C2 on a veth behind a Linux bridge in
# H; the servers live in S, also on the bridge ("outside"), and then in C1 with the
# client outside ("the reverse"). The meter runs in H. Its CSV must equal, flow for
# flow, -r on tcpdump captures of the containers' veth peers in H, where its hooks are
# (counts and lengths exact, times within 1 ms, no flow twice), and -r on captures of
# the containers' own interfaces in every count and packet length (the backlogs of two
# CPUs between there and the peer may reorder and delay packets: tests/live/
# compare_live.py); the containers' interfaces keep their MTU and offloads; deleting a
# container's veth writes its flows and the meter goes on, then exits 0 when nothing
# is left. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${BIN:-build/app-flow-meter}")
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "container: skipped (needs root)"
	exit 0
fi
# shellcheck source=tests/live/netns.sh
source tests/live/netns.sh
H=afm-h-$$ C1=afm-c1-$$ C2=afm-c2-$$ S=afm-s-$$
SRV_NS=$S CLI_NS=$C1 SRV4=10.91.2.10 SRV6=fd00:91:2::10
cleanup() {
	netns_cleanup
	for ns in "$H" "$C1" "$C2" "$S"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap cleanup EXIT
fail=0

in_h() { in_ns "$H" "$@"; }	# on CPU 0 (tests/live/netns.sh)
in_c1() { in_ns "$C1" "$@"; }
in_c2() { in_ns "$C2" "$@"; }
in_s() { in_ns "$S" "$@"; }

# ns IF4 GW4 IF6 GW6 HOSTSIDE: a namespace whose eth0 is a veth to H.
add_host() {
	local ns=$1 a4=$2 g4=$3 a6=$4 g6=$5 peer=$6
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	ip link add "$peer" netns "$H" type veth peer name eth0 netns "$ns"
	ip -n "$ns" addr add "$a4" dev eth0
	ip -n "$ns" addr add "$a6" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$H" link set "$peer" up
	ip -n "$ns" route add default via "$g4"
	ip -n "$ns" -6 route add default via "$g6"
}

ip netns add "$H"
ip -n "$H" link set lo up
in_h sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_ra=0
ip -n "$H" link add br0 type bridge
ip -n "$H" link set br0 up
ip -n "$H" addr add 10.91.2.1/24 dev br0
ip -n "$H" addr add fd00:91:2::1/64 dev br0 nodad
add_host "$C1" 10.91.1.2/24 10.91.1.1 fd00:91:1::2/64 fd00:91:1::1 vh1
ip -n "$H" addr add 10.91.1.1/24 dev vh1
ip -n "$H" addr add fd00:91:1::1/64 dev vh1 nodad
add_host "$C2" 10.91.2.3/24 10.91.2.1 fd00:91:2::3/64 fd00:91:2::1 vh2
add_host "$S" 10.91.2.10/24 10.91.2.1 fd00:91:2::10/64 fd00:91:2::1 vhs
ip -n "$H" link set vh2 master br0
ip -n "$H" link set vhs master br0
sleep 1	# the bridge ports forward

# Containers that cannot be metered: one clear line, exit status 6.
expect_error() {	# expect_error TEXT COMMAND...
	local text=$1 out st=0
	shift
	out=$("$@" 2>&1) || st=$?
	if [ "$st" -eq 6 ] && grep -qF -- "$text" <<<"$out"; then
		echo "ok   container: refused: $text"
	else
		echo "FAIL container: want status 6 and '$text', got $st: $out"
		fail=1
	fi
}
expect_error "no such network namespace" "$BIN" --netns afm-no-such-ns
expect_error "no such process" "$BIN" --pid 999999999
expect_error "its veth peer is not in this meter's network namespace" in_s "$BIN" --netns "$C1"
ip netns add "$S-d"
ip -n "$S-d" link add b0 type bridge
expect_error "b0 in netns $S-d: it is a bridge, not a veth" "$BIN" --netns "$S-d"
ip netns del "$S-d"
expect_error "no such interface there" in_h "$BIN" --netns "$C1" -i eth9
out=$(in_h "$BIN" --netns "$C1" --netns "$C1" 2>&1) && st=0 || st=$?
if [ "$st" -eq 2 ] && grep -qF "vh1 is given twice (two containers share it)" <<<"$out"; then
	echo "ok   container: refused: a container given twice"
else
	echo "FAIL container: a container given twice: status $st: $out"
	fail=1
fi

# The containers' interfaces as they are before any metering.
iface_state() {
	echo "mtu $(ip -n "$1" -o link show eth0 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
	ip netns exec "$1" ethtool -k eth0 | grep -E '^(generic-segmentation|tcp-segmentation|generic-receive)-offload'
}
before1=$(iface_state "$C1")
before2=$(iface_state "$C2")

same_receive_clock
servers_start	# in S: HTTP, DNS, iperf3 (tests/live/netns.sh)

capture() {	# capture NS IFACE FILE LOG: tcpdump on an interface
	ip netns exec "$1" tcpdump -i "$2" -s 256 --immediate-mode -U --time-stamp-precision=nano -w "$3" 2>"$4" &
	PIDS+=("$!")
	wait_for_text "$4" "listening on"
}
capture "$C1" eth0 "$WORK/c1.pcap" "$WORK/td1.log"	# inside the containers
TD1=${PIDS[-1]}
capture "$C2" eth0 "$WORK/c2.pcap" "$WORK/td2.log"
TD2=${PIDS[-1]}
capture "$H" vh1 "$WORK/h1.pcap" "$WORK/th1.log"	# where the meter's hooks are
TH1=${PIDS[-1]}
capture "$H" vh2 "$WORK/h2.pcap" "$WORK/th2.log"
TH2=${PIDS[-1]}

# One container by name, the other by the PID of a process inside it.
ip netns exec "$C2" sleep 600 &	# (exec: $! is the process in C2)
SLEEPER=$!
PIDS+=("$SLEEPER")
ip netns exec "$H" "$BIN" --netns "$C1" --pid "$SLEEPER" --precision 17 --schema extended -o "$WORK/live.csv" \
	--stats-json "$WORK/live.json" 2>"$WORK/meter.log" &
METER=$!
PIDS+=("$METER")
wait_for_text "$WORK/meter.log" "metering vh2"
during1=$(iface_state "$C1")
sleep 0.3

client_traffic in_c1	# containers as clients of servers outside
client_traffic in_c2
# The reverse: servers in C1, a client outside.
bg in_c1 /usr/bin/python3 -m http.server 8080 --bind 10.91.1.2 --directory "$WORK/www" >/dev/null 2>&1
bg in_c1 iperf3 -s -p 5202 >/dev/null 2>&1
sleep 0.5
for f in index.html medium.bin large.bin; do in_s curl -s -o /dev/null "http://10.91.1.2:8080/$f"; done
in_s iperf3 -c 10.91.1.2 -p 5202 -t 1 -b 20M >/dev/null

sleep 0.5
kill -TERM "$METER"
st=0
wait "$METER" || st=$?
for td in "$TD1 c1 td1" "$TD2 c2 td2" "$TH1 h1 th1" "$TH2 h2 th2"; do
	read -r pid cap log <<<"$td"
	stop_tcpdump "$pid" "$WORK/$cap.pcap" "$WORK/$log.log" || exit 1
done
if [ "$st" -ne 0 ]; then
	echo "FAIL container: the meter exited with status $st:"
	cat "$WORK/meter.log"
	exit 1
fi

# What -r gives on the captures: at the hooks (h1, h2) and inside the containers (c1, c2).
for c in h1 h2 c1 c2; do "$BIN" -q --precision 17 -r "$WORK/$c.pcap" -o "$WORK/off-$c.csv"; done
{ cat "$WORK/off-h1.csv"; tail -n +2 "$WORK/off-h2.csv"; } >"$WORK/offline-hooks.csv"
{ cat "$WORK/off-c1.csv"; tail -n +2 "$WORK/off-c2.csv"; } >"$WORK/offline-inside.csv"
addrs=10.91.1.2,10.91.2.3,10.91.2.10,fd00:91:1::2,fd00:91:2::3,fd00:91:2::10
if $PY tests/live/compare_live.py "$WORK/offline-hooks.csv" "$WORK/live.csv" --stats "$WORK/live.json" \
	--only "$addrs" | sed 's/^live:/container, at the hooks:/'; then :; else fail=1; fi
if $PY tests/live/compare_live.py "$WORK/offline-inside.csv" "$WORK/live.csv" --order-free \
	--only "$addrs" | sed 's/^live:/container, inside:/'; then :; else fail=1; fi

# The interface column names where each flow was seen: C1's or C2's veth peer.
if $PY - "$WORK/live.csv" "vh1/netns $C1/eth0" "vh2/pid $SLEEPER/eth0" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = {"10.91.1.2": sys.argv[2], "fd00:91:1::2": sys.argv[2], "10.91.2.3": sys.argv[3], "fd00:91:2::3": sys.argv[3]}
bad = [(r["flow_id"], r["interface"]) for r in rows
       for a in (r["src_ip"], r["dst_ip"]) if a in want and r["interface"] != want[a]]
print(("FAIL container: interface column: %s" % bad[:3]) if bad else
      "ok   container: the interface column names each flow's container (%d rows)" % len(rows))
sys.exit(1 if bad else 0)
PYEOF
then :; else fail=1; fi

after1=$(iface_state "$C1")
after2=$(iface_state "$C2")
for when in during after; do
	eval "now=\$${when}1"
	if [ "$now" != "$before1" ]; then
		echo "FAIL container: C1's eth0 changed ($when metering): $before1 -> $now"
		fail=1
	fi
done
[ "$after2" = "$before2" ] || { echo "FAIL container: C2's eth0 changed: $before2 -> $after2"; fail=1; }
[ "$fail" -ne 0 ] || echo "ok   container: MTU and offloads of the containers' interfaces unchanged ($(echo $before1 | head -c 60)...)"

# A container goes away while metered: its flows are written, the meter goes on.
ip netns exec "$H" "$BIN" --netns "$C1" --netns "$C2" -o "$WORK/gone.csv" 2>"$WORK/gone.log" &
METER=$!
PIDS+=("$METER")
wait_for_text "$WORK/gone.log" "metering vh2"
in_c1 ping -q -c 3 -i 0.1 "$SRV4" >/dev/null
ip -n "$H" link del vh1
wait_for_text "$WORK/gone.log" "open flows written"
in_c2 ping -q -c 3 -i 0.1 "$SRV4" >/dev/null	# still metered
sleep 0.3
ip -n "$H" link del vh2	# the last one: the meter ends by itself
st=0
timeout 10 tail --pid="$METER" -f /dev/null || true
wait "$METER" || st=$?
if [ "$st" -eq 0 ] && grep -q "vh1 (netns $C1, eth0) is gone" "$WORK/gone.log" &&
	grep -q "^[^,]*--10.91.1.2--0--10.91.2.10--0," "$WORK/gone.csv" &&
	grep -q "^[^,]*--10.91.2.3--0--10.91.2.10--0," "$WORK/gone.csv"; then
	echo "ok   container: a deleted veth's flows are written, the meter goes on, then exits 0"
else
	echo "FAIL container: after deleting the veths: status $st, log:"
	cat "$WORK/gone.log"
	cut -d, -f1 "$WORK/gone.csv"
	fail=1
fi
exit "$fail"
