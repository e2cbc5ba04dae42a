# Test hosts for the live tests: two network namespaces joined by a veth pair, with
# real servers in one. Source this file; it defines the functions below.
# Addresses: server 10.77.0.1 / fd00:77::1, client 10.77.0.2 / fd00:77::2.

SRV_NS=${SRV_NS:-afm-t-srv-$$}
CLI_NS=${CLI_NS:-afm-t-cli-$$}
SRV_IF=${SRV_IF:-vsrv}
CLI_IF=${CLI_IF:-vcli}
SRV4=10.77.0.1 CLI4=10.77.0.2
SRV6=fd00:77::1 CLI6=fd00:77::2
WORK=${WORK:-$(mktemp -d /tmp/afm-live.XXXXXX)}
PIDS=()

# The reference captures must be timed where the meter times packets. tcpdump's time
# for a received packet is, by default, when it was queued to a CPU's backlog
# (netif_rx); the meter's (generic XDP) is when the stack takes it from there
# (netif_receive_skb), which a busy CPU can leave milliseconds later. With
# netdev_tstamp_prequeue=0 the kernel timestamps it there too, in the same softirq as
# the XDP program. Restored by netns_cleanup.
PREQUEUE_WAS=
same_receive_clock() {
	PREQUEUE_WAS=$(sysctl -n net.core.netdev_tstamp_prequeue)
	sysctl -qw net.core.netdev_tstamp_prequeue=0
}

netns_cleanup() {
	local pid
	[ -z "$PREQUEUE_WAS" ] || sysctl -qw net.core.netdev_tstamp_prequeue="$PREQUEUE_WAS"
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	ip netns pids "$SRV_NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns pids "$CLI_NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$SRV_NS" 2>/dev/null || true
	ip netns del "$CLI_NS" 2>/dev/null || true
}

# What runs in a namespace runs on CPU 0: a flow's packets sent from two CPUs at once
# (the application's, and a softirq's answering an ACK or forwarding) may pass the
# meter's hook and tcpdump's tap in different orders, and then its length deltas
# differ. (The meters and tcpdump are not pinned: they start with ip netns exec.)
in_ns() { taskset -c 0 ip netns exec "$@"; }
in_srv() { in_ns "$SRV_NS" "$@"; }
in_cli() { in_ns "$CLI_NS" "$@"; }

# Start a background command and remember it for the cleanup.
bg() {
	"$@" &
	PIDS+=("$!")
}

