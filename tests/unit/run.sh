#!/usr/bin/env bash
# make unit: the Criterion suite. Tests that skip (the BPF ones need root) are counted in
# the summary, and as root, as CI runs, a skipped test is a failure: the kernel path
# must have been tested where it can be.
set -euo pipefail
bin=$1 tap=$2
"$bin" --jobs 2 --tap="$tap"
total=$(grep -cE '^(not )?ok ' "$tap" || true)
skipped=$(grep -c '# SKIP' "$tap" || true)
if [ "$skipped" -eq 0 ]; then
	echo "unit: all $total tests ran"
	exit 0
fi
echo "unit: $skipped of $total tests skipped ($(grep '# SKIP' "$tap" | sed 's/.*# SKIP //' | sort | uniq -c |
	sed 's/^ *\([0-9]*\) /\1: /' | paste -sd ';'))"
if [ "$(id -u)" -eq 0 ]; then
	echo "FAIL unit: as root every test must run; these did not:"
	grep '# SKIP' "$tap" | sed 's/^ok - /  /; s/  # SKIP.*//'
	exit 1
fi
