#!/bin/bash
# make-sample.sh - regenerate samples/sample.pcap, the capture that `make run` meters.
#
# Run as root on Debian 12:   sudo samples/make-sample.sh [OUT.pcap]
#
# It builds two network namespaces joined by a veth pair, starts an HTTP server
# (python3 http.server), a DNS server (dnsmasq) and an iperf3 server in one, and
# captures on the other's veth with tcpdump while a client there sends a short,
# fixed script of traffic: ICMP/ICMPv6 pings, DNS queries over IPv4 and IPv6,
# HTTP GETs over IPv4 and IPv6 (200s of three sizes, one 404) and a 1-second
# rate-limited iperf3 TCP test. All traffic stays inside the two namespaces.
#
# It is re-runnable: leftovers of an earlier run are removed first, and an EXIT
# trap stops everything it started and deletes the namespaces, also on failure.
# The output is written to a temporary file and moved into place only when the
# run succeeded and the file is under the size limit.
set -Eeuo pipefail

SRV_NS=afm-sample-srv
CLI_NS=afm-sample-cli
SRV_IF=afm-sample-s0
CLI_IF=afm-sample-c0
SRV_MAC=02:00:0a:c8:00:01
CLI_MAC=02:00:0a:c8:00:02
SRV4=10.200.0.1
CLI4=10.200.0.2
SRV6=fd00:200::1
CLI6=fd00:200::2
SNAPLEN=256                     # headers plus some payload; wire lengths are kept
MAX_BYTES=$((300 * 1024))       # the bundled file must stay under 300 KiB

SAMPLES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$SAMPLES_DIR/sample.pcap}
OUT_TMP="$OUT.tmp.$$"
NETNS_ETC=/etc/netns/$CLI_NS    # `ip netns exec` bind-mounts its resolv.conf
WORK=""
PIDS=()

