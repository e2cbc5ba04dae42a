"""What a real collector stored, against the meter's CSV of the same runs.

    compare_collectors.py pmacct TABLE.csv RUN.csv...   (psql --csv 'SELECT * FROM afm_flows')
    compare_collectors.py nfdump FLOWS.txt RUN.csv...   (nfdump -6 -N -q -o 'fmt:%ts,%te,%sa,%da,%sp,%dp,%pr,%ipkt,%ibyt,%opkt,%obyt')
    compare_collectors.py collides KEYS RUN.csv         (exit 1 if a flow of RUN has a key in KEYS, else add them)

pmacct: every row of the view afm_flows (contrib/pmacct) must be a CSV row, every CSV
row there once, every column equal: integers and text exactly, floats to relative
1e-9. nfdump: the standard fields of each flow (addresses, ports, protocol, packets
and bytes each way, first and last seen to the millisecond) equal the CSV's.
Exit status 0 when they agree; the differences are printed.
"""
import csv
import datetime
import ipaddress
import math
import sys
from collections import Counter

# RUN.csv columns are the extended schema's; these are text however they look
TEXT = {'flow_id', 'timestamp', 'src_ip', 'dst_ip', 'protocol', 'vlan_ids', 'first_packet_time',
        'last_packet_time', 'end_reason', 'interface', 'label', 'tunnel', 'tunnel_src_ip', 'tunnel_dst_ip',
        'receiving_tunnel_id', 'sending_tunnel_id'}


# What nfacctd 1.7 cannot carry (contrib/pmacct/generate.sh): interfaceName is a
# variable-length IANA element, and it reads those of a fixed length only; the tunnel's
# addresses and identifiers are strings past the one each of its four tables holds.
NOT_IN_PMACCT = {'interface', 'tunnel_src_ip', 'tunnel_dst_ip', 'receiving_tunnel_id', 'sending_tunnel_id'}


def rows(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


def key(r):
    return (ipaddress.ip_address(r['src_ip']), int(r['src_port']), ipaddress.ip_address(r['dst_ip']),
            int(r['dst_port']), r['first_packet_time'])


def same(col, a, b):
    if col in ('src_ip', 'dst_ip'):
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    if col in TEXT:
        return a == b
    try:
        return int(a) == int(b)
    except ValueError:
        x, y = float(a), float(b)
        return x == y or math.isclose(x, y, rel_tol=1e-9, abs_tol=0)


def pmacct(table, runs):
    got = rows(table)
    want = [r for path in runs for r in rows(path)]
    bad = []
    header = [c for c in want[0].keys() if c not in NOT_IN_PMACCT] if want else []
    if got and list(got[0].keys()) != header:
        bad.append('the view\'s columns are not the CSV\'s: %s' % sorted(set(got[0]) ^ set(header)))
    by_key = {}
    for r in got:
        by_key.setdefault(key(r), []).append(r)
    for r in want:
        k = key(r)
        if not by_key.get(k):
            bad.append('flow %s not in the table' % r['flow_id'])
            continue
        g = by_key[k].pop()
        diff = [(c, r[c], g.get(c)) for c in header if not same(c, r[c], g.get(c, ''))]
        if diff:
            bad.append('flow %s: %s' % (r['flow_id'], diff[:6]))
    extra = sum(len(v) for v in by_key.values())
    if extra:
        bad.append('%d rows in the table that no CSV has' % extra)
    return bad, len(want), len(got)


def ms(epoch_text):
    sec, _, frac = epoch_text.partition('.')
    return int(sec) * 1000 + int((frac + '000')[:3])


def port(text):
    """nfdump shows an ICMP flow's destination port as TYPE.CODE (the port is TYPE * 256 + CODE)."""
    t, dot, c = text.partition('.')
    return int(t) * 256 + int(c) if dot else int(t)


def nfdump(flows, runs):
    def when(text):
        t = datetime.datetime.strptime(text.strip(), '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc)
        return round(t.timestamp() * 1000)
    got = Counter()
    n_got = 0
    with open(flows) as f:
        for line in f:
            p = [x.strip() for x in line.split(',')]
            if len(p) != 11:
                continue
            got[(when(p[0]), when(p[1]), ipaddress.ip_address(p[2]), ipaddress.ip_address(p[3]), port(p[4]),
                 port(p[5]), int(p[6]), int(p[7]), int(p[8]), int(p[9]), int(p[10]))] += 1
            n_got += 1
    want = Counter()
    for path in runs:
        for r in rows(path):
            want[(ms(r['first_packet_time']), ms(r['last_packet_time']), ipaddress.ip_address(r['src_ip']),
                  ipaddress.ip_address(r['dst_ip']), int(r['src_port']), int(r['dst_port']),
                  int(r['ip_protocol']), int(r['receiving_packets_numbers']), int(r['receiving_ip_bytes']),
                  int(r['sending_packets_numbers']), int(r['sending_ip_bytes']))] += 1
    bad = ['not in nfdump: %s' % (k,) for k in (want - got)][:20]
    bad += ['in nfdump, in no CSV: %s' % (k,) for k in (got - want)][:20]
    return bad, sum(want.values()), n_got


def collides(keys_path, run):
    """Two captures of the corpus hold the same flows: pmacct's tables, joined by the
    flow's key, must never hold one key twice, so such runs go in separate rounds."""
    import os
    have = set()
    if os.path.exists(keys_path):
        with open(keys_path) as f:
            have = set(f.read().split('\n'))
    new = {repr(key(r)) for r in rows(run)}
    if have & new or len(new) < len(rows(run)):
        return True
    with open(keys_path, 'a') as f:
        f.write(''.join(k + '\n' for k in new))
    return False


if __name__ == '__main__':
    if sys.argv[1] == 'collides':
        sys.exit(1 if collides(sys.argv[2], sys.argv[3]) else 0)
    what, stored, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad, n_want, n_got = (pmacct if what == 'pmacct' else nfdump)(stored, runs)
    for b in bad[:40]:
        print('  ' + b)
    print('%s: %d flows in the CSVs, %d stored, %d differences' % (what, n_want, n_got, len(bad)))
    sys.exit(1 if bad or not n_want else 0)
