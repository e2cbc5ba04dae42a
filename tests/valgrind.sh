#!/usr/bin/env bash
# valgrind memcheck over the offline path on every capture of the shared corpus: no
# invalid read or write, no use of uninitialised memory, no leak (definite, indirect
# or possible), with the extended schema so that every column is computed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/app-flow-meter}
PCAPS=${PCAPS:-../shared/pcaps}
fail=0 n=0
for cap in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng; do
	[ -e "$cap" ] || continue
	n=$((n + 1))
	if ! out=$(valgrind -q --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
		"$BIN" -q --schema extended -r "$cap" -o /dev/null 2>&1); then
		echo "FAIL valgrind: $(basename "$cap"):"
		echo "$out" | head -40
		fail=1
	fi
done
# The export path: the whole corpus as one run (a directory, merged by time) into JSON
# lines and IPFIX over TCP to a local socket, every record sent.
out_dir=$(mktemp -d)
trap 'kill "$COLL_PID" 2>/dev/null || true; rm -rf "$out_dir"' EXIT
coproc COLL { exec /usr/bin/python3 tests/export/collector.py tcp "$out_dir/ipfix"; }
read -r port <&"${COLL[0]}"
if ! out=$(valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
	"$BIN" -q --schema extended -r "$PCAPS" -o "$out_dir/flows.jsonl" --format jsonl \
	--ipfix "tcp://127.0.0.1:$port" --stats-json "$out_dir/stats.json" 2>&1); then
	echo "FAIL valgrind: the export path (-r $PCAPS --format jsonl --ipfix tcp):"
	echo "$out" | head -40
	fail=1
elif ! /usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(c["export_sent"] != c["rows_written"] or c["export_lost"])' \
	"$out_dir/stats.json"; then
	echo "FAIL valgrind: the export path: not every record was sent ($(cat "$out_dir/stats.json"))"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "valgrind: memcheck clean on $n captures and on the export path (no errors, no leaks)"
exit "$fail"
