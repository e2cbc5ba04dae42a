"""A hostile-capture corpus, made here (nothing large is committed): each damaged or
odd capture has an expected outcome (a clean error, or packets skipped and counted);
the meter never crashes or hangs, and whatever it reads is accounted for.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_hostile.py
"""

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as G  # noqa: E402
from test_cli import Meter, EXIT_INPUT, EXIT_DAMAGED  # noqa: E402

T0 = 1_600_000_000 * G.NS


def udp_frame(payload=b'x', sport=5000, dport=6000):
    return G.ether(G.checksumless_ipv4('10.0.0.2', '10.0.0.1', 17, G.udp(sport, dport, payload)))


class Hostile(Meter):
    def meter(self, name, data, want_status=0):
        """Meter the bytes as a capture; check status and accounting; return (stats, rows)."""
        p, out, js = self.path(name), self.path(name + '.csv'), self.path(name + '.json')
        with open(p, 'wb') as f:
            f.write(data)
        r = self.run_meter('-r', p, '-o', out, '--stats-json', js)
        self.assertEqual(r.returncode, want_status, r.stderr)
        self.assertNotIn('Sanitizer', r.stderr)
        if want_status == EXIT_INPUT:
            self.assertFalse(os.path.exists(js), 'no statistics for a capture never read')
            return None, []
        return self.stats(js), self.rows(out)

    def pcap(self, records, linktype=1, snaplen=65535, tail=b''):
        return G.pcap_header(linktype, snaplen) + b''.join(G.record(t, f) for t, f in records) + tail

    # -- the file itself ---------------------------------------------------------
    def test_wrong_magic(self):
        self.meter('magic.pcap', b'\x0b\xad\xf0\x0d' + G.pcap_header()[4:] + G.record(T0, udp_frame()),
                   EXIT_INPUT)

    def test_truncated_global_header(self):
        for n in (1, 4, 23):
            self.meter('head%d.pcap' % n, G.pcap_header()[:n], EXIT_INPUT)

    def test_truncated_record_header_and_body(self):
        good = [(T0, udp_frame()), (T0 + 1, udp_frame())]
        for name, tail in (('rh', G.record(T0 + 2, udp_frame())[:7]), ('rb', G.record(T0 + 2, udp_frame())[:30])):
            s, rows = self.meter(name + '.pcap', self.pcap(good, tail=tail), EXIT_DAMAGED)
            self.assertEqual((s['packets'], s['metered']), (2, 2))
            self.assertEqual(rows[0]['packets_numbers'], '2')

    def test_caplen_beyond_the_snaplen(self):
        # libpcap refuses records longer than the file's snaplen... up to its own limit
        s, rows = self.meter('snap.pcap', self.pcap([(T0, udp_frame(b'y' * 300))], snaplen=100))
        self.assertEqual(s['packets'], 1)

    def test_caplen_beyond_256_kib(self):
        bad = struct.pack('<IIII', 1_600_000_001, 0, 300_000, 300_000) + b'\x00' * 64
        s, rows = self.meter('huge.pcap', self.pcap([(T0, udp_frame())], tail=bad), EXIT_DAMAGED)
        self.assertEqual(s['metered'], 1)

    def test_absurd_original_lengths_are_skipped_and_counted(self):
        # an original length beyond any real frame (over 16 MiB) is damage, not a 4-GB packet
        f = udp_frame()
        data = (G.pcap_header() + G.record(T0, f) + G.record(T0 + 1, f, orig_len=0xffffffff) +
                G.record(T0 + 2, f, orig_len=16 * 1024 * 1024 + 1) + G.record(T0 + 3, f, orig_len=16 * 1024 * 1024))
        s, rows = self.meter('absurd.pcap', data)
        self.assertEqual(s['skipped']['oversized'], 2)
        self.assertEqual((s['packets'], s['metered']), (4, 2))
        self.assertEqual(rows[0]['packets_numbers'], '2')
        self.assertEqual(rows[0]['max_packets_len'], str(16 * 1024 * 1024))

    def test_a_timestamp_far_outside_the_capture_is_named(self):
        f = udp_frame()
        # ts_sec = 0xffffffff (unsigned: 2106-02-07, not a negative time, nor 2554)
        bad = struct.pack('<IIII', 0xffffffff, 0, len(f), len(f)) + f
        data = G.pcap_header() + G.record(T0, f) + G.record(T0 + G.NS, f) + bad + G.record(T0 + 2 * G.NS, f)
        p = self.path('future.pcap')
        with open(p, 'wb') as fh:
            fh.write(data)
        r = self.run_meter('-r', p, '-o', self.path('f.csv'))
        self.assertEqual(r.returncode, 0, r.stderr)
        warn = [ln for ln in r.stderr.splitlines() if 'warning' in ln]
        self.assertEqual(len(warn), 1, r.stderr)
        self.assertIn('2 packets are more than a day away in time', warn[0])
        self.assertIn('future.pcap record 3 at 2106-02-07 06:28:15', warn[0])
        # and it did what it says: the flow open before it ended there; the packet after it
        # joined its flow, 86 years long
        rows = self.rows(self.path('f.csv'))
        self.assertEqual([row['packets_numbers'] for row in rows], ['2', '2'])
        self.assertEqual(rows[1]['timestamp'], '2020-09-13 12:26:42.000000')
        self.assertEqual(rows[1]['duration'], str(0xffffffff - 1_600_000_002))

    def test_orig_len_smaller_than_caplen(self):
        f = udp_frame(b'z' * 100)
        data = G.pcap_header() + G.record(T0, f, orig_len=60)
        s, rows = self.meter('orig.pcap', data)
        self.assertEqual(s['metered'], 1)
        self.assertEqual(rows[0]['min_packets_len'], '60')	# the original length, as recorded

    def test_timestamps_backwards_and_duplicates(self):
        f = udp_frame()
        recs = [(T0 + 5 * G.NS, f), (T0 + 1 * G.NS, f), (T0 + 3 * G.NS, f), (T0 + 3 * G.NS, f), (T0 + 3 * G.NS, f)]
        s, rows = self.meter('order.pcap', self.pcap(recs))
        self.assertEqual(s['metered'], 5)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]['packets_numbers'], '5')
        self.assertEqual(rows[0]['duration'], '4')	# from the smallest time to the largest
        self.assertEqual(rows[0]['timestamp'], '2020-09-13 12:26:41.000000')

    def test_zero_length_and_65535_byte_frames(self):
        big = udp_frame(b'\xab' * (65535 - 42))
        self.assertEqual(len(big), 65535)
        s, rows = self.meter('sizes.pcap', self.pcap([(T0, b''), (T0 + 1, big), (T0 + 2, b'')]))
        self.assertEqual(s['skipped']['truncated'], 2)
        self.assertEqual(s['metered'], 1)
        self.assertEqual(rows[0]['max_packets_len'], '65535')

    # -- pcapng ------------------------------------------------------------------
    def test_pcapng_unknown_blocks_are_passed_over(self):
        data = (G.shb() + G.raw_block(0x0BADBEEF, b'\x01' * 20) + G.idb() +
                G.raw_block(0x00000BAD, b'') + G.epb(0, T0 // 1000, udp_frame()) +
                G.raw_block(0x40000001, b'custom') + G.epb(0, T0 // 1000 + 5, udp_frame()))
        s, rows = self.meter('unknown.pcapng', data)
        self.assertEqual(s['metered'], 2)

    def test_pcapng_if_tsresol_per_interface(self):
        data = (G.shb() + G.idb(tsresol=9) + G.idb(tsresol=3) +
                G.epb(0, T0, udp_frame(sport=1)) + G.epb(1, T0 // 10**6 + 2, udp_frame(sport=2)))
        s, rows = self.meter('tsresol.pcapng', data)
        self.assertEqual([r['timestamp'] for r in rows],
                         ['2020-09-13 12:26:40.000000', '2020-09-13 12:26:40.002000'])

    def test_pcapng_bad_block_length(self):
        ok = G.shb() + G.idb() + G.epb(0, T0 // 1000, udp_frame())
        bad = struct.pack('<II', 6, 7) + b'\x00' * 16	# length not a multiple of 4
        s, rows = self.meter('badlen.pcapng', ok + bad, EXIT_DAMAGED)
        self.assertEqual(s['metered'], 1)
        bad = struct.pack('<II', 6, 0x7ffffff0)	# longer than the file
        self.meter('badlen2.pcapng', ok + bad, EXIT_DAMAGED)

    def test_pcapng_packet_of_an_undeclared_interface(self):
        data = G.shb() + G.idb() + G.epb(0, T0 // 1000, udp_frame()) + G.epb(3, T0 // 1000, udp_frame())
        s, rows = self.meter('noif.pcapng', data, EXIT_DAMAGED)
        self.assertEqual(s['metered'], 1)

    # -- inside the packets ------------------------------------------------------
    def test_bad_headers_are_skipped_and_counted(self):
        ip = G.checksumless_ipv4('10.0.0.2', '10.0.0.1', 6, G.tcp(1, 2, G.ACK))
        ihl4 = G.ether(bytes([0x44]) + ip[1:])
        doff4 = G.ether(ip[:20] + ip[20:32] + bytes([0x40]) + ip[33:])
        v6 = bytearray(b'\x60\x00\x00\x00\x00\x00\x3c\x40' + b'\x20\x01' + b'\x00' * 14 + b'\x20\x02' + b'\x00' * 14)
        chain = b''.join(bytes([60 if i < 9 else 6, 0]) + b'\x00' * 6 for i in range(10))
        v6[4:6] = struct.pack('>H', len(chain) + 20)
        v6chain = G.ether(bytes(v6) + chain + G.tcp(1, 2, G.SYN), 0x86dd)
        recs = [(T0, ihl4), (T0 + 1, doff4), (T0 + 2, v6chain), (T0 + 3, udp_frame())]
        s, rows = self.meter('headers.pcap', self.pcap(recs))
        self.assertEqual(s['skipped']['malformed'], 2)
        self.assertEqual(s['skipped']['ipv6_ext_chain'], 1)
        self.assertEqual(s['metered'], 1)

    def test_random_garbage_never_crashes(self):
        import random
        rnd = random.Random(1)
        for i in range(20):
            data = G.pcap_header() + bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 4000)))
            p = self.path('g%d.pcap' % i)
            with open(p, 'wb') as f:
                f.write(data)
            r = self.run_meter('-q', '-r', p, '-o', os.devnull, '--stats-json', self.path('g.json'))
            self.assertIn(r.returncode, (0, EXIT_DAMAGED), r.stderr)
            self.stats(self.path('g.json'))


if __name__ == '__main__':
    unittest.main()
