#!/usr/bin/env bash
# Live soak: the meter on one end of a veth pair for SOAK_SECONDS (default 60) while
# bench/blaster churns through short UDP flows (SOAK_PPS frames/s, default 20000,
# SOAK_PKTS_PER_FLOW frames each, default 4: 5,000 new flows/s) and a curl loop makes
# real TCP connections. With --idle-timeout 1 flows end during the run. Checks:
# 1. RSS stays flat: sampled every 2 s; the largest sample of the second half must not
#    exceed the sample at the end of the first quarter by more than RSS_MARGIN_MIB
#    (default 8 MiB). By then the open-flow set is long at its steady size, so what
#    grows after is a leak: 8 MiB is ~37 bytes per flow over the last three quarters
#    of a 60 s run (225,000 flows), far less than any per-flow allocation, and far
#    more than the allocator's noise (a few hundred KiB, see the curve). (A free()
#    that does nothing, LD_PRELOADed, grows RSS ~2 MiB/s at these defaults.)
# 2. Every flow becomes exactly one row: the blaster's flows, each with exactly the
#    frames and bytes it was sent, and every curl connection.
# 3. No losses: lost_total 0, packets = metered + skipped + lost, and the rows account
#    for every metered packet. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${BIN:-build/app-flow-meter}")
BLASTER=$(realpath "${BLASTER:-build/bench/blaster}")
SECS=${SOAK_SECONDS:-60}
PPS=${SOAK_PPS:-20000}
PER_FLOW=${SOAK_PKTS_PER_FLOW:-4}
INFLIGHT=${SOAK_INFLIGHT:-100} # flows in flight at a time, their frames interleaved
RSS_MARGIN_MIB=${RSS_MARGIN_MIB:-8}
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "soak: skipped (needs root to create namespaces and load BPF)"
	exit 0
fi
# shellcheck source=tests/live/netns.sh
source tests/live/netns.sh
trap 'netns_cleanup; [ ! -d "$WORK" ] || echo "soak: the files are kept in $WORK" >&2' EXIT
fail() {
	echo "FAIL soak: $*" >&2
	exit 1
}

netns_setup
servers_start

# The meter where the servers are: blaster frames arrive on XDP, curl goes both ways.
# (ip netns exec execs: $! is the meter itself, for /proc/PID and the signal; not in_srv,
# a function, whose $! would be a subshell)
ip netns exec "$SRV_NS" "$BIN" -i "$SRV_IF" --schema extended --idle-timeout 1 -o "$WORK/soak.csv" \
	--stats-json "$WORK/stats.json" --stats-interval 1 2>"$WORK/meter.log" &
METER=$!
PIDS+=("$METER")
wait_for_text "$WORK/meter.log" "metering $SRV_IF"
sleep 0.3

curl_loop() {
	while [ ! -e "$WORK/stop" ]; do
		echo >>"$WORK/curl.tries"
		in_cli curl -s -o /dev/null --max-time 5 "http://$SRV4/small.bin" || echo >>"$WORK/curl.failed"
		sleep 0.5
	done
}
: >"$WORK/curl.tries"
: >"$WORK/curl.failed"
curl_loop &
CURL=$!
PIDS+=("$CURL")
ip netns exec "$CLI_NS" "$BLASTER" "$CLI_IF" "$SECS" "$INFLIGHT" "$PER_FLOW" "$PPS" >"$WORK/blaster.out" &
BLAST=$!
PIDS+=("$BLAST")
T0=$EPOCHREALTIME

# One sample: seconds since the start, VmRSS in KiB, flows_open from the stats file.
sample() {
	local rss open
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$METER/status" 2>/dev/null) ||
		fail "the meter exited during the run: $(tail -5 "$WORK/meter.log")"
	open=$(grep -o '"flows_open":[0-9]*' "$WORK/stats.json" 2>/dev/null | cut -d: -f2) || open="?"
	printf '%s %s %s\n' "$(awk "BEGIN {printf \"%.1f\", $EPOCHREALTIME - $T0}")" "$rss" "$open" |
		tee -a "$WORK/rss.txt" | awk '{printf "  t=%5.1f s  rss=%6.1f MiB  flows_open=%s\n", $1, $2 / 1024, $3}'
}
echo "soak: $SECS s, $PPS frames/s, $PER_FLOW frames a flow, $INFLIGHT flows in flight, idle timeout 1 s"
while kill -0 "$BLAST" 2>/dev/null; do
	sample
	sleep 2
done
status=0
wait "$BLAST" || status=$?
[ "$status" -eq 0 ] || fail "blaster exited with status $status"
touch "$WORK/stop"
wait "$CURL"
# every flow ends idle (1 s) and is written, before the stop (else: end_reason shutdown)
for _ in $(seq 50); do
	sleep 0.2
	grep -q '"flows_open":0,' "$WORK/stats.json" && break
done
sample
kill -INT "$METER"
status=0
wait "$METER" || status=$?
[ "$status" -eq 0 ] || fail "the meter exited with status $status: $(tail -5 "$WORK/meter.log")"
read -r FRAMES FLOWS <"$WORK/blaster.out"

