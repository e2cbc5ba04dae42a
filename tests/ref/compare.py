#!/usr/bin/python3
"""Compare two flow CSVs (expected, actual) column by column.

Usage: compare.py EXPECTED.csv ACTUAL.csv [--rel 1e-9] [--abs 1e-12]

Same header and row count required; rows are compared in order.  Text
columns must be equal, integer columns equal, every other column equal
within |a - b| <= max(rel * |expected|, abs).  Works for every schema
(78 columns, 118 with the extended schema; the CIC schemas of docs/CIC.md:
94 with `cic`, 85 with `cic-ids2017`, whose names have leading spaces and
one of which appears twice, 80 with `cic-ids2018`).  Exit 0 when all agree,
1 on any difference (at most 20 differences are listed, then a count), 2 on
a usage or file error.

Rows are paired in order.  When the order differs, each file's rows are keyed
by their flow (flow_id; CIC: Flow ID and Timestamp; cic-ids2018, which has no
addresses: Dst Port, Protocol and Timestamp, the k-th row of a key paired with
the k-th of the same key, so that rows whose keys collide keep their order):
the same multiset of keys is reported as an order difference and the rows are
compared paired by key.
"""

import argparse
import math
import sys
from collections import Counter

# default schema, then the extended schema's columns (docs/COLUMNS.md)
TEXT_COLUMNS = {'flow_id', 'timestamp', 'src_ip', 'dst_ip', 'protocol',
                'vlan_ids', 'end_reason', 'interface', 'label',
                'first_packet_time', 'last_packet_time',
                'tunnel', 'tunnel_src_ip', 'tunnel_dst_ip', 'receiving_tunnel_id',
                'sending_tunnel_id'}
