#!/usr/bin/env bash
# The meter's IPFIX into collectors that exist, started here for real inside a test
# namespace (their addresses are its 127.0.0.1):
# - pmacct's nfacctd with the contrib files as they are (contrib/pmacct: a tee daemon
#   and two writers) into a throw-away PostgreSQL cluster; the view afm_flows must
#   equal the CSV of the same run, every column nfacctd carries, for every shared
#   capture and for live traffic between the namespace's real servers and clients;
# - nfdump's nfcapd: `nfdump -R` must show each flow's addresses, ports, protocol,
#   packets and bytes each way, first and last seen, equal to the CSV.
# Needs root (namespaces, live metering, PostgreSQL run as its own user).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${BIN:-build/app-flow-meter}")
PCAPS=$(realpath "${PCAPS:-../shared/pcaps}")
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "collectors: skipped (needs root for namespaces, live metering and PostgreSQL)"
	exit 0
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
for tool in nfacctd nfcapd nfdump psql "$PGBIN/initdb"; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: collectors: $tool is missing (make deps installs pmacct, nfdump, postgresql)"
		exit 1
	fi
done

# shellcheck source=tests/live/netns.sh
source tests/live/netns.sh
chmod 755 "$WORK"	# PostgreSQL's own user keeps its cluster in here
PG=$WORK/pg
DAEMONS=()
cleanup() {
	# nfacctd takes minutes to end on SIGTERM (its tee plugin): each one's process
	# group (the core and its plugins) is killed
	local d
	for d in "${DAEMONS[@]}"; do kill -KILL -- "-$d" 2>/dev/null || true; done
	[ -d "$PG/data" ] && in_srv runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m immediate stop \
		>/dev/null 2>&1 || true
	netns_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "FAIL: collectors: $*"
	exit 1
}

netns_setup
servers_start

# PostgreSQL on the namespace's 127.0.0.1:5432, as contrib/pmacct expects it
mkdir -p "$PG" && chown postgres "$PG"
runuser -u postgres -- "$PGBIN/initdb" -D "$PG/data" -A trust -U postgres >"$PG/initdb.log" 2>&1 ||
	fail "initdb: $(tail -3 "$PG/initdb.log")"
in_srv runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/log" -w \
	-o "-c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=$PG" start >/dev/null ||
	fail "PostgreSQL did not start: $(tail -3 "$PG/log")"
sql() { in_srv psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "$@"; }
sql postgres -c "CREATE ROLE afm LOGIN PASSWORD 'afm'" -c "CREATE DATABASE afm OWNER afm"
sql afm -d afm -f contrib/pmacct/afm.sql

# nfacctd x3 in contrib/pmacct, with its files as they are
for d in tee a b; do
	(cd contrib/pmacct && exec setsid ip netns exec "$SRV_NS" nfacctd -f "nfacctd-$d.conf") >"$WORK/nfacctd-$d.log" 2>&1 &
	DAEMONS+=("$!")
	PIDS+=("$!")
done
for d in tee a b; do wait_for_text "$WORK/nfacctd-$d.log" "waiting for NetFlow/IPFIX data"; done
mkdir -p "$WORK/nfcapd"
ip netns exec "$SRV_NS" nfcapd -w "$WORK/nfcapd" -b 127.0.0.1 -p 9995 -B 16777216 >"$WORK/nfcapd.log" 2>&1 &
NFCAPD=$!
PIDS+=("$NFCAPD")
wait_for_text "$WORK/nfcapd.log" "Startup"