$PY - "$WORK" "$SECS" "$RSS_MARGIN_MIB" "$FRAMES" "$FLOWS" "$PER_FLOW" "$SRV4" "$CLI4" <<'PYEOF'
import csv, json, sys
work, secs, margin, frames, flows, per_flow = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), *map(int, sys.argv[4:7])
srv, cli = sys.argv[7:9]
errors = []

# 1. RSS
samples = [tuple(float(x) if x != "?" else -1 for x in l.split()) for l in open(work + "/rss.txt")]
q1 = next(s for s in samples if s[0] >= secs / 4)
half = [s for s in samples if s[0] >= secs / 2]
mib = lambda kib: kib / 1024
start, end, peak, late = mib(samples[0][1]), mib(samples[-1][1]), mib(max(s[1] for s in samples)), mib(max(s[1] for s in half))
if late > mib(q1[1]) + margin:
    errors.append("RSS grew: %.1f MiB at t=%.1f s (end of the first quarter), up to %.1f MiB in the "
                  "second half (allowed +%.0f MiB)" % (mib(q1[1]), q1[0], late, margin))

# 2. rows
rows = list(csv.DictReader(open(work + "/soak.csv", newline="")))
expect = {("10.88.%d.%d" % (k >> 8 & 255, k & 255), 20000 + (k >> 16)): k for k in range(flows)}
seen, dups, bad = set(), [], []
for r in rows:
    if not (r["src_ip"].startswith("10.88.") and r["dst_ip"] == "10.89.0.1"):
        continue
    key = (r["src_ip"], int(r["src_port"]))
    if key in seen:
        dups.append(key)
    seen.add(key)
    k = expect.get(key)
    if k is None:
        continue
    want = (per_flow, per_flow, 0, sum(64 + ((k * per_flow + j) * 37) % 961 for j in range(per_flow)), "idle")
    got = (int(r["packets_numbers"]), int(r["receiving_packets_numbers"]), int(r["sending_packets_numbers"]),
           int(r["total_bytes"]), r["end_reason"])
    if got != want:
        bad.append("%s:%d: (packets, receiving, sending, total_bytes, end_reason) %s, sent %s" % (*key, got, want))
blaster_rows = sum(1 for r in rows if r["src_ip"].startswith("10.88."))
if blaster_rows != flows:
    errors.append("%d blaster rows for %d flows sent" % (blaster_rows, flows))
missing = [k for k in expect if k not in seen]
extra = [k for k in seen if k not in expect]
for what, lst in (("flows sent but without a row", missing), ("rows of flows never sent", extra),
                  ("flows written twice", dups), ("rows that differ from what was sent", bad)):
    if lst:
        errors.append("%d %s, e.g. %s" % (len(lst), what, "; ".join(map(str, lst[:5]))))
tries = len(open(work + "/curl.tries").read().split("\n")) - 1
failed = len(open(work + "/curl.failed").read().split("\n")) - 1
http = [r for r in rows if r["ip_protocol"] == "6" and (r["src_ip"], r["dst_ip"], r["dst_port"]) == (cli, srv, "80")]
if failed or len(http) != tries:
    errors.append("curl: %d connections (%d failed), %d rows" % (tries, failed, len(http)))

# 3. counters
s = json.load(open(work + "/stats.json"))
if s["lost_total"] != 0:
    errors.append("losses: %s" % s["lost"])
if s["packets"] != s["metered"] + s["skipped_total"] + s["lost_total"]:
    errors.append("packets %d != metered %d + skipped %d + lost %d" % (
        s["packets"], s["metered"], s["skipped_total"], s["lost_total"]))
if s["rows_written"] != len(rows) or s["rows_lost"] or s["flows_ended_total"] != len(rows):
    errors.append("%d flows ended, %d rows written, %d lost, but %d rows in the CSV"
                  % (s["flows_ended_total"], s["rows_written"], s["rows_lost"], len(rows)))
if sum(int(r["packets_numbers"]) for r in rows) != s["metered"]:
    errors.append("the rows hold %d packets, metered %d" % (sum(int(r["packets_numbers"]) for r in rows), s["metered"]))

print("soak: %d flows and %d frames sent over %.0f s (%.0f frames/s), %d curl connections"
      % (flows, frames, secs, frames / secs, tries))
print("soak: %d rows (%d blaster, %d curl), meter: %d packets, %d metered, %d skipped, %d lost, "
      "at most %d flows open" % (len(rows), blaster_rows, len(http), s["packets"], s["metered"],
                                 s["skipped_total"], s["lost_total"], s["flows_open_max"]))
print("soak: RSS %.1f MiB at start, %.1f MiB at t=%.1f s, %.1f MiB max of the second half, %.1f MiB "
      "max, %.1f MiB at the end; meter ran %.1f s" % (start, mib(q1[1]), q1[0], late, peak, end, s["seconds"]))
for e in errors:
    print("FAIL soak: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
echo "soak: ok"
rm -rf "$WORK"
