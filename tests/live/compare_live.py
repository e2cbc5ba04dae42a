#!/usr/bin/python3
"""Compare a live meter's CSV with the CSV that -r gives on a capture of the same
interface (tcpdump). Flows are paired by endpoints, protocol and first-packet time.

Exact: packet counts, success count, every statistic of packet lengths and length
deltas. Within --time-tol seconds (the kernel's clock and tcpdump's differ): first
packet time, duration, min/max/mean/median/standard deviation of the gaps (and the
variance through its square root). Not compared: rates, and the cv and skewness of
gaps, ratios of clock readings that can amplify microsecond differences; and the mode
of the gaps, which at nanosecond resolution picks whichever value two packets happen
to share (or the smallest when none do), so two clocks legitimately disagree on it.

That holds for a capture taken where the meter's hooks are (the same interface, with
receive timestamps where XDP runs: tests/live/netns.sh). A capture taken elsewhere on
the path (inside a container, behind a veth and a CPU's backlog) sees the same
packets, but in an order and at times that the backlogs of two CPUs may shuffle:
--order-free compares only what does not depend on them, the counts and the
statistics of the packet lengths.

With --labels, the label column must be equal too, and --expect-labels names labels
that the live rows must carry. With --cic (rows of --schema cic), every column is
compared: the times (microseconds) within the tolerance, the rates not at all, every
other exactly (payloads, headers, flags, windows, bulks, subflows, retransmissions).
"""

import argparse
import csv
import json
import math
import sys
from datetime import datetime, timezone

COUNTS = ['packets_numbers', 'receiving_packets_numbers', 'sending_packets_numbers',
          'success_packets_numbers']
TIME_STATS = ['min', 'max', 'mean', 'median', 'standard_deviation']

# --cic (docs/CIC.md): the identity, the times (us, within the tolerance), the rates
# (not compared, as above); every other column exact.
CIC_ID = ('Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol')
CIC_TIMES = ('Flow Duration', 'Total Connection Flow Time')
CIC_TIME_PREFIXES = ('Flow IAT ', 'Fwd IAT ', 'Bwd IAT ', 'Active ', 'Idle ')
CIC_RATES = ('Flow Bytes/s', 'Flow Packets/s', 'Fwd Packets/s', 'Bwd Packets/s', 'Fwd Bulk Rate Avg',
             'Bwd Bulk Rate Avg')


def epoch(text):
    """'YYYY-MM-DD HH:MM:SS' with a fraction of any length or none (both schemas)."""
    day, _, frac = text.partition('.')
    whole = datetime.strptime(day, '%Y-%m-%d %H:%M:%S').replace(tzinfo=timezone.utc).timestamp()
    return whole + (int(frac) / 10 ** len(frac) if frac else 0)


def load(path, only, cic):
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    ident = CIC_ID if cic else ('src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol')
    stamp = 'Timestamp' if cic else 'timestamp'
    if only:
        rows = [r for r in rows if r[ident[0]] in only and r[ident[2]] in only]
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[c] for c in ident), []).append(r)
    for g in groups.values():
        g.sort(key=lambda r: epoch(r[stamp]))
    return rows, groups


def compare_cic(ro, rl, header, tol, errors):
    """One flow's cic columns: times within tol seconds, rates not compared, the rest exact."""
    name = ro['Flow ID']
    for c in header:
        if c in CIC_RATES or c == 'Timestamp':
            continue
        if c in CIC_TIMES or c.startswith(CIC_TIME_PREFIXES):
            x, y = float(ro[c]), float(rl[c])
            if abs(x - y) > tol * 1e6:
                errors.append('%s: %s capture %s, live %s (us)' % (name, c, ro[c], rl[c]))
        elif ro[c] != rl[c]:
            errors.append('%s: %s capture %s, live %s' % (name, c, ro[c], rl[c]))