_FLAGS = ('syn', 'fin', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr')
INT_COLUMNS = ({'src_port', 'dst_port', 'packets_numbers', 'receiving_packets_numbers',
                'sending_packets_numbers', 'success_packets_numbers',
                'total_bytes', 'receiving_bytes', 'sending_bytes', 'ip_version',
                'receiving_ip_bytes', 'sending_ip_bytes',
                'ip_protocol'}
               | {'%s_%s_flags' % (d, f) for d in ('receiving', 'sending') for f in _FLAGS})

# The CIC schemas (docs/CIC.md), by name with its leading space removed (the
# names of the three CIC headers; none is a name of the two schemas above)
CIC_TEXT_COLUMNS = {'Flow ID', 'Src IP', 'Dst IP', 'Source IP', 'Destination IP',
                    'Timestamp', 'Label'}
CIC_INT_COLUMNS = {
    # cic
    'Src Port', 'Dst Port', 'Protocol', 'Total Fwd Packet', 'Total Bwd packets',
    'Total Length of Fwd Packet', 'Total Length of Bwd Packet',
    'Fwd Packet Length Max', 'Fwd Packet Length Min',
    'Bwd Packet Length Max', 'Bwd Packet Length Min',
    'Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags', 'Bwd URG Flags',
    'Fwd RST Flags', 'Bwd RST Flags', 'Fwd Header Length', 'Bwd Header Length',
    'Packet Length Min', 'Packet Length Max',
    'FIN Flag Count', 'SYN Flag Count', 'RST Flag Count', 'PSH Flag Count',
    'ACK Flag Count', 'URG Flag Count', 'CWR Flag Count', 'ECE Flag Count',
    'FWD Init Win Bytes', 'Bwd Init Win Bytes', 'Fwd Act Data Pkts', 'Bwd Act Data Pkts',
    'Fwd Seg Size Min', 'Bwd Seg Size Min', 'ICMP Code', 'ICMP Type',
    'Fwd TCP Retrans. Count', 'Bwd TCP Retrans. Count', 'Total TCP Retrans. Count',
    # cic-ids2017 (leading spaces removed)
    'Source Port', 'Destination Port', 'Total Fwd Packets', 'Total Backward Packets',
    'Total Length of Fwd Packets', 'Total Length of Bwd Packets',
    'Min Packet Length', 'Max Packet Length', 'CWE Flag Count',
    'Init_Win_bytes_forward', 'Init_Win_bytes_backward', 'act_data_pkt_fwd',
    'min_seg_size_forward',
    # cic-ids2018
    'Tot Fwd Pkts', 'Tot Bwd Pkts', 'TotLen Fwd Pkts', 'TotLen Bwd Pkts',
    'Fwd Pkt Len Max', 'Fwd Pkt Len Min', 'Bwd Pkt Len Max', 'Bwd Pkt Len Min',
    'Fwd Header Len', 'Bwd Header Len', 'Pkt Len Min', 'Pkt Len Max',
    'FIN Flag Cnt', 'SYN Flag Cnt', 'RST Flag Cnt', 'PSH Flag Cnt', 'ACK Flag Cnt',
    'URG Flag Cnt', 'ECE Flag Cnt', 'Init Fwd Win Byts', 'Init Bwd Win Byts',
}
# the columns that key a row by its flow, the first list the header has
# entirely (the flow_id of the first two schemas is its own key)
CIC_KEYS = (('Flow ID', 'Timestamp'),              # cic
            ('Flow ID', ' Timestamp'),             # cic-ids2017
            ('Dst Port', 'Protocol', 'Timestamp'))  # cic-ids2018: no addresses
MAX_LINES = 20


def read_csv(path):
    with open(path, newline='') as f:
        lines = f.read().splitlines()
    if not lines:
        return None, []
    header = lines[0].split(',')
    rows = [ln.split(',') for ln in lines[1:] if ln != '']
    return header, rows


def cell_equal(name, e, g, rel, abs_tol):
    if name in TEXT_COLUMNS or name.lstrip(' ') in CIC_TEXT_COLUMNS:
        return e == g
    if name in INT_COLUMNS or name.lstrip(' ') in CIC_INT_COLUMNS:
        try:
            return int(e) == int(g)
        except ValueError:
            return False
    try:
        ev, gv = float(e), float(g)
    except ValueError:
        return False
    return (math.isfinite(ev) and math.isfinite(gv)
            and abs(ev - gv) <= max(rel * abs(ev), abs_tol))


def main(argv=None):
    ap = argparse.ArgumentParser(description='compare two flow CSV files')
    ap.add_argument('expected')
    ap.add_argument('actual')
    ap.add_argument('--rel', type=float, default=1e-9)
    ap.add_argument('--abs', type=float, default=1e-12, dest='abs_tol')
    a = ap.parse_args(argv)
    try:
        eh, erows = read_csv(a.expected)
        ah, arows = read_csv(a.actual)
    except OSError as e:
        print('compare: %s' % e, file=sys.stderr)
        return 2

    if eh is None or ah is None:
        print('compare: empty file: %s' % (a.expected if eh is None else a.actual))
        return 1
    if eh != ah:
        print('header differs')
        print('  expected %d columns, actual %d columns' % (len(eh), len(ah)))
        for i in range(max(len(eh), len(ah))):
            e = eh[i] if i < len(eh) else '<none>'
            g = ah[i] if i < len(ah) else '<none>'
            if e != g:
                print('  first difference at column %d: expected %r, actual %r' % (i + 1, e, g))
                break
        return 1

    problems = []
    ncols = len(eh)
    # a row's flow key: flow_id, or the CIC key columns joined by '|'
    if 'flow_id' in eh:
        key_cols, key_name = [eh.index('flow_id')], 'flow_id'
    else:
        key_cols, key_name = None, None
        for names in CIC_KEYS:
            if all(n in eh for n in names):
                key_cols = [eh.index(n) for n in names]
                key_name = ', '.join(n.strip() for n in names)
                break
    keyed = key_cols is not None

    def key_of(row, missing=''):
        """The row's key; `missing` when its single key cell is absent."""
        if len(key_cols) == 1:
            c = key_cols[0]
            return row[c] if c < len(row) else missing
        return '|'.join(row[c] if c < len(row) else '' for c in key_cols)

    if len(erows) != len(arows):
        problems.append('row count differs: expected %d, actual %d' % (len(erows), len(arows)))

    def compare_rows(pairs):
        out = []
        for r, er, ar in pairs:
            flow = key_of(er, '?') if keyed else '?'
            if len(er) != ncols or len(ar) != ncols:
                out.append('row %d (%s): field count expected %d, actual %d'
                           % (r, flow, len(er), len(ar)))
                continue
            for c, name in enumerate(eh):
                e, g = er[c], ar[c]
                if not cell_equal(name, e, g, a.rel, a.abs_tol):
                    out.append('row %d (%s): %s: expected %s, actual %s'
                               % (r, flow, name, e, g))
        return out

    positional = [(r, er, ar) for r, (er, ar) in enumerate(zip(erows, arows), start=1)]
    diffs = None
    reordered = False

    # row order diagnosis
    if keyed:
        eids = [key_of(row) for row in erows]
        aids = [key_of(row) for row in arows]
        if eids != aids:
            if Counter(eids) == Counter(aids):
                if key_name == 'flow_id':
                    problems.append('row order differs: the same multiset of flow_ids, '
                                    'in a different order; rows below are paired by flow_id '
                                    '(row numbers are those of the expected file)')
                else:
                    problems.append('row order differs: the same multiset of flow keys '
                                    '(%s), in a different order; rows below are paired by '
                                    'key, the k-th row of a key with the k-th (row numbers '
                                    'are those of the expected file)' % key_name)
                # pair the k-th occurrence of each flow_id in both files
                slots = {}
                for i, k in enumerate(aids):
                    slots.setdefault(k, []).append(i)
                pairs = []
                for r, (k, er) in enumerate(zip(eids, erows), start=1):
                    pairs.append((r, er, arows[slots[k].pop(0)]))
                diffs = compare_rows(pairs)
                reordered = True
                first = next(i for i, (x, y) in enumerate(zip(eids, aids)) if x != y)
                problems.append('first order difference at row %d: expected %s, actual %s'
                                % (first + 1, eids[first], aids[first]))
            else:
                missing = Counter(eids) - Counter(aids)
                extra = Counter(aids) - Counter(eids)
                if key_name == 'flow_id':
                    problems.append('flow_id sets differ: %d expected flow_ids missing from '
                                    'actual, %d unexpected in actual'
                                    % (sum(missing.values()), sum(extra.values())))
                else:
                    problems.append('flow key (%s) sets differ: %d expected keys missing '
                                    'from actual, %d unexpected in actual'
                                    % (key_name, sum(missing.values()), sum(extra.values())))
                for k in list(missing)[:5]:
                    problems.append('  missing: %s' % k)
                for k in list(extra)[:5]:
                    problems.append('  unexpected: %s' % k)
    if diffs is None:
        diffs = compare_rows(positional)

    if not problems and not diffs:
        print('%d rows, %d columns agree' % (len(erows), ncols))
        return 0
    for p in problems:
        print(p)
    for d in diffs[:MAX_LINES]:
        print(d)
    if len(diffs) > MAX_LINES:
        print('... %d more differences' % (len(diffs) - MAX_LINES))
    if diffs:
        print('%d differences in total' % len(diffs))
    elif reordered:
        print('no value differences: every row agrees with the row of the same %s'
              % ('flow_id' if key_name == 'flow_id' else 'key'))
    else:
        print('the %d rows present in both files agree' % len(positional))
    return 1


if __name__ == '__main__':
    sys.exit(main())
