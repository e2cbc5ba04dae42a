"""Compressed captures (issue 12): gzip, zstd and xz, known by their magic bytes and
not their names, from a file, from standard input and inside a directory, give the
rows of the capture they hold, byte for byte; damage is named with its offset in the
compressed file, and the flows read before it are kept.

The compressed files are made here with Python's gzip and lzma modules and the zstd
program; the rows to compare with come from the same meter on the uncompressed bytes.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_compressed.py
"""

import glob
import gzip
import lzma
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Meter, BIN, EXIT_INPUT, EXIT_DAMAGED  # noqa: E402
from test_output import StreamingMeter  # noqa: E402
import pcapgen as G  # noqa: E402

PCAPS = os.environ.get('PCAPS', os.path.join(os.path.dirname(__file__), '../../../shared/pcaps'))


def zstd(data):
    return subprocess.run(['zstd', '-q', '-c', '-'], input=data, capture_output=True, check=True).stdout


CODECS = {
    'gzip': lambda d: gzip.compress(d, 6),
    'zstd': zstd,
    'xz': lambda d: lzma.compress(d, lzma.FORMAT_XZ),
}


def captures():
    found = sorted(glob.glob(os.path.join(PCAPS, '*.pcap')) + glob.glob(os.path.join(PCAPS, '*.pcapng')))
    assert len(found) > 20, PCAPS
    return found