def time_columns(header):
    cols = ['duration']
    for c in header:
        if not c.endswith('_delta_time'):
            continue
        if any(c.startswith(s + '_') for s in TIME_STATS):
            cols.append(c)
    return cols


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('offline')
    ap.add_argument('live')
    ap.add_argument('--stats', help="the live run's --stats-json")
    ap.add_argument('--only', default='', help='comma-separated addresses: ignore other flows')
    ap.add_argument('--time-tol', type=float, default=1e-3)
    ap.add_argument('--expect-labels', default='',
                    help='comma-separated labels (--labels) that live flows must carry')
    ap.add_argument('--order-free', action='store_true',
                    help='compare counts and packet-length statistics only (a capture elsewhere on the path)')
    ap.add_argument('--cic', action='store_true', help='the CSVs are of --schema cic')
    a = ap.parse_args()
    only = set(x for x in a.only.split(',') if x)

    off_rows, off = load(a.offline, only, a.cic)
    live_rows, live = load(a.live, only, a.cic)
    header = list(off_rows[0].keys()) if off_rows else []
    len_cols = [c for c in header if c.endswith('_len') and c not in COUNTS]
    t_cols = time_columns(header)
    if a.order_free:
        len_cols = [c for c in len_cols if not c.endswith('_delta_len')]
        t_cols = []
    errors = []
    pairs = 0
    packets = 0

    for key in sorted(set(off) | set(live)):
        o, l = off.get(key, []), live.get(key, [])
        if len(o) != len(l):
            errors.append('%s: %d flows in the capture, %d metered live' % (key, len(o), len(l)))
            continue
        for ro, rl in zip(o, l):
            pairs += 1
            if a.cic:
                packets += int(ro['Total Fwd Packet']) + int(ro['Total Bwd packets'])
                dt = abs(epoch(ro['Timestamp']) - epoch(rl['Timestamp']))
                if dt > a.time_tol + 1e-6:
                    errors.append('%s: first packet %.6f s apart' % (ro['Flow ID'], dt))
                compare_cic(ro, rl, header, a.time_tol, errors)
                continue
            packets += int(ro['packets_numbers'])
            name = ro['flow_id']
            dt = abs(epoch(ro['timestamp']) - epoch(rl['timestamp']))
            if dt > a.time_tol + 1e-6 and not a.order_free:
                errors.append('%s: first packet %.6f s apart' % (name, dt))
            for c in COUNTS + (['label'] if 'label' in header else []):
                if ro[c] != rl[c]:
                    errors.append('%s: %s capture %s, live %s' % (name, c, ro[c], rl[c]))
            for c in len_cols:
                x, y = float(ro[c]), float(rl[c])
                if abs(x - y) > 1e-12 * max(1.0, abs(x)):
                    errors.append('%s: %s capture %s, live %s' % (name, c, ro[c], rl[c]))
            for c in t_cols:
                x, y = float(ro[c]), float(rl[c])
                if abs(x - y) > a.time_tol:
                    errors.append('%s: %s capture %s, live %s' % (name, c, ro[c], rl[c]))
            for c in header if t_cols else []:
                if c.startswith('variance_') and c.endswith('_delta_time'):
                    x, y = math.sqrt(float(ro[c])), math.sqrt(float(rl[c]))
                    if abs(x - y) > a.time_tol:
                        errors.append('%s: %s capture %s, live %s' % (name, c, ro[c], rl[c]))

    carried = set(r.get('Label' if a.cic else 'label') for r in live_rows)
    for label in (x for x in a.expect_labels.split(',') if x):
        if label not in carried:
            errors.append('no live flow labelled %r (--labels): %s' % (label, sorted(carried)))

    if a.stats:
        with open(a.stats) as f:
            s = json.load(f)
        if s['lost_total']:
            errors.append('the meter lost %d packets: %s' % (s['lost_total'], s['lost']))
        if s['packets'] != s['metered'] + s['skipped_total'] + s['lost_total']:
            errors.append('accounting: %d seen != %d metered + %d skipped + %d lost'
                          % (s['packets'], s['metered'], s['skipped_total'], s['lost_total']))

    if pairs == 0:
        errors.append('no flows to compare')
    if errors:
        for e in errors[:30]:
            print('FAIL live: ' + e)
        if len(errors) > 30:
            print('... %d more' % (len(errors) - 30))
        return 1
    if a.cic:
        print('live: %d flows (%d packets) agree with the capture in every cic column: times within %g s, '
              'the rest exact (rates not compared)' % (pairs, packets, a.time_tol))
    elif a.order_free:
        print('live: %d flows (%d packets) agree with the capture: counts and packet-length statistics '
              'exact' % (pairs, packets))
    else:
        print('live: %d flows (%d packets) agree with the capture: counts and length statistics '
              'exact, times within %g s' % (pairs, packets, a.time_tol))
    return 0


if __name__ == '__main__':
    sys.exit(main())