netns_setup() {
	ip netns add "$SRV_NS"
	ip netns add "$CLI_NS"
	ip link add "$SRV_IF" netns "$SRV_NS" type veth peer name "$CLI_IF" netns "$CLI_NS"
	for ns in "$SRV_NS" "$CLI_NS"; do
		# no IPv6 autoconfiguration chatter: only the test's traffic on the link
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
		ip -n "$ns" link set lo up
	done
	ip -n "$SRV_NS" addr add "$SRV4/24" dev "$SRV_IF"
	ip -n "$CLI_NS" addr add "$CLI4/24" dev "$CLI_IF"
	ip -n "$SRV_NS" addr add "$SRV6/64" dev "$SRV_IF" nodad
	ip -n "$CLI_NS" addr add "$CLI6/64" dev "$CLI_IF" nodad
	ip -n "$SRV_NS" link set "$SRV_IF" up
	ip -n "$CLI_NS" link set "$CLI_IF" up
	# Known neighbours: no ARP/ND exchanges in the middle of the traffic.
	local smac cmac
	smac=$(ip -n "$SRV_NS" -o link show "$SRV_IF" | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
	cmac=$(ip -n "$CLI_NS" -o link show "$CLI_IF" | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
	ip -n "$CLI_NS" neigh replace "$SRV4" lladdr "$smac" dev "$CLI_IF" nud permanent
	ip -n "$CLI_NS" neigh replace "$SRV6" lladdr "$smac" dev "$CLI_IF" nud permanent
	ip -n "$SRV_NS" neigh replace "$CLI4" lladdr "$cmac" dev "$SRV_IF" nud permanent
	ip -n "$SRV_NS" neigh replace "$CLI6" lladdr "$cmac" dev "$SRV_IF" nud permanent
}

# Servers in the server namespace: HTTP on 80 (v4 and v6), DNS on 53, iperf3 on 5201.
servers_start() {
	mkdir -p "$WORK/www"
	head -c 1024 /dev/urandom >"$WORK/www/small.bin"
	head -c 65536 /dev/urandom >"$WORK/www/medium.bin"
	head -c 400000 /dev/urandom >"$WORK/www/large.bin"
	echo "<html>app-flow-meter test</html>" >"$WORK/www/index.html"
	bg in_srv /usr/bin/python3 -m http.server 80 --bind :: --directory "$WORK/www" \
		>"$WORK/http.log" 2>&1
	bg in_srv /usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$SRV4" --listen-address="$SRV6" --except-interface=lo \
		--address=/example.test/"$SRV4" --address=/example.test/"$SRV6" \
		--pid-file="$WORK/dnsmasq.pid" --user=root --log-facility=- >"$WORK/dns.log" 2>&1
	bg in_srv iperf3 -s -B "$SRV4" >"$WORK/iperf.log" 2>&1
	local i
	for i in $(seq 50); do
		if in_cli curl -s -o /dev/null "http://$SRV4/" 2>/dev/null &&
			in_cli dig +short +time=1 +tries=1 @"$SRV4" a.example.test >/dev/null 2>&1 &&
			in_srv ss -ltn | grep -q ':5201'; then
			return 0
		fi
		sleep 0.1
	done
	echo "servers did not start" >&2
	return 1
}

# stop_tcpdump PID CAPTURE LOG [lo]: stop a tcpdump once it has written all it
# received, and check that it did: its capture is the reference, and a packet it lost
# would read as the meter's error. Packets still in its ring when it stops are lost,
# so it must run with --immediate-mode (else a block waits up to its 1 s timeout), and
# it is stopped once the capture has stopped growing. On a loopback interface it
# receives every packet twice (sent, then received) and writes it once.
stop_tcpdump() {
	local pid=$1 cap=$2 log=$3 per=1 size=-1 i captured received
	[ "${4:-}" = lo ] && per=2
	for i in $(seq 50); do
		[ "$(stat -c %s "$cap")" = "$size" ] && break
		size=$(stat -c %s "$cap")
		sleep 0.2
	done
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	captured=$(sed -n 's/^\([0-9]*\) packets\? captured$/\1/p' "$log")
	received=$(sed -n 's/^\([0-9]*\) packets\? received by filter$/\1/p' "$log")
	if [ -z "$captured" ] || [ $((captured * per)) != "$received" ]; then
		echo "FAIL: tcpdump wrote ${captured:-?} of the ${received:-?} packets it received ($cap): no reference"
		return 1
	fi
}

# Wait until a file mentions a text (a background program is ready).
wait_for_text() {
	local file=$1 text=$2 i
	for i in $(seq 100); do
		grep -q "$text" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$text' in $file:" >&2
	cat "$file" >&2
	return 1
}

# Real clients against the servers: HTTP (v4, v6, several sizes, a 404), DNS (A and
# AAAA over v4 and v6), ping (v4, v6), iperf3 (TCP, then UDP). $1: the command prefix
# that runs a program where the client lives (in_cli, or another namespace's).
client_traffic() {
	local run=$1 f n
	for f in index.html small.bin medium.bin large.bin missing.html; do
		$run curl -s -o /dev/null "http://$SRV4/$f"
		$run curl -s -o /dev/null -g "http://[$SRV6]/$f"
	done
	for n in one two three; do
		$run dig +short +time=2 @"$SRV4" "$n.example.test" A >/dev/null
		$run dig +short +time=2 @"$SRV6" "$n.example.test" AAAA >/dev/null
	done
	$run ping -q -c 4 -i 0.2 "$SRV4" >/dev/null
	$run ping -q -6 -c 3 -i 0.2 "$SRV6" >/dev/null
	$run iperf3 -c "$SRV4" -t 2 -b 50M >/dev/null
	$run iperf3 -c "$SRV4" -u -t 1 -b 4M >/dev/null
}
