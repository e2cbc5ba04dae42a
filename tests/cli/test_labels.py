"""Labels from rules (--labels FILE, docs/COLUMNS.md "Labels from rules"; issue 13).

- Shared captures under rules made from their own flows (overlapping time windows,
  CIDRs of both IP versions, port ranges, protocol names and numbers, rules written
  the other way round, boundaries at the nanosecond): every flow's label equals the
  independent reference's (tests/ref/labels_ref.py, written from the docs).
- Crafted flows with labels worked out by hand: first rule wins, either direction,
  either port, [start, end) to the nanosecond, time offsets, the fallbacks.
- Every kind of malformed line: exit 2 naming the line, no output made or damaged.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_labels.py
"""

import collections
import csv
import datetime
import ipaddress
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Meter, EXIT_USAGE  # noqa: E402
import pcapgen as G  # noqa: E402

PCAPS = os.environ.get('PCAPS', os.path.join(os.path.dirname(__file__), '../../../shared/pcaps'))
REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../ref/afm_ref.py')
HEADER = 'start,end,src,dst,port,protocol,label\n'
NS = 10**9
CAPTURES = ['ndpi_1kxun.pcap', 'ndpi_http-ipv6.pcap', 'ndpi_synscan.pcap', 'zeek_http-bro.org.pcap',
            'zeek_dns-edns-ecs.pcap', 'zeek_ipv6-fragmented-dns.pcap', 'zeek_ssh.pcap']


