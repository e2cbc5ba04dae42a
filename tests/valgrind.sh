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
[ "$fail" -eq 0 ] && echo "valgrind: memcheck clean on $n captures (no errors, no leaks)"
exit "$fail"