sql_count() { in_srv psql -X -t -A -h 127.0.0.1 -U afm -d afm -c "$1"; }
# A round of runs: wait until every table of pmacct's has their rows (within nfacctd's
# sql_refresh_time), compare the view with their CSVs, empty the tables.
ROUND=()
end_round() {
	local want=0 f i t got
	[ ${#ROUND[@]} -gt 0 ] || return 0
	for f in "${ROUND[@]}"; do want=$((want + $(wc -l <"$f") - 1)); done
	for i in $(seq 120); do
		got=$(sql_count "SELECT least((SELECT count(*) FROM afm_flows_1), (SELECT count(*) FROM afm_flows_2),
			(SELECT count(*) FROM afm_flows_3), (SELECT count(*) FROM afm_flows_4))")
		[ "$got" -ge "$want" ] && break
		sleep 0.5
	done
	in_srv psql -X -h 127.0.0.1 -U afm -d afm --csv -c "SELECT * FROM afm_flows" >"$WORK/afm_flows.csv"
	"$PY" tests/export/compare_collectors.py pmacct "$WORK/afm_flows.csv" "${ROUND[@]}" ||
		fail "pmacct's table differs from the CSV (nfacctd's logs: $WORK/nfacctd-*.log)"
	sql afm -d afm -c "TRUNCATE afm_flows_1, afm_flows_2, afm_flows_3, afm_flows_4"
	rm -f "$WORK/round.keys"
	ROUND=()
}

# export RUN_DIR PORT CAPTURE NAME: a run to a collector, every record sent
export_capture() {
	in_srv "$BIN" -q -r "$3" --schema extended --precision 17 --label "$4" -o "$WORK/$1/$4.csv" \
		--ipfix "udp://127.0.0.1:$2" --stats-json "$WORK/$1/$4.json" 2>>"$WORK/meter.log" ||
		fail "the meter failed on $4: $(tail -3 "$WORK/meter.log")"
	"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(s["export_sent"] != s["rows_written"] or s["export_lost"])' \
		"$WORK/$1/$4.json" || fail "$4: not every record was sent (port $2)"
}

# every shared capture, to each collector. Two captures hold the same flows: pmacct's
# tables, joined by the flow's key, take such runs in separate rounds.
mkdir -p "$WORK/pm" "$WORK/nf"
n=0
for cap in "$PCAPS"/*.pcap*; do
	name=$(basename "$cap")
	export_capture nf 9995 "$cap" "$name"
	"$BIN" -q -r "$cap" --schema extended --precision 17 --label "$name" -o "$WORK/pm/$name.csv" 2>>"$WORK/meter.log"
	if ! "$PY" tests/export/compare_collectors.py collides "$WORK/round.keys" "$WORK/pm/$name.csv"; then
		end_round
		"$PY" tests/export/compare_collectors.py collides "$WORK/round.keys" "$WORK/pm/$name.csv" ||
			fail "$name holds one flow key twice"
	fi
	export_capture pm 4739 "$cap" "$name"
	ROUND+=("$WORK/pm/$name.csv")
	n=$((n + 1))
done
end_round

# live: the meter on the server's veth (ip netns exec execs it: the signal reaches it),
# real clients, records to the same nfacctd
ip netns exec "$SRV_NS" "$BIN" -i "$SRV_IF" --schema extended --precision 17 --label live -o "$WORK/pm/live.csv" \
	--ipfix udp://127.0.0.1:4739 --stats-interval 0 --stats-json "$WORK/pm/live.json" 2>"$WORK/live.log" &
METER=$!
PIDS+=("$METER")
wait_for_text "$WORK/live.log" "metering"
client_traffic in_cli
sleep 0.5
kill -INT "$METER"
wait "$METER" || fail "the live meter failed: $(tail -3 "$WORK/live.log")"
live=$(($(wc -l <"$WORK/pm/live.csv") - 1))
[ "$live" -gt 20 ] || fail "live: only $live flows"
ROUND=("$WORK/pm/live.csv")
end_round

kill -TERM "$NFCAPD"
wait "$NFCAPD" 2>/dev/null || true
TZ=UTC nfdump -R "$WORK/nfcapd" -6 -N -q -o 'fmt:%ts,%te,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%opkt,%obyt' >"$WORK/nfdump.txt" ||
	fail "nfdump could not read nfcapd's files"
"$PY" tests/export/compare_collectors.py nfdump "$WORK/nfdump.txt" "$WORK"/nf/*.csv || fail "nfdump differs from the CSV"
echo "collectors: $n captures and $live live flows through pmacct into PostgreSQL, $n captures through nfcapd: equal to the CSV"
