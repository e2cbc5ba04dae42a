"""The first packets of each flow (--first-packets N, docs/COLUMNS.md "The first
packets"; issue 13).

- Crafted flows worked out by hand: time order across both directions (ties in arrival
  order) when the capture's records are not in time order, padding, N = 1 and 255.
- Shared captures in the arrays layout: every array equal to the independent
  reference's (tests/ref/afm_ref.py); the columns layout is in the corpus test.
- Arrays, columns and JSON lines carry the same values; the option's errors.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_first_packets.py
"""

import csv
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
NS = 10**9
T0 = 1_600_000_000 * NS
SPLT = ('splt_direction', 'splt_ps', 'splt_piat')
CAPTURES = ['ndpi_1kxun.pcap', 'ndpi_http-ipv6.pcap', 'zeek_http-bro.org.pcap', 'zeek_dns-edns-ecs.pcap',
            'zeek_ssh.pcap', 'ndpi_dns-fragmented.pcap', 'zeek_irc-dcc-send.pcapng']


def array(text):
    """'[0,1,-1]' -> ['0', '1', '-1']"""
    assert text.startswith('[') and text.endswith(']'), text
    return text[1:-1].split(',')


class FirstPackets(Meter):
    def rows_of(self, cap, *args):
        out = self.path('out-%d.csv' % len(os.listdir(self.dir)))
        r = self.run_meter('-q', '-r', cap, *args, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out, self.rows(out)

    def crafted(self):
        """One UDP flow whose records are out of time order, with a tie across the two
        directions: client 10.0.0.2:5000, server 10.0.0.1:7000."""
        c, s = '10.0.0.2', '10.0.0.1'

        def frame(src, dst, n):
            sp, dp = (5000, 7000) if src == c else (7000, 5000)
            return G.ether(G.checksumless_ipv4(src, dst, 17, G.udp(sp, dp, b'x' * n)))
        # (time, from, payload bytes), in the order they are written to the capture
        self.packets = [
            (T0, c, 10),                # first: sets src = client
            (T0 + 3_000, s, 20),
            (T0 + 1_000, c, 30),        # out of order: before the one above
            (T0 + 3_000, c, 40),        # the same time as the server's: after it (arrival)
            (T0 + 2_000_500, s, 50),
        ]
        path = self.path('crafted.pcap')
        with open(path, 'wb') as f:
            f.write(G.pcap_header())
            for ts, src, n in self.packets:
                f.write(G.record(ts, frame(src, s if src == c else c, n)))
        return path

    def test_time_order_ties_and_padding_by_hand(self):
        cap = self.crafted()
        # wire length: 14 Ethernet + 20 IP + 8 UDP + payload; in time order: 10, 30, 20 (the
        # server, at the time of the client's 40, which came after it), 40, 50 bytes
        _, rows = self.rows_of(cap, '--first-packets', '7')
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(array(r['splt_direction']), ['0', '0', '1', '0', '1', '-1', '-1'])
        self.assertEqual(array(r['splt_ps']), ['52', '72', '62', '82', '92', '-1', '-1'])
        self.assertEqual(array(r['splt_piat']), ['0', '1e-06', '2e-06', '0', '0.0019975', '-1', '-1'])
        # one packet: the first only; no padding when N is the flow's length
        _, rows = self.rows_of(cap, '--first-packets', '1')
        self.assertEqual([rows[0][k] for k in SPLT], ['[0]', '[52]', '[0]'])
        _, rows = self.rows_of(cap, '--first-packets', '5', '--first-packets-layout', 'columns')
        self.assertEqual([rows[0]['splt_ps_%d' % i] for i in range(1, 6)], ['52', '72', '62', '82', '92'])
        self.assertNotIn('splt_ps_6', rows[0])

    def test_layouts_and_json_lines_agree(self):
        cap = os.path.join(PCAPS, 'zeek_http-bro.org.pcap')
        n = 255
        _, arrays = self.rows_of(cap, '--first-packets', str(n))
        out, columns = self.rows_of(cap, '--first-packets', str(n), '--first-packets-layout', 'columns',
                                    '--schema', 'extended')
        with open(out) as f:
            header = f.readline().rstrip('\n').split(',')
        self.assertEqual(header[118:], ['%s_%d' % (b, i) for b in SPLT for i in range(1, n + 1)])
        jl = self.path('out.jsonl')
        r = self.run_meter('-q', '-r', cap, '--first-packets', str(n), '--format', 'jsonl', '-o', jl)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(jl) as f:
            objs = [json.loads(line) for line in f]
        self.assertEqual(len(arrays), len(columns))
        self.assertEqual(len(arrays), len(objs))
        padded = 0
        for a, c, j in zip(arrays, columns, objs):
            for b in SPLT:
                flat = [c['%s_%d' % (b, i)] for i in range(1, n + 1)]
                self.assertEqual(array(a[b]), flat)
                self.assertEqual(j[b], [float(x) if b == 'splt_piat' else int(x) for x in flat])
            packets = int(a['packets_numbers'])
            self.assertEqual(array(a['splt_ps']).count('-1'), max(0, n - packets))
            padded += packets < n
        self.assertGreater(padded, 0)

    def test_shared_captures_against_the_reference(self):
        for name in CAPTURES:
            cap = os.path.join(PCAPS, name)
            with self.subTest(capture=name):
                _, got = self.rows_of(cap, '--precision', '17', '--first-packets', '20')
                ref = self.path('ref-%s.csv' % name)
                r = subprocess.run(['/usr/bin/python3', REF, cap, '--precision', '17', '--first-packets', '20',
                                    '-o', ref], capture_output=True, text=True, timeout=300)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(ref, newline='') as f:
                    want = list(csv.DictReader(f))
                self.assertGreater(len(want), 0)
                key = lambda row: (row['flow_id'],) + tuple(row[b] for b in SPLT)  # noqa: E731
                self.assertEqual(sorted(map(key, got)), sorted(map(key, want)))

    @unittest.skipUnless(os.geteuid() == 0, 'the XDP program needs root')
    def test_via_xdp_as_offline(self):
        cap = os.path.join(PCAPS, 'zeek_http-bro.org.pcap')
        a, _ = self.rows_of(cap, '--first-packets', '9')
        b, _ = self.rows_of(cap, '--first-packets', '9', '--via-xdp')
        with open(a) as f, open(b) as g:
            self.assertEqual(f.read(), g.read())

    def test_errors(self):
        cap = self.crafted()
        for value in ('256', '-1', 'x', ''):
            with self.subTest(value=value):
                r = self.run_meter('-q', '-r', cap, '--first-packets', value, '-o', self.path('o.csv'))
                self.assert_error(r, EXIT_USAGE, "--first-packets: '%s' is not an integer from 0 to 255" % value)
        r = self.run_meter('-q', '-r', cap, '--first-packets', '3', '--first-packets-layout', 'rows')
        self.assert_error(r, EXIT_USAGE, "--first-packets-layout: 'rows' is not arrays or columns")
        for ipfix in (['--ipfix', 'udp://127.0.0.1:4739'], ['--ipfix-elements']):
            r = self.run_meter('-q', '-r', cap, '--first-packets', '3', *ipfix)
            self.assert_error(r, EXIT_USAGE, 'no IPFIX element carries the first packets')
        self.assertFalse(os.path.exists(self.path('o.csv')))
        # 0: nothing added
        _, rows = self.rows_of(cap, '--first-packets', '0')
        self.assertNotIn('splt_ps', rows[0])
        self.assertEqual(len(rows[0]), 78)


if __name__ == '__main__':
    unittest.main()
