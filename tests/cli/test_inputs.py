"""Several captures are one stream of time: merged by packet time (mergecap's k-way
merge), whatever their names or the order given, so that a capture split into pieces
(tcpdump -C) gives exactly the rows of the whole; a directory is every file in it that
is a capture by its content, and what it passes over is named.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_inputs.py
"""

import glob
import os
import random
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as G  # noqa: E402
from test_cli import Meter, EXIT_INPUT, EXIT_USAGE  # noqa: E402

PCAPS = os.environ.get('PCAPS', os.path.join(os.path.dirname(__file__), '../../../shared/pcaps'))


def tcpdump_split(whole, prefix):
    """tcpdump -C 1: pieces of 1,000,000 bytes named PREFIX, PREFIX1, PREFIX2, ..."""
    cmd = ['tcpdump', '--time-stamp-precision=nano', '-r', whole, '-w', prefix, '-C', '1']
    if os.geteuid() == 0:
        cmd += ['-Z', 'root']	# else tcpdump gives up root and cannot write here
    subprocess.run(cmd, check=True, capture_output=True)
    return sorted(glob.glob(prefix + '*'))


class SplitCaptures(Meter):
    def meter_csv(self, *inputs, name='out'):
        out = self.path(name + '.csv')
        args = []
        for i in inputs:
            args += ['-r', i]
        r = self.run_meter('-q', '--schema', 'extended', '--precision', '17', *args, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, 'rb') as f:
            return f.read()

    def check_pieces_equal_whole(self, whole, min_pieces):
        os.mkdir(self.path('pieces'))
        pieces = tcpdump_split(whole, self.path('pieces/cap.pcap'))
        self.assertGreaterEqual(len(pieces), min_pieces, pieces)
        want = self.meter_csv(whole, name='whole')
        self.assertGreater(want.count(b'\n'), 10)
        shuffled = pieces[:]
        random.Random(3).shuffle(shuffled)
        for how, inputs in (('a glob', [self.path('pieces/cap.pcap*')]), ('a directory', [self.path('pieces')]),
                            ('-r in name order', sorted(pieces)), ('-r in reverse order', pieces[::-1]),
                            ('-r shuffled', shuffled)):
            self.assertEqual(self.meter_csv(*inputs), want, how)
        return pieces

    def test_tcpdump_pieces_whose_names_sort_out_of_time_order(self):
        whole = self.path('whole.pcap')
        G.write(whole, G.many_flows(15000))
        pieces = self.check_pieces_equal_whole(whole, 11)
        # cap.pcap, cap.pcap1, cap.pcap10, cap.pcap11, cap.pcap2, ...: name order is not time order
        names = [os.path.basename(p) for p in sorted(pieces)]
        self.assertLess(names.index('cap.pcap10'), names.index('cap.pcap2'))

    def test_a_shared_capture_in_pieces(self):
        self.check_pieces_equal_whole(os.path.join(PCAPS, 'zeek_echo-connections.pcap'), 5)

    def test_order_of_r_does_not_matter(self):
        a, b = os.path.join(PCAPS, 'zeek_icmp-5-pings.pcap'), os.path.join(PCAPS, 'zeek_ssh.pcap')
        ab, ba = self.meter_csv(a, b, name='ab'), self.meter_csv(b, a, name='ba')
        self.assertEqual(ab, ba)
        # captures far apart in time: the rows of each, nothing mixed
        alone = set(self.meter_csv(a, name='a').splitlines()[1:]) | set(self.meter_csv(b, name='b').splitlines()[1:])
        self.assertEqual(set(ab.splitlines()[1:]), alone)
        self.assertEqual(len(ab.splitlines()) - 1, 26)

    def test_interleaved_captures_are_merged_by_time(self):
        # two halves of one conversation, each packet alternating between the files
        recs = G.tcp_conversation()
        G.write(self.path('odd.pcap'), recs[1::2])
        G.write(self.path('even.pcap'), recs[0::2])
        G.write(self.path('all.pcap'), recs)
        self.assertEqual(self.meter_csv(self.path('odd.pcap'), self.path('even.pcap')),
                         self.meter_csv(self.path('all.pcap'), name='all'))


class Directories(Meter):
    def test_a_directory_is_its_captures_by_content(self):
        recs = G.tcp_conversation()
        d = self.path('caps')
        os.mkdir(d)
        G.write(os.path.join(d, 'second'), recs[4:])	# no extension: a capture by its magic
        G.write(os.path.join(d, 'first.bin'), recs[:4])
        with open(os.path.join(d, 'notes.txt'), 'w') as f:
            f.write('not a capture')
        open(os.path.join(d, 'empty.pcap'), 'w').close()
        os.mkdir(os.path.join(d, 'sub'))
        out = self.path('d.csv')
        r = self.run_meter('-r', d, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([row['packets_numbers'] for row in self.rows(out)], ['8'])
        notice = [ln for ln in r.stderr.splitlines() if 'passed over' in ln]
        self.assertEqual(len(notice), 1, r.stderr)
        for name in ('notes.txt (not a capture)', 'empty.pcap (empty)', 'sub (a directory)'):
            self.assertIn(name, notice[0])
        self.assertIn('passed over 3 entries that are not captures', notice[0])

    def test_a_directory_without_captures(self):
        with open(self.path('readme'), 'w') as f:
            f.write('text')
        self.assert_error(self.run_meter('-r', self.dir), EXIT_INPUT, 'no capture in this directory')

    def test_a_glob_passes_over_what_is_not_a_capture(self):
        G.write(self.path('a.pcap'), G.tcp_conversation())
        with open(self.path('a.txt'), 'w') as f:
            f.write('text')
        r = self.run_meter('-r', self.path('a.*'), '-o', os.devnull)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('a.txt (not a capture)', r.stderr)
        self.assert_error(self.run_meter('-r', self.path('*.txt')), EXIT_INPUT, 'no capture matches')

    def test_a_capture_given_twice_is_refused(self):
        G.write(self.path('x.pcap'), G.tcp_conversation())
        os.link(self.path('x.pcap'), self.path('y.pcap'))
        for args in (['-r', self.path('x.pcap'), '-r', self.dir + '/./x.pcap'],
                     ['-r', self.dir, '-r', self.path('x.pcap')],
                     ['-r', self.path('x.pcap'), '-r', self.path('y.pcap')]):
            self.assert_error(self.run_meter(*args, '-o', self.path('o.csv')), EXIT_USAGE, 'given twice')
        self.assertFalse(os.path.exists(self.path('o.csv')))


if __name__ == '__main__':
    unittest.main()