log() { printf 'make-sample: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- cleanup -----------------------------------------------------------------
kill_ns_procs() {       # end the processes left inside one of our namespaces
	local ns=$1 pid
	ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
	done
	sleep 0.3
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

teardown() {
	local pid ns
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
	for ns in "$CLI_NS" "$SRV_NS"; do
		kill_ns_procs "$ns"
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$NETNS_ETC"
	rmdir /etc/netns 2>/dev/null || true     # only if we left it empty
}

on_exit() {
	local rc=$?
	trap - EXIT
	set +e
	if [ "$rc" -ne 0 ] && [ -n "$WORK" ] && [ -d "$WORK" ]; then
		for f in "$WORK"/*.log; do
			[ -s "$f" ] || continue
			log "--- $(basename "$f") (last lines) ---"
			tail -n 15 "$f" >&2
		done
	fi
	teardown
	rm -f "$OUT_TMP"
	[ -n "$WORK" ] && rm -rf "$WORK"
	if [ "$rc" -ne 0 ]; then
		log "failed (exit $rc); $OUT left unchanged"
	fi
	exit "$rc"
}

# ---- prerequisites -----------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, tcpdump)"

need_pkgs=()
need() {        # need PATH-OR-COMMAND PACKAGE
	if [[ $1 == /* ]]; then [ -x "$1" ] && return 0
	else command -v "$1" >/dev/null 2>&1 && return 0; fi
	need_pkgs+=("$2")
}
need ip iproute2
need ss iproute2
need /usr/bin/python3 python3
need tcpdump tcpdump
need iperf3 iperf3
need /usr/sbin/dnsmasq dnsmasq-base
need dig dnsutils
need curl curl
need ping iputils-ping
need ethtool ethtool
if [ ${#need_pkgs[@]} -gt 0 ]; then
	mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
	log "installing: ${need_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# ---- set up ------------------------------------------------------------------
# One run at a time: runs share the namespace names. Fd 9 holds the lock and is
# closed for every command started below, so that a leftover server of a run
# that was killed (SIGKILL: no trap) does not keep the lock.
exec 9> /run/lock/afm-make-sample.lock
if ! flock -n 9; then            # a concurrent run, or a killed run's last `sleep`
	log "waiting for another make-sample.sh to finish"
	flock -w 60 9 || die "another make-sample.sh is still running"
fi

trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of an earlier run that was killed before its trap could run.
teardown
rm -rf /tmp/afm-sample.??????
rm -f "$OUT".tmp.*
WORK=$(mktemp -d /tmp/afm-sample.XXXXXX)

in_srv() { ip netns exec "$SRV_NS" "$@" 9>&-; }
in_cli() { ip netns exec "$CLI_NS" "$@" 9>&-; }

log "creating namespaces $SRV_NS and $CLI_NS"
ip netns add "$SRV_NS"
ip netns add "$CLI_NS"
ip link add "$SRV_IF" netns "$SRV_NS" address "$SRV_MAC" type veth \
	peer name "$CLI_IF" netns "$CLI_NS" address "$CLI_MAC"

setup_if() {    # setup_if NS IF ADDR4 ADDR6
	local ns=$1 ifc=$2
	# No router solicitations or link-local DAD, and the MLD reports sent on
	# link up are over in a few ms: keep that background noise out.
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.router_solicitations=0" \
		"net.ipv6.conf.$ifc.accept_dad=0" "net.ipv6.conf.$ifc.accept_ra=0" \
		"net.ipv6.conf.$ifc.mldv2_unsolicited_report_interval=10" \
		"net.ipv6.conf.$ifc.mldv1_unsolicited_report_interval=10"
	# Segment and checksum in software, so the capture holds real MTU-sized
	# packets with correct checksums (veth would otherwise pass 64 KiB GSO
	# super-packets and leave checksums unfilled).
	ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off \
		>/dev/null 2>&1 || log "warning: ethtool -K $ifc failed; offloads left on"
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$3/24" dev "$ifc"
	ip -n "$ns" addr add "$4/64" dev "$ifc" nodad
	ip -n "$ns" link set "$ifc" up
}
setup_if "$SRV_NS" "$SRV_IF" "$SRV4" "$SRV6"
setup_if "$CLI_NS" "$CLI_IF" "$CLI4" "$CLI6"
# Static IPv6 neighbours: without them the server's Neighbor Advertisement would
# be the first packet of the client<->server ICMPv6 flow (same key as the
# pings) and the meter would show the ping flow as started by the server. ARP
# is left dynamic, so the capture still holds two non-IP frames.
ip -n "$CLI_NS" neigh replace "$SRV6" lladdr "$SRV_MAC" nud permanent dev "$CLI_IF"
ip -n "$SRV_NS" neigh replace "$CLI6" lladdr "$CLI_MAC" nud permanent dev "$SRV_IF"

# The client resolves names through the server's dnsmasq.
mkdir -p "$NETNS_ETC"
printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$SRV4" > "$NETNS_ETC/resolv.conf"

# ---- content served over HTTP -------------------------------------------------
WWW=$WORK/www
mkdir -p "$WWW"
cat > "$WWW/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>app-flow-meter sample</title></head>
<body><p>Test page for the app-flow-meter sample capture.</p>
<ul><li><a href="small.txt">small.txt</a> (1 KiB)</li>
<li><a href="medium.bin">medium.bin</a> (20 KiB)</li>
<li><a href="large.bin">large.bin</a> (200 KiB)</li></ul></body></html>
EOF
fill() {        # fill FILE BYTES: deterministic content
	yes 'app-flow-meter sample payload 0123456789 abcdefghijklmnopqrstuvwxyz' |
		head -c "$2" > "$1" || true
	[ "$(stat -c %s "$1")" -eq "$2" ] || die "could not write $1"
}
fill "$WWW/small.txt" 1024
fill "$WWW/medium.bin" $((20 * 1024))
fill "$WWW/large.bin" $((200 * 1024))

# ---- servers -----------------------------------------------------------------
bg() {          # bg NS LOGNAME CMD...: start in NS in the background, remember the pid
	local ns=$1 name=$2; shift 2
	ip netns exec "$ns" "$@" > "$WORK/$name.log" 2>&1 9>&- &
	PIDS+=($!)      # `ip netns exec` execs CMD, so this is CMD's own pid
}

log "starting servers in $SRV_NS"
bg "$SRV_NS" http /usr/bin/python3 -m http.server 80 --bind :: --directory "$WWW"
bg "$SRV_NS" dnsmasq /usr/sbin/dnsmasq --no-daemon --no-resolv --no-hosts \
	--bind-interfaces --listen-address="$SRV4" --listen-address="$SRV6" \
	--pid-file="$WORK/dnsmasq.pid" -u root \
	--log-queries --log-facility=- \
	--address=/example.test/"$SRV4" --address=/example.test/"$SRV6" \
	--host-record=www.example.test,"$SRV4","$SRV6" \
	--host-record=files.example.test,"$SRV4","$SRV6" \
	--host-record=iperf.example.test,"$SRV4" \
	--host-record=client.example.test,"$CLI4","$CLI6" \
	--local=/nowhere.test/
bg "$SRV_NS" iperf3 iperf3 -s -1 -B "$SRV4"

wait_for() {    # wait_for DESCRIPTION CMD...: poll up to 10 s
	local what=$1 _; shift
	for _ in $(seq 100); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	die "timed out waiting for $what"
}
listening() {   # listening tcp|udp PORT ADDR
	in_srv ss -Hln --"$1" "sport = :$2" | grep -qF "$3"
}
wait_for "HTTP server" listening tcp 80 ':80'
wait_for "dnsmasq (IPv4)" listening udp 53 "$SRV4"
wait_for "dnsmasq (IPv6)" listening udp 53 "$SRV6"
wait_for "iperf3 server" listening tcp 5201 "$SRV4"

# ---- capture -----------------------------------------------------------------
# The carrier comes up through the kernel's link watch, up to a second after
# `link set up`, and IPv6 then sends its MLD reports: let that pass before
# capturing, so the capture holds only the client's traffic.
link_up() { [ "$(ip -n "$1" -o link show dev "$2" | grep -o 'state [A-Z]*')" = "state UP" ]; }
wait_for "$SRV_IF to be up" link_up "$SRV_NS" "$SRV_IF"
wait_for "$CLI_IF to be up" link_up "$CLI_NS" "$CLI_IF"
sleep 1
log "capturing on $CLI_IF in $CLI_NS"
bg "$CLI_NS" tcpdump tcpdump -i "$CLI_IF" -p -U -s "$SNAPLEN" -Z root -w "$OUT_TMP"
TCPDUMP_PID=${PIDS[-1]}
wait_for "tcpdump to start capturing" grep -q 'listening on' "$WORK/tcpdump.log"
sleep 0.5

step() { log "client: $*"; }
pause() { sleep 0.3; }

step "ping IPv4 and IPv6"
in_cli ping -n -c 5 -i 0.2 "$SRV4" > "$WORK/ping4.log"
pause
in_cli ping -n -6 -c 3 -i 0.5 "$SRV6" > "$WORK/ping6.log"
pause

step "DNS queries"
dns() {         # dns SERVER NAME TYPE EXPECTED-STATUS
	local st
	st=$(in_cli dig +tries=1 +time=2 @"$1" "$2" "$3" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	[ "$st" = "$4" ] || die "dig @$1 $2 $3: status '$st', expected $4"
	printf '%s %s %s -> %s\n' "$1" "$2" "$3" "$st" >> "$WORK/dig.log"
	pause
}
dns "$SRV4" www.example.test A NOERROR
dns "$SRV4" files.example.test AAAA NOERROR
dns "$SRV4" api.example.test A NOERROR
dns "$SRV6" www.example.test AAAA NOERROR
dns "$SRV6" iperf.example.test A NOERROR
dns "$SRV4" missing.nowhere.test A NXDOMAIN

step "HTTP GETs"
get() {         # get URL EXPECTED-CODE [curl options...]
	local url=$1 want=$2 got; shift 2
	got=$(in_cli curl -sS -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' "$@" "$url")
	printf '%s -> %s\n' "$url" "$got" >> "$WORK/curl.log"
	[ "${got%% *}" = "$want" ] || die "GET $url: got '$got', expected $want"
	pause
}
get "http://$SRV4/" 200
get "http://$SRV4/small.txt" 200
get "http://$SRV4/medium.bin" 200
get "http://$SRV4/large.bin" 200
get "http://$SRV4/no-such-page.html" 404
get "http://[$SRV6]/index.html" 200
get "http://[$SRV6]/medium.bin" 200
get "http://[$SRV6]/large.bin" 200
get "http://www.example.test/small.txt" 200         # resolved through dnsmasq: A + AAAA
get "http://files.example.test/medium.bin" 200 -4   # A only, over IPv4

step "iperf3 (TCP, 1 s at 2 Mbit/s)"
in_cli iperf3 -c "$SRV4" -t 1 -b 2M > "$WORK/iperf3-client.log"
pause

sleep 1                         # let the last FIN/ACKs pass
step "stopping tcpdump"
kill -INT "$TCPDUMP_PID"
rc=0; wait "$TCPDUMP_PID" || rc=$?
[ "$rc" -eq 0 ] || die "tcpdump exited with status $rc"
keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$TCPDUMP_PID" ] || keep+=("$p"); done
PIDS=("${keep[@]}")
grep -E 'packets (captured|received|dropped)' "$WORK/tcpdump.log" | sed 's/^/make-sample: tcpdump: /' >&2
if grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$WORK/tcpdump.log"; then
	die "tcpdump dropped packets"
fi

# ---- check and install --------------------------------------------------------
size=$(stat -c %s "$OUT_TMP")
[ "$size" -gt 24 ] || die "capture is empty"
[ "$size" -lt "$MAX_BYTES" ] || die "capture is $size bytes, over the $MAX_BYTES-byte limit"
chmod 0644 "$OUT_TMP"
mv -f "$OUT_TMP" "$OUT"
log "wrote $OUT ($size bytes)"
