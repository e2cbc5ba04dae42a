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
that the live rows must carry.
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


def epoch(text):
    return datetime.strptime(text, '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=timezone.utc).timestamp()


def load(path, only):
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    if only:
        rows = [r for r in rows if r['src_ip'] in only and r['dst_ip'] in only]
    groups = {}
    for r in rows:
        key = (r['src_ip'], r['src_port'], r['dst_ip'], r['dst_port'], r['protocol'])
        groups.setdefault(key, []).append(r)
    for g in groups.values():
        g.sort(key=lambda r: epoch(r['timestamp']))
    return rows, groups


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
    a = ap.parse_args()
    only = set(x for x in a.only.split(',') if x)

    off_rows, off = load(a.offline, only)
    live_rows, live = load(a.live, only)
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

    carried = set(r.get('label') for r in live_rows)
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
    if a.order_free:
        print('live: %d flows (%d packets) agree with the capture: counts and packet-length statistics '
              'exact' % (pairs, packets))
    else:
        print('live: %d flows (%d packets) agree with the capture: counts and length statistics '
              'exact, times within %g s' % (pairs, packets, a.time_tol))
    return 0


if __name__ == '__main__':
    sys.exit(main())
