"""Output for long runs: rotation by rows and by time (.part files renamed when
complete), SIGHUP (logrotate), --max-flows eviction.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_output.py
"""

import glob
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as G  # noqa: E402
from test_cli import BIN, Meter  # noqa: E402

T0 = 1_600_000_000 * G.NS


def udp(port):
    return G.ether(G.checksumless_ipv4('10.0.0.2', '10.0.0.1', 17, G.udp(port, 9, b'x')))


class Rotation(Meter):
    def test_rotate_rows(self):
        # 10 one-packet flows, each ended by the idle timeout of the next
        G.write(self.path('ten.pcap'), [(T0 + i * 10 * G.NS, udp(1000 + i)) for i in range(10)])
        out = self.path('flows.csv')
        r = self.run_meter('-q', '-r', self.path('ten.pcap'), '-o', out, '--rotate-rows', '3',
                           '--idle-timeout', '1')
        self.assertEqual(r.returncode, 0, r.stderr)
        files = sorted(glob.glob(self.path('flows.*')))
        self.assertEqual([os.path.basename(f) for f in files],
                         ['flows.000001.csv', 'flows.000002.csv', 'flows.000003.csv', 'flows.000004.csv'])
        ports = []
        for f, n in zip(files, (3, 3, 3, 1)):
            rows = self.rows(f)	# each file has its header
            self.assertEqual(len(rows), n, f)
            ports += [int(r['src_port']) for r in rows]
        self.assertEqual(ports, list(range(1000, 1010)), 'every row once, in order')
        self.assertFalse(glob.glob(self.path('*.part')))

    def test_rotation_needs_a_file(self):
        G.write(self.path('one.pcap'), [(T0, udp(1))])
        self.assert_error(self.run_meter('-r', self.path('one.pcap'), '--rotate-rows', '5'), 2,
                          'need an output file')
        self.assert_error(self.run_meter('-r', self.path('one.pcap'), '-o', 'x', '--rotate-rows', '0'), 2,
                          'positive whole number')


class Streaming(Meter):
    """A capture fed slowly through a pipe, as a long run would be."""

    def feed(self, fifo, packets, pause, during=None):
        def writer():
            with open(fifo, 'wb') as f:
                f.write(G.pcap_header())
                for i, (t, frame) in enumerate(packets):
                    f.write(G.record(t, frame))
                    f.flush()
                    if during and i == len(packets) // 2:
                        during()
                    time.sleep(pause)
        th = threading.Thread(target=writer)
        th.start()
        return th

    def start(self, *args):
        fifo = self.path('in.pcap')
        os.mkfifo(fifo)
        p = subprocess.Popen([BIN, '-q', '-r', fifo, '--idle-timeout', '1', *args],
                             stderr=subprocess.PIPE, text=True)
        return fifo, p

    def packets(self, n):
        return [(T0 + i * 2 * G.NS, udp(2000 + i)) for i in range(n)]	# each ends the one before

    def test_rotate_seconds(self):
        out = self.path('t.csv')
        fifo, p = self.start('-o', out, '--rotate-seconds', '0.4')
        th = self.feed(fifo, self.packets(12), 0.1)
        th.join()
        self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())
        p.stderr.close()
        files = sorted(glob.glob(self.path('t.*.csv')))
        self.assertGreaterEqual(len(files), 2, files)
        self.assertEqual(sum(len(self.rows(f)) for f in files), 12)
        self.assertFalse(glob.glob(self.path('*.part')))

    def test_sighup_ends_a_rotated_file(self):
        out = self.path('h.csv')
        fifo, p = self.start('-o', out, '--rotate-rows', '1000')
        th = self.feed(fifo, self.packets(10), 0.05, during=lambda: (time.sleep(0.2), p.send_signal(signal.SIGHUP)))
        th.join()
        self.assertEqual(p.wait(timeout=30), 0)
        p.stderr.close()
        files = sorted(glob.glob(self.path('h.*.csv')))
        self.assertEqual(len(files), 2, files)
        self.assertEqual(sum(len(self.rows(f)) for f in files), 10)

    def test_sighup_reopens_a_file_moved_away(self):
        out = self.path('l.csv')
        fifo, p = self.start('-o', out)

        def logrotate():
            time.sleep(0.2)
            os.rename(out, out + '.1')
            p.send_signal(signal.SIGHUP)
        th = self.feed(fifo, self.packets(10), 0.05, during=logrotate)
        th.join()
        self.assertEqual(p.wait(timeout=30), 0)
        p.stderr.close()
        old, new = self.rows(out + '.1'), self.rows(out)	# both with a header
        self.assertGreater(len(old), 0)
        self.assertGreater(len(new), 0)
        self.assertEqual(len(old) + len(new), 10)


class Eviction(Meter):
    def test_max_flows(self):
        # five flows open together; room for two
        recs = [(T0 + i * G.NS, udp(3000 + i)) for i in range(5)]
        recs += [(T0 + 10 * G.NS, udp(3004))]
        G.write(self.path('five.pcap'), recs)
        out, js = self.path('e.csv'), self.path('e.json')
        r = self.run_meter('-r', self.path('five.pcap'), '-o', out, '--schema', 'extended', '--max-flows', '2',
                           '--stats-json', js)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = self.rows(out)
        self.assertEqual([(r['src_port'], r['end_reason']) for r in rows],
                         [('3000', 'evicted'), ('3001', 'evicted'), ('3002', 'evicted'),
                          ('3003', 'eof'), ('3004', 'eof')])
        s = self.stats(js)
        self.assertEqual(s['flows_ended']['evicted'], 3)
        self.assertEqual(s['flows_open_max'], 2)
        self.assertIn('evicted 3', r.stderr)


if __name__ == '__main__':
    unittest.main()