class Compressed(Meter):
    def csv_of(self, *args, stdin=None):
        out = self.path('out-%d.csv' % len(os.listdir(self.dir)))
        if stdin is None:
            r = self.run_meter('-q', '--schema', 'extended', *args, '-o', out)
        else:
            r = subprocess.run([BIN, '-q', '--schema', 'extended', *args, '-o', out], input=stdin,
                               capture_output=True, timeout=60)
        with open(out, 'rb') as f:
            return r, f.read()

    def write(self, name, data):
        with open(self.path(name), 'wb') as f:
            f.write(data)
        return self.path(name)

    def test_every_shared_capture_in_every_codec(self):
        for cap in captures():
            with open(cap, 'rb') as f:
                raw = f.read()
            r, want = self.csv_of('-r', cap)
            self.assertEqual(r.returncode, 0, r.stderr)
            for codec, pack in CODECS.items():
                # a name that says nothing: the magic bytes tell
                z = self.write('capture-' + codec, pack(raw))
                r, got = self.csv_of('-r', z)
                self.assertEqual(r.returncode, 0, '%s %s: %s' % (cap, codec, r.stderr))
                self.assertEqual(got, want, '%s in %s' % (os.path.basename(cap), codec))

    def test_standard_input_in_every_codec(self):
        cap = os.path.join(PCAPS, 'zeek_http-bro.org.pcap')
        with open(cap, 'rb') as f:
            raw = f.read()
        _, want = self.csv_of('-r', cap)
        for codec, pack in CODECS.items():
            r, got = self.csv_of('-r', '-', stdin=pack(raw))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(got, want, codec)

    def test_inside_a_directory_merged_and_named(self):
        caps = [os.path.join(PCAPS, n) for n in ('zeek_http-bro.org.pcap', 'zeek_ssh.pcap',
                                                 'zeek_irc-dcc-send.pcapng')]
        _, want = self.csv_of(*[a for c in caps for a in ('-r', c)])
        os.mkdir(self.path('d'))
        for i, (cap, pack) in enumerate(zip(caps, CODECS.values())):
            with open(cap, 'rb') as f:
                self.write('d/part%d' % i, pack(f.read()))
        self.write('d/notes.gz', gzip.compress(b'not a capture\n'))
        r, got = self.csv_of('-r', self.path('d'))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(got, want)
        r = self.run_meter('-r', self.path('d'), '-o', self.path('n.csv'))
        self.assertIn('passed over 1', r.stderr)
        self.assertIn('notes.gz', r.stderr)

    def test_concatenated_members_are_one_capture(self):
        cap = os.path.join(PCAPS, 'zeek_http-bro.org.pcap')
        with open(cap, 'rb') as f:
            raw = f.read()
        _, want = self.csv_of('-r', cap)
        cut = len(raw) // 3
        for codec, pack in CODECS.items():
            z = self.write('two.' + codec, pack(raw[:cut]) + pack(raw[cut:]))
            r, got = self.csv_of('-r', z)
            self.assertEqual(r.returncode, 0, '%s: %s' % (codec, r.stderr))
            self.assertEqual(got, want, codec)

    def test_truncated_keeps_the_flows_read(self):
        cap = os.path.join(PCAPS, 'zeek_http-bro.org.pcap')
        with open(cap, 'rb') as f:
            raw = f.read()
        for codec, pack in CODECS.items():
            z = pack(raw)
            cut = len(z) * 2 // 3
            # what the truncated file holds: the decompressed prefix, as a plain capture
            if codec == 'gzip':
                prefix = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(z[:cut])
            elif codec == 'xz':
                prefix = lzma.LZMADecompressor().decompress(z[:cut])
            else:
                prefix = subprocess.run(['zstd', '-q', '-d', '-c', '-'], input=z[:cut],
                                        capture_output=True).stdout
            self.assertGreater(len(prefix), 24)
            plain = self.write('prefix-%s.pcap' % codec, prefix)
            _, want = self.csv_of('-r', plain)
            r, got = self.csv_of('-r', self.write('cut-' + codec, z[:cut]))
            self.assertEqual(r.returncode, EXIT_DAMAGED, r.stderr)
            self.assertIn('damaged at byte ', r.stderr)
            self.assertIn('of the compressed file', r.stderr)
            self.assertIn(codec + ': ', r.stderr)
            offset = int(r.stderr.split('damaged at byte ')[1].split()[0])
            self.assertLessEqual(offset, cut)
            self.assertGreater(got.count(b'\n'), 1)
            self.assertEqual(got, want, codec)

    def test_corrupt_data_is_damage_not_a_crash(self):
        cap = os.path.join(PCAPS, 'zeek_http-bro.org.pcap')
        with open(cap, 'rb') as f:
            raw = f.read()
        for codec, pack in CODECS.items():
            z = bytearray(pack(raw))
            for i in range(len(z) // 2, len(z) // 2 + 64):
                z[i] ^= 0x5a
            r = self.run_meter('-q', '-r', self.write('bad-' + codec, bytes(z)), '-o', self.path('b.csv'))
            # found by the decoder (a checksum, a bad code) or by the reader (a bad record)
            self.assertEqual(r.returncode, EXIT_DAMAGED, '%s: %s' % (codec, r.stderr))
            self.assertIn('damaged at byte ', r.stderr)
            self.assertIn('of the compressed file', r.stderr)

    def test_not_a_capture_inside(self):
        for codec, pack in CODECS.items():
            r = self.run_meter('-r', self.write('text-' + codec, pack(b'hello, world\n' * 10)),
                               '-o', self.path('t.csv'))
            self.assert_error(r, EXIT_INPUT, 'not a pcap or pcapng capture inside its %s compression' % codec)
            self.assertFalse(os.path.exists(self.path('t.csv')))

    def test_empty_compressed_file(self):
        r = self.run_meter('-r', self.write('empty.gz', gzip.compress(b'')), '-o', self.path('e.csv'))
        self.assertEqual(r.returncode, EXIT_INPUT, r.stderr)
        self.assertIn('gzip', r.stderr)


class CompressedPipe(StreamingMeter):
    def test_sigint_into_a_gzip_stream_keeps_every_flow(self):
        """tcpdump -w - | gzip | app-flow-meter -r -, then Ctrl-C: every flow read is kept."""
        out = self.path('z.csv')
        fifo, p = self.start('-o', out)
        packets = self.packets(6)	# each packet ends the flow before it
        z = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

        def writer():
            with open(fifo, 'wb') as f:
                f.write(z.compress(G.pcap_header()))
                for t, frame in packets:
                    f.write(z.compress(G.record(t, frame)) + z.flush(zlib.Z_SYNC_FLUSH))
                    f.flush()
                    time.sleep(0.05)
                deadline = time.time() + 20
                while time.time() < deadline and len(self.rows(out)) < len(packets) - 1:
                    time.sleep(0.05)
                p.send_signal(signal.SIGINT)	# the pipe still open: the meter waits in read()
                p.wait(timeout=30)
        th = threading.Thread(target=writer)
        th.start()
        th.join()
        err = p.stderr.read()
        p.stderr.close()
        self.assertEqual(p.returncode, 0, err)
        rows = self.rows(out)
        self.assertEqual([int(r['src_port']) for r in rows], [2000 + i for i in range(6)])


if __name__ == '__main__':
    unittest.main()
