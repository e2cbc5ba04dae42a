#!/usr/bin/env bash
# Live mode's attach and detach: clear errors and exit status 6 for a user without
# privileges, a missing interface and another tool's XDP program (replaced only with
# --force, and put back at exit); a meter that fails to start leaves the output of a
# running one as it was, and a second meter cannot take it; nothing left on the
# interface after SIGTERM, nor after SIGKILL. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${BIN:-build/app-flow-meter}")
PASS_OBJ=$(realpath "${PASS_OBJ:-build/bench/ref.bpf.o}")

if [ "$(id -u)" -ne 0 ]; then
	echo "attach: skipped (needs root)"
	exit 0
fi
# shellcheck source=tests/live/netns.sh
source tests/live/netns.sh
trap 'umount "$WORK/bpffs" 2>/dev/null || true; netns_cleanup' EXIT
netns_setup

fail=0
check() {	# check NAME STATUS WANT_STATUS OUTPUT WANT_TEXT
	if [ "$2" -ne "$3" ] || ! grep -q -- "$5" <<<"$4"; then
		echo "FAIL attach: $1: status $2 (want $3), output: $4"
		fail=1
	else
		echo "ok   attach: $1"
	fi
}

# The XDP program attached to the client's interface: "xdpgeneric NAME", or "". (The TC
# program is a TCX link: that its program exists says it is attached.)
attached() {
	in_cli ip -d link show "$CLI_IF" |
		sed -n 's/.* \(xdpgeneric\|xdpdrv\|xdp\) .*/\1/p; s/.*prog\/xdp id [0-9]* name \([a-z_]*\).*/\1/p' | tr '\n' ' '
}

# Which of the programs still exist anywhere: an attachment left behind would keep its
# program loaded. From the whole list: "bpftool prog show name X" gives up when any
# program goes away while it looks (the last run's, freed after an RCU grace period).
alive() {
	local names p
	names=$(bpftool prog show 2>/dev/null | sed -n 's/.* name \([a-z_]*\) .*/\1/p')
	for p in afm_xdp afm_xdp_compat afm_tc ref_pass; do
		grep -qx "$p" <<<"$names" && printf '%s ' "$p"
	done
	true
}

hooks() { echo "$(attached)$(alive)"; }

cp "$BIN" "$WORK/afm" && chmod 755 "$WORK" "$WORK/afm"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/afm" -i lo 2>&1) && st=0 || st=$?
check "unprivileged user" "$st" 6 "$out" "needs root, or the capabilities CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN"

# With exactly the capabilities it names (no root), it runs.
ip netns exec "$CLI_NS" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+perfmon,+net_admin \
	--ambient-caps=+bpf,+perfmon,+net_admin "$WORK/afm" -i "$CLI_IF" -o /dev/null --stats-interval 0 \
	2>"$WORK/caps.log" &
pid=$!
wait_for_text "$WORK/caps.log" "metering $CLI_IF"
kill -INT "$pid"
wait "$pid" && st=0 || st=$?
check "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN suffice" "$st" 0 "$(cat "$WORK/caps.log")" "writing the open flows"

out=$("$BIN" -i nosuchif0 2>&1) && st=0 || st=$?
check "no such interface" "$st" 6 "$out" "cannot attach XDP to nosuchif0: no such interface"

# Another tool's XDP program, attached through netlink as ip or xdp-loader would.
# (a bpffs of its own: ip netns exec remounts /sys, and /sys/fs/bpf with it)
mkdir -p "$WORK/bpffs"
mount -t bpf bpf "$WORK/bpffs"
bpftool prog loadall "$PASS_OBJ" "$WORK/bpffs/pass" type xdp
in_cli bpftool net attach xdpgeneric pinned "$WORK/bpffs/pass/ref_pass" dev "$CLI_IF"
rm -r "$WORK/bpffs/pass"	# the attachment is now all that holds the program
out=$(in_cli "$BIN" -i "$CLI_IF" 2>&1) && st=0 || st=$?
check "another XDP program is kept" "$st" 6 "$out" "another XDP program (ref_pass, id [0-9]*) is attached"
case "$(attached)" in "xdpgeneric ref_pass ") echo "ok   attach: the other program is still there" ;;
*) echo "FAIL attach: the other program was removed without --force"; fail=1 ;; esac