def iso(ns, offset_minutes=0):
    """ns since the epoch as ISO 8601 with nine decimals, in the given UTC offset."""
    tz = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    t = datetime.datetime.fromtimestamp(ns // NS, tz)
    off = '%s%02d:%02d' % ('+' if offset_minutes >= 0 else '-', abs(offset_minutes) // 60, abs(offset_minutes) % 60)
    return t.strftime('%Y-%m-%dT%H:%M:%S') + '.%09d' % (ns % NS) + ('Z' if offset_minutes == 0 else off)


def first_ns(row):
    s, frac = row['first_packet_time'].split('.')
    return int(s) * NS + int(frac)


def network(addr, bits):
    return str(ipaddress.ip_network('%s/%d' % (addr, bits), strict=False))


def rules_for(rows):
    """Rules over a capture's own flows, made to overlap and to hit both ways round."""
    times = sorted(first_ns(r) for r in rows)
    lo, q1, mid, q3 = times[0], times[len(times) // 4], times[len(times) // 2], times[3 * len(times) // 4]
    srcs = collections.Counter(r['src_ip'] for r in rows).most_common()
    dsts = collections.Counter(r['dst_ip'] for r in rows).most_common()
    top_src, top_dst = srcs[0][0], dsts[0][0]
    v4 = [a for a, _ in srcs + dsts if ':' not in a]
    v6 = [a for a, _ in srcs + dsts if ':' in a]
    lines = []
    if q1 < q3:
        lines.append('%s,%s,%s,*,*,*,A window of the top source net' % (
            iso(q1), iso(q3, 330), network(top_src, 24 if ':' not in top_src else 64)))
    lines.append('%s,%s,*,*,1-1023,TCP,B low ports' % (iso(lo), iso(mid)))
    if v4:
        lines.append('%s,*,0.0.0.0/1,0.0.0.0/0,443,tcp,F tls from the middle' % iso(mid))
    # the other way round: the top destination as src, the top source's /16 as dst
    lines.append('*,*,%s,%s,*,*,C reversed' % (top_dst, network(top_src, 16 if ':' not in top_src else 48)))
    lines.append('*,*,*,*,53,17,D dns')
    if v6:
        lines.append('*,%s,::/0,*,*,*,E v6 before the middle' % iso(mid, -180))
    lines.append('*,*,*,*,0-65535,*,G the rest')
    return HEADER + '# made from the capture\n\n' + '\n'.join(lines) + '\n'


class Labels(Meter):
    def meter_csv(self, cap, *args):
        out = self.path('meter-%d.csv' % len(os.listdir(self.dir)))
        r = self.run_meter('-q', '-r', cap, '--schema', 'extended', *args, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return self.rows(out)

    def ref_csv(self, cap, *args):
        out = self.path('ref-%d.csv' % len(os.listdir(self.dir)))
        r = subprocess.run(['/usr/bin/python3', REF, cap, '--schema', 'extended', *args, '-o', out],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return self.rows(out)

    def test_shared_captures_against_the_reference(self):
        seen = collections.Counter()
        for name in CAPTURES:
            cap = os.path.join(PCAPS, name)
            with self.subTest(capture=name):
                rules = self.path(name + '.rules.csv')
                with open(rules, 'w') as f:
                    f.write(rules_for(self.ref_csv(cap)))
                got = self.meter_csv(cap, '--labels', rules)
                want = self.ref_csv(cap, '--labels', rules)
                self.assertGreater(len(want), 0)
                key = lambda r: (r['flow_id'], r['first_packet_time'], r['end_reason'], r['label'])  # noqa: E731
                self.assertEqual(sorted(map(key, got)), sorted(map(key, want)))
                seen.update(r['label'] for r in want)
        # every kind of rule matched somewhere: the comparison compared something
        for label in ('A window of the top source net', 'B low ports', 'C reversed', 'D dns',
                      'E v6 before the middle', 'F tls from the middle', 'G the rest'):
            self.assertGreater(seen[label], 0, (label, seen))

    # ---- crafted flows, labels worked out by hand --------------------------------

    T0 = 1_600_000_000 * NS		# 2020-09-13T12:26:40Z

    def crafted(self):
        """Four flows: TCP 10.0.0.2:40000 -> 10.0.0.1:80 at T0, the same with port 40001
        at T0 + 1 s, UDP 192.168.1.7:5353 -> 10.9.8.7:53 at T0 + 2 s, and TCP over IPv6
        2001:db8::5:1234 -> 2001:db8:1::9:443 at T0 + 3 s + 1 ns."""
        recs = G.tcp_conversation(self.T0, 40000) + G.tcp_conversation(self.T0 + NS, 40001)
        recs.append((self.T0 + 2 * NS, G.ether(G.checksumless_ipv4('192.168.1.7', '10.9.8.7', 17,
                                                                  G.udp(5353, 53, b'\x12\x34' + b'\0' * 10)))))
        src6 = ipaddress.IPv6Address('2001:db8::5').packed
        dst6 = ipaddress.IPv6Address('2001:db8:1::9').packed
        seg = G.tcp(1234, 443, G.SYN)
        ip6 = bytes([0x60, 0, 0, 0]) + len(seg).to_bytes(2, 'big') + bytes([6, 64]) + src6 + dst6 + seg
        recs.append((self.T0 + 3 * NS + 1, G.ether(ip6, 0x86dd)))
        path = self.path('crafted.pcap')
        G.write(path, sorted(recs))
        return path

    def labels_of(self, rules, *args, schema='extended'):
        path = self.path('rules-%d.csv' % len(os.listdir(self.dir)))
        with open(path, 'w') as f:
            f.write(HEADER + rules)
        out = self.path('out-%d.csv' % len(os.listdir(self.dir)))
        r = self.run_meter('-q', '-r', self.cap, '--schema', schema, '--labels', path, *args, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return {(x['src_port'], x['dst_port']): x['label'] for x in self.rows(out)}

    def setUp(self):
        super().setUp()
        self.cap = self.crafted()

    def test_first_rule_wins_and_either_direction(self):
        got = self.labels_of('*,*,10.0.0.1,10.0.0.2,*,tcp,server first\n'	# written server -> client
                             '*,*,10.0.0.0/8,*,*,*,ten\n'
                             '*,*,*,*,*,*,any\n')
        self.assertEqual(got, {('40000', '80'): 'server first', ('40001', '80'): 'server first',
                               ('5353', '53'): 'ten', ('1234', '443'): 'any'})

    def test_ports_either_end_and_ranges(self):
        got = self.labels_of('*,*,*,*,40001-40001,*,one port\n'
                             '*,*,*,*,54-79,*,below 80\n'
                             '*,*,*,*,5353,udp,mdns source port\n'
                             '*,*,*,*,81-442,*,between\n'
                             '*,*,*,*,443-443,6,tls\n')
        self.assertEqual(got, {('40000', '80'): '-', ('40001', '80'): 'one port',
                               ('5353', '53'): 'mdns source port', ('1234', '443'): 'tls'})

    def test_time_window_to_the_nanosecond_and_offsets(self):
        t1 = self.T0 + NS		# the second TCP flow's first packet
        t3 = self.T0 + 3 * NS + 1	# the IPv6 flow's
        got = self.labels_of('%s,%s,*,*,*,*,up to the second flow\n' % (iso(self.T0), iso(t1))	# excludes t1
                             + '%s,%s,*,*,*,*,from the second flow\n' % (iso(t1, 120), iso(t1 + 1, -450))
                             + '%s,*,*,*,*,*,v6 exactly\n' % iso(t3, 60)
                             + '2020-09-13 12:26:42Z,2020-09-13T12:26:43,*,*,*,*,space and no zone\n')
        self.assertEqual(got, {('40000', '80'): 'up to the second flow', ('40001', '80'): 'from the second flow',
                               ('5353', '53'): 'space and no zone', ('1234', '443'): 'v6 exactly'})
        # one nanosecond later, the v6 flow is before the window
        got = self.labels_of('%s,*,*,*,*,*,late\n' % iso(t3 + 1))
        self.assertEqual(got[('1234', '443')], '-')

    def test_cidrs_and_versions(self):
        got = self.labels_of('*,*,2001:db8::/32,2001:db8:1::/48,*,*,v6 nets\n'
                             '*,*,192.168.0.0/16,10.9.8.7,*,*,v4 net to a host\n'
                             '*,*,0.0.0.0/0,0.0.0.0/0,*,*,any v4\n')
        self.assertEqual(got, {('40000', '80'): 'any v4', ('40001', '80'): 'any v4',
                               ('5353', '53'): 'v4 net to a host', ('1234', '443'): 'v6 nets'})

    def test_fallbacks(self):
        rules = '*,*,10.9.8.7,*,*,*,dns server\n'
        self.assertEqual(self.labels_of(rules), {('40000', '80'): '-', ('40001', '80'): '-',
                                                 ('5353', '53'): 'dns server', ('1234', '443'): '-'})
        self.assertEqual(self.labels_of(rules, '--label', 'BENIGN'),
                         {('40000', '80'): 'BENIGN', ('40001', '80'): 'BENIGN', ('5353', '53'): 'dns server',
                          ('1234', '443'): 'BENIGN'})
        # the default schema gains the label column, as with --label
        got = self.labels_of(rules, schema='appflowmeter')
        self.assertEqual(sorted(got.values()), ['-', '-', '-', 'dns server'])

    def test_json_lines_and_the_header_only_file(self):
        path = self.path('empty-rules.csv')
        with open(path, 'w') as f:
            f.write('# nothing yet\r\n' + HEADER.replace('\n', '\r\n'))
        out = self.path('out.jsonl')
        r = self.run_meter('-q', '-r', self.cap, '--labels', path, '--label', 'x', '--format', 'jsonl', '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual([json.loads(line)['label'] for line in f], ['x'] * 4)

    @unittest.skipUnless(os.geteuid() == 0, 'the XDP program needs root')
    def test_via_xdp_labels_as_offline(self):
        rules = self.path('rules.csv')
        with open(rules, 'w') as f:
            f.write(HEADER + '*,*,10.0.0.0/8,*,80,tcp,web\n*,*,*,*,53,udp,dns\n')
        outs = []
        for extra in ([], ['--via-xdp']):
            out = self.path('out-%d.csv' % len(outs))
            r = self.run_meter('-q', '-r', self.cap, '--schema', 'extended', '--labels', rules, *extra, '-o', out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                outs.append(f.read())
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(sorted(x['label'] for x in self.rows(self.path('out-1.csv'))), ['-', 'dns', 'web', 'web'])

    # ---- files that do not parse -----------------------------------------------

    BAD = [
        ('start,end,src,dst,port,proto,label\n', 1, "the header must be"),
        (HEADER + '*,*,*,*,*,*\n', 2, '6 fields'),
        (HEADER + '# fine\n*,*,*,*,*,*,a,b\n', 3, '8 fields'),
        (HEADER + '2017-13-01T00:00:00Z,*,*,*,*,*,x\n', 2, "start '2017-13-01T00:00:00Z' is not an ISO 8601"),
        (HEADER + '2017-02-29,*,*,*,*,*,x\n', 2, "start '2017-02-29'"),
        (HEADER + '*,2017-07-07T25:00:00Z,*,*,*,*,x\n', 2, "end '2017-07-07T25:00:00Z'"),
        (HEADER + '*,2017-07-07T12:00:00+0300x,*,*,*,*,x\n', 2, "end '2017-07-07T12:00:00+0300x'"),
        (HEADER + '2017-07-07T12:00:00Z,2017-07-07T12:00:00Z,*,*,*,*,x\n', 2, 'is not after start'),
        (HEADER + '*,*,10.0.0/8,*,*,*,x\n', 2, "src '10.0.0/8' is not an address or a CIDR"),
        (HEADER + '*,*,*,10.0.0.1/8,*,*,x\n', 2, "dst '10.0.0.1/8' has bits set past its prefix"),
        (HEADER + '*,*,*,2001:db8::/129,*,*,x\n', 2, "dst '2001:db8::/129'"),
        (HEADER + '*,*,*,*,80-22,*,x\n', 2, "port '80-22' is not a port"),
        (HEADER + '*,*,*,*,65536,*,x\n', 2, "port '65536'"),
        (HEADER + '*,*,*,*,*,tcpp,x\n', 2, "protocol 'tcpp' is not a name"),
        (HEADER + '*,*,*,*,*,256,x\n', 2, "protocol '256'"),
        (HEADER + '*,*,*,*,*,*,\n', 2, "label '' must be 1 to 200 bytes"),
        (HEADER + '*,*,*,*,*,*,"quoted"\n', 2, 'quoted fields are not read'),
        (HEADER + '*,*,*,*,*,*,' + 'x' * 201 + '\n', 2, 'must be 1 to 200 bytes'),
        ('# only a comment\n', None, 'no header line'),
    ]

    def test_malformed_files_name_their_line(self):
        out = self.path('kept.csv')
        with open(out, 'w') as f:
            f.write('an earlier run\n')
        for i, (text, line, fragment) in enumerate(self.BAD):
            with self.subTest(case=i, text=text):
                path = self.path('bad-%d.csv' % i)
                with open(path, 'w') as f:
                    f.write(text)
                for target in (out, self.path('new-%d.csv' % i)):
                    r = self.run_meter('-q', '-r', self.cap, '--labels', path, '-o', target)
                    where = '--labels %s: line %d: ' % (path, line) if line else '--labels %s: ' % path
                    self.assert_error(r, EXIT_USAGE, where, fragment)
                self.assertFalse(os.path.exists(self.path('new-%d.csv' % i)))
        with open(out) as f:
            self.assertEqual(f.read(), 'an earlier run\n')

    def test_unreadable_file_and_the_file_as_output(self):
        r = self.run_meter('-q', '-r', self.cap, '--labels', self.path('missing.csv'), '-o', self.path('o.csv'))
        self.assert_error(r, EXIT_USAGE, 'missing.csv: cannot open: No such file or directory')
        rules = self.path('rules.csv')
        with open(rules, 'w') as f:
            f.write(HEADER)
        r = self.run_meter('-q', '-r', self.cap, '--labels', rules, '-o', rules)
        self.assert_error(r, EXIT_USAGE, 'would overwrite the input')
        with open(rules) as f:
            self.assertEqual(f.read(), HEADER)


if __name__ == '__main__':
    unittest.main()
