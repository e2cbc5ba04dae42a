#!/usr/bin/env bash
# Every capture of the shared corpus through the meter and through the independent
# reference (tests/ref/afm_ref.py), compared column by column (all 118 of the extended
# schema, and the first packets' 36) at relative 1e-9, with
# the default timeouts and with short ones that exercise every ending rule; then the
# same with the CIC schemas of docs/CIC.md (the 94 of cic, with short timeouts and the
# first packets' 12 too, and the published headers of cic-ids2017 and cic-ids2018); the
# packet accounting (read, metered, skipped by reason, flows) must agree too.
# As root, each capture also goes through the kernel's XDP program (--via-xdp): its
# CSV and accounting must be identical to the user-space parser's.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-build/app-flow-meter}
PCAPS=${PCAPS:-../shared/pcaps}
PY=/usr/bin/python3
OUT=${OUT:-build/corpus}
mkdir -p "$OUT"

shopt -s nullglob
captures=("$PCAPS"/*.pcap "$PCAPS"/*.pcapng)
if [ ${#captures[@]} -eq 0 ]; then
	echo "corpus: no captures in $PCAPS (the shared corpus must be beside the clone)" >&2
	exit 1
fi

# The comparer must catch a real difference, or its agreement means nothing.
$PY -m unittest -q tests/ref/test_ref.py 2>"$OUT/ref-selftest.log" || { echo "corpus: the reference self-tests fail:" >&2; cat "$OUT/ref-selftest.log" >&2; exit 1; }

# The first two with the extended schema: the 78 columns and the 35 of docs/COLUMNS.md;
# the second with the first 12 packets of each flow as columns too (--first-packets).
# Then the CIC schemas (docs/CIC.md): cic with the defaults, cic with short timeouts
# (active-timeout chains for Total Connection Flow Time, a short activity timeout for
# the active/idle columns, the first 4 packets in microseconds), and the published
# headers (leading spaces, a name twice; no addresses in cic-ids2018: compare.py keys
# its rows by Dst Port, Protocol and Timestamp, in row order within a key).
settings=(
	"defaults|--schema extended"
	"short timeouts|--schema extended --idle-timeout 1.5 --active-timeout 10 --close-linger 0.25 --dns-timeout 0.5 --first-packets 12 --first-packets-layout columns"
	"cic|--schema cic"
	"cic short|--schema cic --idle-timeout 1.5 --active-timeout 10 --close-linger 0.25 --dns-timeout 0.5 --cic-activity-timeout 0.5 --first-packets 4 --first-packets-layout columns"
	"cic-ids2017|--schema cic-ids2017"
	"cic-ids2018|--schema cic-ids2018"
)
# The published headers are cic's values under other names: the kernel's CSV is
# checked byte for byte in the cic settings, not again in these two.
no_xdp=" cic-ids2017 cic-ids2018 "

# REF_CACHE=DIR keeps the reference's output by what makes it (its code, the
# arguments, the capture), for the next run: make test-asan meters the corpus again
# with the sanitizers, and the reference's answer has not changed.
ref_code=$(cat tests/ref/*.py | sha256sum | cut -c1-16)
run_ref() {	# run_ref ARGS CAPTURE CSV JSON
	local key=
	if [ -n "${REF_CACHE:-}" ]; then
		key=$REF_CACHE/$(printf '%s|%s|%s|%s' "$ref_code" "$1" "$2" "$(stat -Lc '%s %Y' "$2")" | sha256sum | cut -c1-32)
		if [ -f "$key.csv" ] && [ -f "$key.json" ]; then
			cp "$key.csv" "$3" && cp "$key.json" "$4"
			return
		fi
	fi
	# shellcheck disable=SC2086
	$PY tests/ref/afm_ref.py --precision 17 $1 "$2" -o "$3" 2>"$4"
	if [ -n "$key" ]; then
		mkdir -p "$REF_CACHE" && cp "$3" "$key.csv.$$" && cp "$4" "$key.json.$$" &&
			mv "$key.csv.$$" "$key.csv" && mv "$key.json.$$" "$key.json"
	fi
}

# run_setting NAME ARGS DIR: every capture in one setting, its files in DIR; prints a
# line per capture and leaves "fail total rows" in DIR/summary.
run_setting() {
	local name=$1 args=$2 OUT=$3 fail=0 total=0 rows=0 b n report counts via
	mkdir -p "$OUT"
	rm -f "$OUT/summary"
	for cap in "${captures[@]}"; do
		b=$(basename "$cap")
		total=$((total + 1))
		# shellcheck disable=SC2086
		if ! "$BIN" -q --precision 17 $args --stats-json "$OUT/$b.json" -r "$cap" -o "$OUT/$b.csv"; then
			echo "FAIL [$name] $b: app-flow-meter exited with status $?"
			fail=$((fail + 1))
			continue
		fi
		run_ref "$args" "$cap" "$OUT/$b.ref.csv" "$OUT/$b.ref.json"
		if ! report=$($PY tests/ref/compare.py "$OUT/$b.ref.csv" "$OUT/$b.csv"); then
			echo "FAIL [$name] $b:"
			echo "$report" | sed 's/^/    /'
			fail=$((fail + 1))
			continue
		fi
		if ! counts=$($PY - "$OUT/$b.ref.json" "$OUT/$b.json" <<'PYEOF'
import json, sys
ref = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
bad = []
for k in ('packets', 'metered'):
    if ref[k] != got[k]:
        bad.append('%s: reference %d, meter %d' % (k, ref[k], got[k]))
for k, v in ref['skipped'].items():
    if got['skipped'].get(k) != v:
        bad.append('skipped %s: reference %d, meter %s' % (k, v, got['skipped'].get(k)))
if ref['flows'] != got['rows_written'] or got['rows_lost'] or got['flows_ended_total'] != got['rows_written']:
    bad.append('flows: reference %d, meter %d ended, %d rows written, %d lost'
               % (ref['flows'], got['flows_ended_total'], got['rows_written'], got['rows_lost']))
seen = got['metered'] + got['skipped_total'] + got['lost_total']
if seen != got['packets']:
    bad.append('accounting: %d read != %d metered + skipped + lost' % (got['packets'], seen))
print('; '.join(bad))
sys.exit(1 if bad else 0)
PYEOF
		); then
			echo "FAIL [$name] $b: $counts"
			fail=$((fail + 1))
			continue
		fi
		n=$(($(wc -l <"$OUT/$b.csv") - 1))
		rows=$((rows + n))
		via=""
		if [ "$(id -u)" -eq 0 ] && [[ $no_xdp != *" $name "* ]]; then
			# The same capture through the kernel's XDP program: byte-identical CSV.
			# shellcheck disable=SC2086
			if ! "$BIN" -q --precision 17 $args --via-xdp --stats-json "$OUT/$b.xdp.json" -r "$cap" -o "$OUT/$b.xdp.csv"; then
				echo "FAIL [$name] $b: --via-xdp exited with status $?"
				fail=$((fail + 1))
				continue
			fi
			if ! cmp -s "$OUT/$b.csv" "$OUT/$b.xdp.csv"; then
				echo "FAIL [$name] $b: --via-xdp CSV differs from -r:"
				diff "$OUT/$b.csv" "$OUT/$b.xdp.csv" | head -5 | sed 's/^/    /'
				fail=$((fail + 1))
				continue
			fi
			if ! $PY -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); ks=("packets","metered","skipped","lost","rows_written","flows_ended"); sys.exit(any(a[k]!=b[k] for k in ks))' "$OUT/$b.json" "$OUT/$b.xdp.json"; then
				echo "FAIL [$name] $b: --via-xdp accounting differs from -r"
				fail=$((fail + 1))
				continue
			fi
			via=" (and via XDP, byte-identical)"
		fi
		printf 'ok   [%s] %-40s %6d flows agree%s\n' "$name" "$b" "$n" "$via"
	done
	echo "$fail $total $rows" >"$OUT/summary"
}

# The settings two at a time (the machine's two cores), their reports in order.
fail=0 total=0 rows=0 i=0
for setting in "${settings[@]}"; do
	i=$((i + 1))
	run_setting "${setting%%|*}" "${setting#*|}" "$OUT/setting$i" >"$OUT/setting$i.log" 2>&1 &
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
done
wait || true
for ((k = 1; k <= i; k++)); do
	cat "$OUT/setting$k.log"
	if read -r f t r <"$OUT/setting$k/summary" 2>/dev/null; then
		fail=$((fail + f)) total=$((total + t)) rows=$((rows + r))
	else
		echo "FAIL setting $k (${settings[$((k - 1))]%%|*}): it stopped before its end (see above)"
		fail=$((fail + 1)) total=$((total + 1))
	fi
done
echo "corpus: $((total - fail))/$total runs agree with the reference ($rows rows compared at rel 1e-9: of 118 columns, those of the short timeouts with the first packets' 36 more; of the CIC schemas' 94, 94 + 12, 85 and 80)"
[ "$fail" -eq 0 ]
