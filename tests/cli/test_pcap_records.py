"""A classic pcap file on disk is read in place from its mapping (user/capture/
pcap_records.c); a pipe of the same bytes still goes through libpcap. libpcap is the
reference here: for every variant of the format (byte orders, microseconds and
nanoseconds, versions 2.2 and 2.3 with their length orders, Kuznetzov's 24-byte
record headers, records longer than the snapshot length, absurd lengths, truncation
anywhere, hostile timestamps), `-r FILE` and `cat FILE | -r -` must give the same rows,
the same exit status and the same message.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_pcap_records.py
"""

import os
import re
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as G  # noqa: E402
from test_cli import Meter, BIN  # noqa: E402

T0 = 1_600_000_000


def frame(i, size=0):
    payload = bytes((i + k) & 0xff for k in range(20 + (i * 37) % 200 + size))
    return G.ether(G.checksumless_ipv4('10.1.0.1', '10.1.0.2', 17, G.udp(1000 + i % 5, 53, payload)))


def capture(order='<', magic=0xa1b2c3d4, version=(2, 4), snaplen=65535, linktype=1, records=(), hdr24=False,
            swap_lengths=False):
    """A pcap file: records are (sec, frac, caplen, len, data) as written."""
    out = struct.pack(order + 'IHHiIII', magic, version[0], version[1], 0, 0, snaplen, linktype)
    for sec, frac, caplen, length, data in records:
        a, b = (length, caplen) if swap_lengths else (caplen, length)
        out += struct.pack(order + 'IIII', sec & 0xffffffff, frac & 0xffffffff, a, b)
        if hdr24:
            out += struct.pack(order + 'IHBB', 2, 0x0800, 0, 0)
        out += data
    return out


def plain(n=40, frac_unit=1000, size=0, caplen=None):
    recs = []
    for i in range(n):
        f = frame(i, size)
        c = len(f) if caplen is None else min(caplen, len(f))
        recs.append((T0 + i // 4, (i * 123457) % (1000000 * frac_unit // 1000), c, len(f), f[:c]))
    return recs


class InPlace(Meter):
    def both(self, name, data, *args):
        path = self.path(name)
        with open(path, 'wb') as f:
            f.write(data)
        out = []
        for how in ('file', 'pipe'):
            csv = self.path('%s-%s.csv' % (name, how))
            cmd = [BIN, '-q', '--schema', 'extended', '-r', path if how == 'file' else '-', '-o', csv, *args]
            r = subprocess.run(cmd, input=None if how == 'file' else data, capture_output=True, timeout=60)
            rows = None
            if os.path.exists(csv):
                with open(csv, 'rb') as f:
                    rows = f.read()
            # the offset of damage is where each reader stopped: a pipe reads ahead
            err = re.sub(rb'damaged at byte \d+', b'damaged at byte N', r.stderr.replace(path.encode(), b'-'))
            out.append((r.returncode, rows, err))
        self.assertEqual(out[0], out[1], name)
        return out[0]

    def test_byte_orders_and_precisions(self):
        for order in '<>':
            for magic, unit in ((0xa1b2c3d4, 1000), (0xa1b23c4d, 1000000)):
                rc, rows, _ = self.both('o%s%x.pcap' % ('le' if order == '<' else 'be', magic),
                                        capture(order, magic, records=plain(frac_unit=unit)))
                self.assertEqual(rc, 0)
                self.assertGreater(rows.count(b'\n'), 3)

    def test_old_versions_and_their_length_order(self):
        recs = plain(caplen=60)	# caplen < len: the order shows
        self.assertEqual(self.both('v22.pcap', capture(version=(2, 2), records=recs, swap_lengths=True))[0], 0)
        self.assertEqual(self.both('v23a.pcap', capture(version=(2, 3), records=recs, swap_lengths=True))[0], 0)
        self.assertEqual(self.both('v23b.pcap', capture(version=(2, 3), records=recs))[0], 0)
        self.assertEqual(self.both('v543.pcap', capture(version=(543, 0), records=recs, swap_lengths=True))[0], 0)

    def test_kuznetzov_records(self):
        for order in '<>':
            self.assertEqual(self.both('k%s.pcap' % order, capture(order, 0xa1b2cd34, records=plain(), hdr24=True))[0],
                             0)

    def test_records_longer_than_the_snapshot(self):
        # caplen over the header's snaplen: libpcap keeps the first snaplen bytes
        recs = plain()
        self.assertEqual(self.both('snap.pcap', capture(snaplen=80, records=recs))[0], 0)
        self.assertEqual(self.both('snap0.pcap', capture(snaplen=0, records=recs))[0], 0)
        big = [(T0, 0, 300000, 300000, b'\0' * 300000)]
        self.assertEqual(self.both('huge.pcap', capture(records=plain(5) + big))[0], 5)
        self.assertEqual(self.both('huge2.pcap', capture(snaplen=400000, records=plain(5) + big))[0], 5)

    def test_truncated_anywhere(self):
        whole = capture(records=plain(12))
        snap = capture(snaplen=80, records=plain(12))
        for data, name in ((whole, 'w'), (snap, 's')):
            for cut in range(24, len(data), 13):
                rc, _, err = self.both('cut-%s%d.pcap' % (name, cut), data[:cut])
                self.assertIn(rc, (0, 5), err)

    def test_hostile_times(self):
        recs = [(0xffffffff, 0xffffffff, len(frame(0)), len(frame(0)), frame(0)),
                (0x80000000, 0x7fffffff, len(frame(1)), len(frame(1)), frame(1)),
                (T0, 999999, len(frame(2)), len(frame(2)), frame(2))]
        for magic in (0xa1b2c3d4, 0xa1b23c4d):
            self.both('t%x.pcap' % magic, capture(magic=magic, records=recs))


class WorkerThreads(Meter):
    """A file's features are computed on a worker thread and a pipe's on the reading
    thread: every shared capture must give the same bytes either way."""

    def test_the_corpus_with_and_without_the_row_worker(self):
        import glob
        pcaps = os.environ.get('PCAPS', os.path.join(os.path.dirname(__file__), '../../../shared/pcaps'))
        caps = sorted(glob.glob(os.path.join(pcaps, '*.pcap')) + glob.glob(os.path.join(pcaps, '*.pcapng')))
        self.assertGreater(len(caps), 20)
        for cap in caps:
            with open(cap, 'rb') as f:
                data = f.read()
            out = []
            for how in ('file', 'pipe'):
                csv = self.path(how + '.csv')
                r = subprocess.run([BIN, '-q', '--schema', 'extended', '--precision', '17', '-r',
                                    cap if how == 'file' else '-', '-o', csv],
                                   input=None if how == 'file' else data, capture_output=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(csv, 'rb') as f:
                    out.append(f.read())
            self.assertEqual(out[0], out[1], os.path.basename(cap))


if __name__ == '__main__':
    unittest.main()
