#!/usr/bin/env bash
# make install into a staging directory: every file where it belongs; the man page
# renders without a warning and documents exactly the options --help lists; the systemd
# unit passes systemd-analyze; and, as root, the unit's command line runs on a veth with
# the unit's privileges (an unprivileged user with its three ambient capabilities),
# writes its statistics and, on SIGTERM, a complete rotated CSV file.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${BIN:-build/app-flow-meter}")
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/afm-install.XXXXXX)
STAGE=$WORK/stage
trap 'rm -rf "$WORK"' EXIT
fail=0
ok() { echo "ok   install: $1"; }
bad() { echo "FAIL install: $1"; fail=1; }

make -s --no-print-directory install DESTDIR="$STAGE" SAN="${SAN:-}" >/dev/null
cmp -s "$BIN" "$STAGE/usr/local/bin/app-flow-meter" || { echo "FAIL install: make install did not install $BIN"; exit 1; }
P=$STAGE/usr/local
UNIT=$P/lib/systemd/system/app-flow-meter@.service
MAN=$P/share/man/man1/app-flow-meter.1
for f in bin/app-flow-meter share/man/man1/app-flow-meter.1 lib/systemd/system/app-flow-meter@.service \
	share/doc/app-flow-meter/README.md share/doc/app-flow-meter/METERING.md share/doc/app-flow-meter/COLUMNS.md share/doc/app-flow-meter/CIC.md \
	share/doc/app-flow-meter/EXPORT.md share/doc/app-flow-meter/contrib/pmacct/nfacctd-tee.conf; do
	[ -f "$P/$f" ] || bad "missing $f"
done
[ -x "$P/bin/app-flow-meter" ] || bad "the program is not executable"
grep -q '^ExecStart=/usr/local/bin/app-flow-meter ' "$UNIT" || bad "the unit does not run /usr/local/bin/app-flow-meter"
[ "$fail" -eq 0 ] && ok "files in place"

version=$("$P/bin/app-flow-meter" --version | awk '{print $2}')
grep -q "^\.TH APP-FLOW-METER 1 .* \"app-flow-meter $version\"" "$MAN" && ok "man page of version $version" ||
	bad "the man page is not of version $version: $(grep '^\.TH' "$MAN")"

warnings=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
[ -z "$warnings" ] && ok "man page renders without warnings" || bad "groff: $warnings"

# The options: the long names in --help and in the man page, both ways.
help_opts=$("$P/bin/app-flow-meter" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$MAN" | sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z-]*' | sort -u)
if [ "$help_opts" = "$man_opts" ]; then
	ok "man page documents the $(wc -l <<<"$help_opts") options of --help"
else
	bad "options differ (< --help, > man page): $(diff <(echo "$help_opts") <(echo "$man_opts") | grep '^[<>]' | tr '\n' ' ')"
fi

# systemd's own check, with the unit pointed at the staged program.
sed "s|/usr/local/bin/|$P/bin/|" "$UNIT" >"$WORK/app-flow-meter@.service"
out=$(cd "$WORK" && systemd-analyze verify --man=no "$WORK/app-flow-meter@eth0.service" 2>&1) &&
	ok "systemd-analyze verify" || bad "systemd-analyze verify: $out"

if [ "$(id -u)" -ne 0 ]; then
	echo "install: the unit's command line not run (needs root)"
	exit "$fail"
fi

# The unit's command line, its specifiers filled in as systemd would for the instance of
# an interface whose name has a dash (escaped in the instance name: v\x2dcli; %i is
# that, %I the name itself), run as the unit's unprivileged user with the unit's
# capabilities and nothing more.
CLI_IF=v-cli
INSTANCE=$(systemd-escape "$CLI_IF")
# shellcheck source=tests/live/netns.sh
source tests/live/netns.sh
trap 'netns_cleanup; rm -rf "$WORK"' EXIT
netns_setup
caps=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")
[ "$caps" = "$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")" ] || bad "ambient and bounding capabilities differ"
setpriv_caps=$(tr ' ' '\n' <<<"$caps" | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd,)
mkdir -p "$WORK/state/app-flow-meter" "$WORK/run/app-flow-meter/$CLI_IF"
chown -R 65534:65534 "$WORK/state" "$WORK/run"
chmod 755 "$WORK" "$STAGE" && chmod -R a+rX "$STAGE"
cmd=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$UNIT" | sed 's/^ExecStart=//; s/\\$//' | tr '\n' ' ')
cmd=${cmd//\/usr\/local\/bin\//$P/bin/}
grep -q '^ExecStart=.* -i %I ' "$UNIT" || bad "the unit does not give -i the unescaped instance name (%I)"
cmd=${cmd//%i/$INSTANCE}
cmd=${cmd//%I/$CLI_IF}
cmd=${cmd//%S/$WORK/state}
cmd=${cmd//%t/$WORK/run}
read -ra argv <<<"$cmd"
ip netns exec "$CLI_NS" setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
	--inh-caps="-all,$setpriv_caps" --ambient-caps="-all,$setpriv_caps" --bounding-set="-all,$setpriv_caps" \
	"${argv[@]}" 2>"$WORK/unit.log" &
pid=$!
for _ in $(seq 100); do
	in_cli ip -d link show "$CLI_IF" | grep -q xdpgeneric && break
	sleep 0.05
done
stats=$WORK/run/app-flow-meter/$CLI_IF/stats.json
for _ in $(seq 100); do [ -s "$stats" ] && break; sleep 0.05; done
[ -s "$stats" ] && ok "statistics in the runtime directory from the start" || bad "no $stats while running"
in_cli ping -c 3 -i 0.2 -q "$SRV4" >/dev/null
kill -TERM "$pid"
wait "$pid" && st=0 || st=$?
[ "$st" -eq 0 ] && ok "the unit's command line runs with its capabilities and stops on SIGTERM" ||
	bad "the unit's command line exited $st: $(cat "$WORK/unit.log")"
out=$("$PY" - "$WORK/state/app-flow-meter" "$CLI_IF" "$SRV4" <<'EOF'
import csv, glob, os, sys
d, ifname, srv = sys.argv[1:]
files = sorted(glob.glob(os.path.join(d, "*")))
want = os.path.join(d, ifname + ".000001.csv")
if files != [want]:
    sys.exit(f"files {files}, want [{want}] (rotated, renamed from .part)")
rows = list(csv.DictReader(open(want)))
pings = [r for r in rows if r["protocol"] == "Others" and r["dst_ip"] == srv]
if len(rows[0]) != 118 or len(pings) != 1 or pings[0]["packets_numbers"] != "6":
    sys.exit(f"want 118 columns and one ICMP flow of 6 packets: {len(rows[0])} columns, {pings}")
print(f"{len(rows)} rows, the ping flow of 6 packets")
EOF
) && ok "the state directory holds $out" || bad "$out"
exit "$fail"
