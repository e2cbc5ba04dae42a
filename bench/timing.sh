# Sourced by bench/run.sh and bench/peers.sh: medians of timed runs. The caller
# defines RUNS and die(), and may define before_run(), called before each run.

# Median of the arguments (numbers).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# seconds CMD...: the median wall time of RUNS runs of CMD; a run that fails ends the
# bench.
seconds() {
	local secs=() start end i
	for ((i = 0; i < RUNS; i++)); do
		if declare -F before_run >/dev/null; then before_run; fi
		start=$(date +%s%N)
		"$@" || die "failed (exit $?): $*"
		end=$(date +%s%N)
		secs+=("$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')")
	done
	median "${secs[@]}"
}