ip netns exec "$CLI_NS" "$BIN" -i "$CLI_IF" --force -o /dev/null 2>"$WORK/force.log" &
pid=$!
wait_for_text "$WORK/force.log" "metering $CLI_IF"
case "$(hooks)" in "xdpgeneric afm_xdp afm_xdp afm_tc ref_pass ") echo "ok   attach: --force replaced it" ;;
*) echo "FAIL attach: --force did not replace the other program: $(hooks)"; fail=1 ;; esac
kill -TERM "$pid"
wait "$pid" && st=0 || st=$?
check "SIGTERM ends the run cleanly" "$st" 0 "$(cat "$WORK/force.log")" "stopping; writing the open flows"
check "--force puts the other program back" "$st" 0 "$(cat "$WORK/force.log")" \
	"XDP program ref_pass (id [0-9]*), replaced with --force, is attached again"
h=$(hooks)
if [ "$h" = "xdpgeneric ref_pass ref_pass " ]; then echo "ok   attach: the other program is back, in its mode, and ours are gone"
else echo "FAIL attach: after --force and SIGTERM: $h (want xdpgeneric ref_pass)"; fail=1; fi
in_cli ip link set dev "$CLI_IF" xdpgeneric off
h=$(hooks)
if [ -n "$h" ]; then echo "FAIL attach: left behind after SIGTERM: $h"; fail=1; else echo "ok   attach: nothing left after SIGTERM"; fi

# A meter writes f.csv; one that fails to attach, or that wants the same file, leaves
# it as it was, byte for byte.
ip netns exec "$CLI_NS" "$BIN" -i "$CLI_IF" -o "$WORK/f.csv" 2>"$WORK/first.log" &
first=$!
wait_for_text "$WORK/first.log" "metering $CLI_IF"
cp "$WORK/f.csv" "$WORK/f.before"
out=$(in_cli "$BIN" -i nosuch0 -o "$WORK/f.csv" 2>&1) && st=0 || st=$?
check "a meter that fails to attach" "$st" 6 "$out" "no such interface"
out=$(in_cli "$BIN" -i lo -o "$WORK/f.csv" 2>&1) && st=0 || st=$?
check "a second meter on the same output" "$st" 4 "$out" "another process (pid $first) is writing it"
if cmp -s "$WORK/f.csv" "$WORK/f.before"; then echo "ok   attach: the running meter's output is as it was"
else echo "FAIL attach: the running meter's output changed: $(od -c "$WORK/f.csv" | head -3)"; fail=1; fi
in_cli ping -q -c 2 -i 0.2 "$SRV4" >/dev/null
kill -TERM "$first"
wait "$first" && st=0 || st=$?
rows=$(grep -c -- "--$CLI4--0--$SRV4--0," "$WORK/f.csv" || true)
if [ "$st" -eq 0 ] && [ "$rows" -eq 1 ] && [ "$(tr -cd '\000' <"$WORK/f.csv" | wc -c)" -eq 0 ]; then
	echo "ok   attach: and it completes: the ping's row, no NUL bytes"
else
	echo "FAIL attach: the first meter's output (status $st, $rows ping rows): $(head -c 300 "$WORK/f.csv")"
	fail=1
fi

ip netns exec "$CLI_NS" "$BIN" -i "$CLI_IF" -o /dev/null 2>"$WORK/kill.log" &
pid=$!
wait_for_text "$WORK/kill.log" "metering $CLI_IF"
h=$(hooks)
case "$h" in "xdpgeneric afm_xdp afm_xdp afm_tc ") echo "ok   attach: both hooks attached: $h" ;;
*) echo "FAIL attach: the meter's hooks are not both there: $h"; fail=1 ;; esac
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
sleep 0.2
h=$(hooks)
if [ -n "$h" ]; then echo "FAIL attach: left behind after SIGKILL: $h"; fail=1; else echo "ok   attach: nothing left after SIGKILL (links)"; fi
exit "$fail"
