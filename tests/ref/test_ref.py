"""Unit checks of the reference implementation (afm_ref.py).

Run from the repository root:  /usr/bin/python3 -m unittest tests/ref/test_ref.py

Hand-computed statistics, text formats, the capture readers (pcap/pcapng in
both byte orders and resolutions), the metering rules of docs/METERING.md and
the extended columns of docs/COLUMNS.md on small synthetic captures.
"""

import os
import struct
import subprocess
import sys
import tempfile
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import afm_ref as R  # noqa: E402

NS = 10 ** 9

# ---------------------------------------------------------------------------
# packet builders
# ---------------------------------------------------------------------------

MAC = b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02'


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def tcp(sport, dport, flags, payload=b'', doff=5):
    return struct.pack('>HHIIBBHHH', sport, dport, 0, 0, doff << 4, flags, 1024, 0, 0) \
        + b'\x00' * (doff * 4 - 20 if doff >= 5 else 0) + payload


def udp(sport, dport, payload=b''):
    return struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload


def ipv4(src, dst, proto, l4, ident=1, mf=False, off=0, ihl=5, tot=None):
    hl = ihl * 4 if ihl >= 5 else 20
    total = hl + len(l4) if tot is None else tot
    ff = (0x2000 if mf else 0) | off
    h = struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0, total, ident, ff, 64, proto, 0,
                    ip4(src), ip4(dst))
    return h + b'\x00' * (hl - 20) + l4


def ipv6(src, dst, nh, l4, ext=b''):
    return struct.pack('>IHBB16s16s', 0x60000000, len(ext) + len(l4), nh, 64,
                       ip6(src), ip6(dst)) + ext + l4


def eth(payload, ethertype=0x0800, vlans=()):
    # tag layout: TPID, TCI per tag, then the real ethertype; QinQ outer = 0x88a8
    types = [0x8100] * len(vlans)
    if len(vlans) >= 2:
        types[0] = 0x88a8
    if len(vlans) >= 3:
        types[2] = 0x9100
    out = MAC
    for i, v in enumerate(vlans):
        out += struct.pack('>HH', types[i], v)
    return out + struct.pack('>H', ethertype) + payload


def write_pcap(path, pkts, linktype=1, bo='<', nano=False):
    """pkts: list of (ts_ns, frame bytes) or (ts_ns, frame, wire_len)."""
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    with open(path, 'wb') as f:
        f.write(struct.pack(bo + 'IHHiIII', magic, 2, 4, 0, 0, 65535, linktype))
        for p in pkts:
            ts, frame = p[0], p[1]
            wl = p[2] if len(p) > 2 else len(frame)
            sec, rem = divmod(ts, NS)
            frac = rem if nano else rem // 1000
            f.write(struct.pack(bo + 'IIII', sec, frac, len(frame), wl) + frame)


def _pad4(b):
    return b + b'\x00' * (-len(b) % 4)


def _block(bo, btype, body):
    body = _pad4(body)
    n = len(body) + 12
    return struct.pack(bo + 'II', btype, n) + body + struct.pack(bo + 'I', n)


def write_pcapng(path, pkts, bo='<', tsresol=None, tsoffset=None, ifaces=None):
    """pkts: list of (ts_ns, frame[, iface]); ifaces: list of (linktype, tsresol, tsoffset)."""
    if ifaces is None:
        ifaces = [(1, tsresol, tsoffset)]
    out = _block(bo, 0x0A0D0D0A, struct.pack(bo + 'IHHq', 0x1A2B3C4D, 1, 0, -1))
    units = []
    for lt, res, toff in ifaces:
        opts = b''
        if res is not None:
            opts += struct.pack(bo + 'HH', 9, 1) + _pad4(bytes([res]))
        if toff is not None:
            opts += struct.pack(bo + 'HHq', 14, 8, toff)
        if opts:
            opts += struct.pack(bo + 'HH', 0, 0)
        out += _block(bo, 1, struct.pack(bo + 'HHI', lt, 0, 0) + opts)
        if res is None:
            units.append((10 ** 6, 1))
        elif res & 0x80:
            units.append((2 ** (res & 0x7f), 1))
        else:
            units.append((10 ** res, 1))
    # an unknown block type that must be ignored
    out += _block(bo, 0x0BAD, b'junk')
    for p in pkts:
        ts, frame = p[0], p[1]
        ifid = p[2] if len(p) > 2 else 0
        den = units[ifid][0]
        toff = ifaces[ifid][2] or 0
        raw = (ts - toff * NS) * den // NS
        out += _block(bo, 6, struct.pack(bo + 'IIIII', ifid, raw >> 32, raw & 0xffffffff,
                                         len(frame), len(frame)) + frame)
    with open(path, 'wb') as f:
        f.write(out)


class Tmp:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.n = 0

    def path(self, ext='pcap'):
        self.n += 1
        return os.path.join(self.dir.name, 'c%d.%s' % (self.n, ext))


def meter(pkts, **kw):
    """Write pkts to a pcap, meter it, return (summary, list of row dicts)."""
    t = Tmp()
    p = t.path()
    write_pcap(p, pkts, linktype=kw.pop('linktype', 1), nano=True)
    summary, lines = R.run(p, **kw)
    rows = [dict(zip(R.COLUMNS, ln.split(','))) for ln in lines]
    t.dir.cleanup()
    return summary, rows


A, B = '10.0.0.1', '10.0.0.2'
SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


# ---------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------

class TestStats(unittest.TestCase):
    def check(self, values, expect, scale=1):
        got = R.stats9(values, scale)
        names = ('min', 'max', 'mean', 'median', 'mode', 'std', 'var', 'cv', 'skew')
        for n, g, e in zip(names, got, expect):
            self.assertAlmostEqual(g, e, delta=max(abs(e) * 1e-12, 1e-15), msg=n)

    def test_two_lengths(self):
        self.check([102, 118], (102, 118, 110, 110, 102, 8, 64, 8 / 110, 0))

    def test_four_values(self):
        # mean 4; deviations -3 -2 -1 6; m2 = 50/4 = 12.5; m3 = 180/4 = 45
        self.check([10, 1, 3, 2], (1, 10, 4, 2.5, 1, 12.5 ** 0.5, 12.5,
                                   12.5 ** 0.5 / 4, 45 / 12.5 ** 1.5))

    def test_mode_tie_smallest(self):
        self.assertEqual(R.stats9([5, 7, 7, 5, 9])[4], 5)
        self.assertEqual(R.stats9([9, 7, 7, 5])[4], 7)

    def test_empty_and_single(self):
        self.assertEqual(R.stats9([]), (0,) * 9)
        self.check([5], (5, 5, 5, 5, 5, 0, 0, 0, 0))

    def test_negative_mean_cv(self):
        # deltas -4, -2: mean -3, var 1, std 1, cv -1/3
        self.check([-4, -2], (-4, -2, -3, -3, -4, 1, 1, -1 / 3, 0))
        # zero mean -> cv 0
        self.check([-16, 16], (-16, 16, 0, 0, -16, 16, 256, 0, 0))

    def test_time_scale(self):
        self.check([1 * NS, 3 * NS], (1, 3, 2, 2, 1, 1, 1, 0.5, 0), scale=NS)
        # exact nanoseconds: mean of 1 ns and 2 ns
        self.assertEqual(R.stats9([1, 2], NS)[2], 1.5e-9)
        # min, max, median and mode are exact: the median of 1 ns and 2 ns
        self.assertEqual(R.stats9([1, 2], NS)[3], Fraction(3, 2 * NS))

    def test_skew_exact_large(self):
        # near-constant large values: exact moments, no cancellation
        base = 10 ** 15
        got = R.stats9([base, base, base + 3], NS)
        # deviations -1 -1 2: m2 = 2, m3 = 2 -> skew 2 / 2**1.5
        self.assertAlmostEqual(got[8], 2 / 2 ** 1.5, places=14)
        self.assertAlmostEqual(got[6], 2 / 1e18, delta=1e-30)

    def test_rate(self):
        self.assertEqual(R.rate(1, 5), 0)
        self.assertEqual(R.rate(3, 0), 0)
        self.assertEqual(R.rate(3, 2 * NS), 1.5)


# ---------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------

class TestText(unittest.TestCase):
    def test_fmt(self):
        f = lambda x: R.fmt_num(x, 9)  # noqa: E731
        self.assertEqual(f(-0.0), '0')
        self.assertEqual(f(0.0), '0')
        self.assertEqual(f(8 / 110), '0.0727272727')
        self.assertEqual(f(110.0), '110')
        self.assertEqual(f(1e-5), '1e-05')
        self.assertEqual(f(123456789012.5), '1.23456789e+11')
        self.assertEqual(f(-2.5), '-2.5')
        self.assertEqual(R.fmt_num(1 / 3, 4), '0.3333')
        # whole numbers print whole at any precision
        self.assertEqual(R.fmt_num(1514.0, 2), '1514')
        self.assertEqual(R.fmt_num(123456789012.0, 9), '123456789012')
        self.assertEqual(R.fmt_num(2.0 ** 53, 9), '9.00719925e+15')

    def test_fmt_exact(self):
        f = R.fmt_exact
        # exact decimals round from their decimal value, half to even
        self.assertEqual(f(Fraction(2983390765, NS), 9), '2.98339076')
        self.assertEqual(f(Fraction(2983390775, NS), 9), '2.98339078')
        self.assertEqual(f(Fraction(2983390765, NS), 17), '2.983390765')
        self.assertEqual(f(Fraction(3029, 2), 4), '1514')     # 1514.5
        self.assertEqual(f(Fraction(3031, 2), 4), '1516')     # 1515.5
        self.assertEqual(f(Fraction(3029, 2), 2), '1.5e+03')
        self.assertEqual(f(Fraction(3029, 2), 5), '1514.5')
        self.assertEqual(f(Fraction(99995, 10 ** 5), 4), '1')
        self.assertEqual(f(Fraction(-99995, 10 ** 5), 4), '-1')
        self.assertEqual(f(Fraction(1, 2 * NS), 9), '5e-10')
        self.assertEqual(f(Fraction(12345, NS), 9), '1.2345e-05')
        self.assertEqual(f(Fraction(123450, NS), 3), '0.000123')
        self.assertEqual(f(Fraction(1, 10 ** 4), 9), '0.0001')
        self.assertEqual(f(Fraction(0), 9), '0')
        self.assertEqual(f(Fraction(-3), 9), '-3')
        self.assertEqual(f(Fraction(1000000000000000001, NS), 9), '1e+09')

    def test_ipv6(self):
        cases = {
            '2001:db8::1': '2001:db8::1',
            '::': '::',
            '::1': '::1',
            '2001:db8:0:1:1:1:1:1': '2001:db8:0:1:1:1:1:1',
            '2001:0:0:1:0:0:0:1': '2001:0:0:1::1',
            '2001:db8:0:0:1:0:0:1': '2001:db8::1:0:0:1',
            'FE80::ABCD': 'fe80::abcd',
            '1:0:0:0:0:0:0:0': '1::',
            '::ffff:192.0.2.1': '::ffff:192.0.2.1',
        }
        for src, want in cases.items():
            self.assertEqual(R.ip_text(ip6(src)), want, src)
        self.assertEqual(R.ip_text(ip4('192.168.0.255')), '192.168.0.255')

    def test_timestamp(self):
        self.assertEqual(R.ts_text(1500000000123456789), '2017-07-14 02:40:00.123456')
        self.assertEqual(R.ts_text(0), '1970-01-01 00:00:00.000000')
        self.assertEqual(R.ts_text(951782400 * NS + 999), '2000-02-29 00:00:00.000000')

    def test_protocol(self):
        self.assertEqual(R.protocol_text(53, 80), 'HTTP')
        self.assertEqual(R.protocol_text(443, 53), 'HTTPS')
        self.assertEqual(R.protocol_text(1000, 53), 'DNS')
        self.assertEqual(R.protocol_text(0, 0), 'Others')

    def test_columns(self):
        self.assertEqual(len(R.COLUMNS), 78)
        self.assertEqual(len(set(R.COLUMNS)), 78)
        self.assertEqual(R.COLUMNS[16], 'min_packets_len')
        self.assertEqual(R.COLUMNS[43:52], [
            'min_receiving_packets_delta_len', 'max_receiving_packets_delta_len',
            'mean_receiving_packets_delta_len', 'median_receiving_packets_delta_len',
            'standard_deviation_receiving_packets_delta_len',
            'variance_receiving_packets_delta_len', 'mode_receiving_packets_delta_len',
            'coefficient_of_variation_receiving_packets_delta_len',
            'skewness_receiving_packets_delta_len'])
        self.assertEqual(R.COLUMNS[61], 'max_receiving_packets_delta_time')
        self.assertEqual(R.COLUMNS[68], 'skewness_sreceiving_packets_delta_time')
        self.assertEqual(R.COLUMNS[-1], 'skewness_sending_packets_delta_time')


# ---------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------

def _sample_frames():
    t0 = 1600000000 * NS
    fr = eth(ipv4(A, B, 17, udp(1000, 2000, b'x' * 10)))
    return [(t0 + 123456789, fr), (t0 + 2 * NS + 5000, fr), (t0 + 3 * NS, fr)]


class TestReaders(unittest.TestCase):
    def setUp(self):
        self.t = Tmp()

    def tearDown(self):
        self.t.dir.cleanup()

    def read(self, p):
        return [(lt, ts, len(b), wl) for lt, ts, b, wl in R.read_capture(p)]

    def test_pcap_variants(self):
        pk = _sample_frames()
        want_us = [(1, ts // 1000 * 1000, len(f), len(f)) for ts, f in pk]
        want_ns = [(1, ts, len(f), len(f)) for ts, f in pk]
        for bo in '<>':
            p = self.t.path()
            write_pcap(p, pk, bo=bo)
            self.assertEqual(self.read(p), want_us)
            p = self.t.path()
            write_pcap(p, pk, bo=bo, nano=True)
            self.assertEqual(self.read(p), want_ns)

    def test_orig_len_is_wire_len(self):
        fr = eth(ipv4(A, B, 6, tcp(1, 2, SYN)))
        p = self.t.path()
        write_pcap(p, [(NS, fr, 1514)])
        self.assertEqual(self.read(p), [(1, NS, len(fr), 1514)])

    def test_pcapng_variants(self):
        pk = _sample_frames()
        for bo in '<>':
            for res, exact in ((None, 1000), (9, 1), (3, 10 ** 6)):
                p = self.t.path('pcapng')
                write_pcapng(p, pk, bo=bo, tsresol=res)
                want = [(1, ts // exact * exact, len(f), len(f)) for ts, f in pk]
                self.assertEqual(self.read(p), want, (bo, res))

    def test_pcapng_pow2_and_offset(self):
        t0 = 1000 * NS
        pk = [(t0 + NS // 2, eth(ipv4(A, B, 1, b'\x08\x00' + b'\x00' * 6)))]
        p = self.t.path('pcapng')
        write_pcapng(p, pk, tsresol=0x80 | 10, tsoffset=7)
        # 2^-10 s units: 0.5 s is exact
        self.assertEqual(self.read(p)[0][1], t0 + NS // 2)
        # a timestamp that is not a multiple of 2^-10 s is floored
        p2 = self.t.path('pcapng')
        write_pcapng(p2, [(t0 + 1, pk[0][1])], tsresol=0x80 | 10, tsoffset=7)
        self.assertEqual(self.read(p2)[0][1], t0)

    def test_pcapng_multi_interface(self):
        v4 = ipv4(A, B, 17, udp(5, 6))
        v6 = ipv6('2001:db8::1', '2001:db8::2', 17, udp(5, 6))
        pk = [(NS, eth(v4), 0), (2 * NS, v6, 1)]
        p = self.t.path('pcapng')
        write_pcapng(p, pk, ifaces=[(1, None, None), (101, 9, None)])
        self.assertEqual([(lt, ts) for lt, ts, _b, _w in R.read_capture(p)],
                         [(1, NS), (101, 2 * NS)])
        summary, _lines = R.run(p)
        self.assertEqual(summary['metered'], 2)
        self.assertEqual(summary['flows'], 2)

    def test_pcapng_simple_packet_block(self):
        fr = eth(ipv4(A, B, 17, udp(1, 2)))
        bo = '<'
        data = _block(bo, 0x0A0D0D0A, struct.pack(bo + 'IHHq', 0x1A2B3C4D, 1, 0, -1))
        data += _block(bo, 1, struct.pack(bo + 'HHI', 1, 0, 0))
        data += _block(bo, 3, struct.pack(bo + 'I', len(fr)) + fr)
        p = self.t.path('pcapng')
        with open(p, 'wb') as f:
            f.write(data)
        # SPB: no timestamp (taken as 0), wire length = its original length
        self.assertEqual(self.read(p), [(1, 0, len(fr), len(fr))])

    def test_unsupported_linktype(self):
        p = self.t.path()
        write_pcap(p, [(NS, b'\x00' * 20)], linktype=147)
        with self.assertRaises(R.CaptureError):
            R.run(p)
        r = subprocess.run([sys.executable, os.path.join(HERE, 'afm_ref.py'), p],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)


# ---------------------------------------------------------------------------
# parsing and skip reasons
# ---------------------------------------------------------------------------

class TestParse(unittest.TestCase):
    def reason(self, frame, lt=1):
        r = R.parse_frame(lt, frame)
        return r if isinstance(r, str) else 'ok'

    def test_skip_reasons(self):
        good = ipv4(A, B, 6, tcp(1, 2, SYN))
        self.assertEqual(self.reason(eth(good)), 'ok')
        self.assertEqual(self.reason(b''), 'truncated')
        self.assertEqual(self.reason(eth(good)[:13]), 'truncated')
        self.assertEqual(self.reason(eth(b'\x00' * 28, 0x0806)), 'not_ip')
        self.assertEqual(self.reason(eth(good[:19])), 'truncated')
        self.assertEqual(self.reason(eth(good)[:14 + 20 + 19]), 'truncated')
        self.assertEqual(self.reason(eth(ipv4(A, B, 17, udp(1, 2))[:27])), 'truncated')
        self.assertEqual(self.reason(eth(good, 0x86dd)), 'malformed')  # version 4 in v6
        self.assertEqual(self.reason(eth(ipv4(A, B, 6, tcp(1, 2, SYN), ihl=4))), 'malformed')
        self.assertEqual(self.reason(eth(ipv4(A, B, 6, tcp(1, 2, SYN), tot=19))), 'malformed')
        self.assertEqual(self.reason(eth(ipv4(A, B, 6, tcp(1, 2, SYN), tot=0))), 'ok')
        self.assertEqual(self.reason(eth(ipv4(A, B, 6, tcp(1, 2, SYN, doff=4)))), 'malformed')
        # options announced by IHL but not captured
        self.assertEqual(self.reason(eth(ipv4(A, B, 1, b'', ihl=6))[:14 + 22]), 'truncated')

    def test_vlan(self):
        good = ipv4(A, B, 17, udp(1, 2))
        p = R.parse_frame(1, eth(good, vlans=(42,)))
        self.assertEqual((p.v0, p.v1), (42, 0))
        p = R.parse_frame(1, eth(good, vlans=(0x1000 | 10, 20)))  # PCP bit ignored
        self.assertEqual((p.v0, p.v1), (10, 20))
        self.assertEqual(self.reason(eth(good, vlans=(1, 2, 3))), 'vlan_depth')
        self.assertEqual(self.reason(eth(good, vlans=(1,))[:16]), 'truncated')

    def test_link_types(self):
        v4 = ipv4(A, B, 17, udp(1, 2))
        v6 = ipv6('::1', '::2', 17, udp(1, 2))
        # METERING.md: every raw-IP link type takes the version from the first nibble
        for lt in (12, 14, 101, 228, 229):
            self.assertEqual(R.parse_frame(lt, v4).ver, 4)
            self.assertEqual(R.parse_frame(lt, v6).ver, 6)
            self.assertEqual(self.reason(b'\x50' + v4[1:], lt), 'not_ip')
        sll = b'\x00\x00\x00\x01\x00\x06' + b'\x00' * 8 + b'\x08\x00'
        self.assertEqual(R.parse_frame(113, sll + v4).ver, 4)
        sll2 = b'\x86\xdd\x00\x00' + b'\x00' * 16
        self.assertEqual(R.parse_frame(276, sll2 + v6).ver, 6)
        for lt in (0, 108):
            self.assertEqual(R.parse_frame(lt, struct.pack('<I', 2) + v4).ver, 4)
            self.assertEqual(R.parse_frame(lt, struct.pack('>I', 2) + v4).ver, 4)
            for fam in (24, 28, 30):
                self.assertEqual(R.parse_frame(lt, struct.pack('<I', fam) + v6).ver, 6)
                self.assertEqual(R.parse_frame(lt, struct.pack('>I', fam) + v6).ver, 6)
            self.assertEqual(self.reason(struct.pack('<I', 7) + v4, lt), 'not_ip')
            self.assertEqual(self.reason(struct.pack('<I', 2) + v6, lt), 'malformed')

    def test_ipv6_ext_chain(self):
        def chain(k):
            ext = b''
            for i in range(k):
                nxt = 60 if i < k - 1 else 17
                ext += bytes([nxt, 0]) + b'\x00' * 6
            return ipv6('::1', '::2', 60 if k else 17, udp(1, 53, b'\xab\xcd'), ext)
        p = R.parse_frame(101, chain(8))
        self.assertEqual((p.proto, p.sport, p.dport, p.dnsid), (17, 1, 53, 0xabcd))
        self.assertEqual(self.reason(chain(9), 101), 'ipv6_ext_chain')
        self.assertEqual(self.reason(chain(2)[:40 + 12], 101), 'truncated')
        # ESP ends the chain: it is the protocol, ports 0
        p = R.parse_frame(101, ipv6('::1', '::2', 0, b'\x00' * 8, b'\x32\x00' + b'\x00' * 6))
        self.assertEqual((p.proto, p.sport), (50, 0))

    def test_http_and_dns(self):
        ok = eth(ipv4(B, A, 6, tcp(80, 999, ACK, b'HTTP/1.1 204 No Content\r\n')))
        self.assertEqual(R.parse_frame(1, ok).http, 204)
        bad = eth(ipv4(B, A, 6, tcp(80, 999, ACK, b'HTTP/1.1 2x0 OK')))
        self.assertIsNone(R.parse_frame(1, bad).http)
        # payload beyond the IP total length is not looked at
        l4 = tcp(80, 999, ACK, b'HTTP/1.1 200 OK')
        cut = eth(ipv4(B, A, 6, l4, tot=20 + 20 + 5))
        self.assertIsNone(R.parse_frame(1, cut).http)
        p = R.parse_frame(1, eth(ipv4(A, B, 17, udp(5353, 53, b'\x12\x34rest'))))
        self.assertEqual(p.dnsid, 0x1234)
        p = R.parse_frame(1, eth(ipv4(A, B, 17, udp(5353, 53, b'\x12'))))
        self.assertEqual(p.dnsid, 0)


# ---------------------------------------------------------------------------
# metering rules
# ---------------------------------------------------------------------------

def u(ts, src, sp, dst, dp, payload=b'', **kw):
    return (ts, eth(ipv4(src, dst, 17, udp(sp, dp, payload), **kw)))


def t(ts, src, sp, dst, dp, flags, payload=b''):
    return (ts, eth(ipv4(src, dst, 6, tcp(sp, dp, flags, payload))))


class TestMeter(unittest.TestCase):
    def test_icmp_pings(self):
        pk = []
        for i in range(5):
            icmp = b'\x08\x00' + b'\x00' * 6
            pk.append((i * NS, eth(ipv4(A, B, 1, icmp))))
            pk.append((i * NS + 1000, eth(ipv4(B, A, 1, icmp))))
        s, rows = meter(pk)
        self.assertEqual(s['flows'], 1)
        r = rows[0]
        self.assertEqual((r['packets_numbers'], r['receiving_packets_numbers'],
                          r['sending_packets_numbers'], r['src_port'], r['protocol']),
                         ('10', '5', '5', '0', 'Others'))
        self.assertEqual(r['mean_receiving_packets_delta_time'], '1')
        self.assertEqual(r['duration'], '4.000001')

    def test_lengths_and_deltas(self):
        pk = [u(0, A, 1000, B, 2000, b'a' * 60), u(NS, B, 2000, A, 1000, b'b' * 76),
              u(3 * NS, A, 1000, B, 2000, b'c' * 30)]
        s, rows = meter(pk)
        r = rows[0]
        l1, l2, l3 = 14 + 28 + 60, 14 + 28 + 76, 14 + 28 + 30
        self.assertEqual(r['min_packets_len'], str(min(l1, l2, l3)))
        self.assertEqual(r['mean_receiving_packets_len'], str((l1 + l3) // 2))
        self.assertEqual(r['min_receiving_packets_delta_len'], str(l3 - l1))
        self.assertEqual(r['max_receiving_packets_delta_time'], '3')
        self.assertEqual(r['receiving_packets_rate'], R.fmt_num(2 / 3, 9))
        self.assertEqual(r['sending_packets_rate'], '0')
        self.assertEqual(r['packets_rate'], '1')
        self.assertEqual(r['flow_id'], '1970-01-01 00:00:00.000000--10.0.0.1--1000--10.0.0.2--2000')

    def test_idle_boundary(self):
        s, rows = meter([u(0, A, 1, B, 2), u(120 * NS, A, 1, B, 2)])
        self.assertEqual(s['flows'], 1)
        s, rows = meter([u(0, A, 1, B, 2), u(120 * NS + 1, A, 1, B, 2)])
        self.assertEqual(s['flows'], 2)
        s, rows = meter([u(0, A, 1, B, 2), u(11 * NS, A, 1, B, 2)], idle_ns=10 * NS)
        self.assertEqual(s['flows'], 2)

    def test_dns_per_transaction_and_idle(self):
        pk = [u(0, A, 5000, B, 53, b'\x00\x01q'), u(1000, B, 53, A, 5000, b'\x00\x01a'),
              u(2000, A, 5000, B, 53, b'\x00\x02q'),
              u(30 * NS + 1000, A, 5000, B, 53, b'\x00\x01q'),   # within 30 s of last
              u(61 * NS, A, 5000, B, 53, b'\x00\x01q')]          # > 30 s: new flow
        s, rows = meter(pk)
        self.assertEqual(s['flows'], 3)
        # flow 0x0002 ends first (deadline 30 s + 2000 ns), then 0x0001
        self.assertEqual(rows[0]['packets_numbers'], '1')   # id 2, deadline 30 s + 2000 ns
        self.assertEqual(rows[1]['packets_numbers'], '3')   # id 1
        self.assertEqual(rows[2]['packets_numbers'], '1')   # id 1 again, after the gap
        self.assertTrue(all(r['protocol'] == 'DNS' for r in rows))

    def test_tcp_close_linger_and_new_syn(self):
        pk = [t(0, A, 40000, B, 80, SYN), t(1, B, 80, A, 40000, SYN | ACK),
              t(2, A, 40000, B, 80, ACK),
              t(NS, A, 40000, B, 80, FIN | ACK), t(NS + 1, B, 80, A, 40000, FIN | ACK),
              t(NS + 2, A, 40000, B, 80, ACK),              # last ACK: same flow
              t(6 * NS + 1, A, 40000, B, 80, ACK),          # exactly close+linger: same flow
              t(7 * NS, A, 40000, B, 80, SYN),              # after the linger: new flow
              t(7 * NS + 5, B, 80, A, 40000, RST | ACK),
              t(7 * NS + 6, A, 40000, B, 80, SYN)]          # SYN on a lingering flow
        s, rows = meter(pk, prec=12)
        self.assertEqual([r['packets_numbers'] for r in rows], ['7', '2', '1'])
        self.assertEqual(rows[0]['duration'], '6.000000001')

    def test_synack_first(self):
        s, rows = meter([t(0, B, 80, A, 40000, SYN | ACK), t(5, A, 40000, B, 80, ACK)])
        r = rows[0]
        self.assertEqual((r['src_ip'], r['src_port'], r['dst_ip'], r['dst_port']),
                         (A, '40000', B, '80'))
        self.assertEqual((r['receiving_packets_numbers'], r['sending_packets_numbers']),
                         ('1', '1'))

    def test_same_host_direction_by_port(self):
        s, rows = meter([u(0, A, 1, A, 2), u(1, A, 2, A, 1), u(2, A, 1, A, 2)])
        self.assertEqual((rows[0]['receiving_packets_numbers'],
                          rows[0]['sending_packets_numbers']), ('2', '1'))

    def test_active_timeout(self):
        pk = [u(i * 100 * NS, A, 1, B, 2) for i in range(40)]  # 0 .. 3900 s
        s, rows = meter(pk)
        self.assertEqual([r['packets_numbers'] for r in rows], ['19', '19', '2'])
        s, rows = meter(pk, active_ns=1000 * NS)
        self.assertEqual([r['packets_numbers'] for r in rows], ['11', '11', '11', '7'])

    def test_vlan_keys(self):
        l3 = ipv4(A, B, 6, tcp(1, 80, SYN))
        pk = [(0, eth(l3)), (1, eth(l3, vlans=(42,))), (2, eth(l3, vlans=(10, 20))),
              (3, eth(l3, vlans=(42,))), (4, eth(l3, vlans=(1, 2, 3))),
              (5, eth(b'\x00' * 28, 0x0806))]
        s, rows = meter(pk)
        self.assertEqual(s['flows'], 3)
        self.assertEqual(s['skipped']['vlan_depth'], 1)
        self.assertEqual(s['skipped']['not_ip'], 1)
        self.assertEqual([r['packets_numbers'] for r in rows], ['1', '2', '1'])

    def test_fragments(self):
        # DNS answer in 2 fragments, second within 30 s; another whose first is missing
        first = udp(53, 5000, b'\x77\x77' + b'x' * 14)
        pk = [u(0, A, 5000, B, 53, b'\x77\x77q'),
              (10, eth(ipv4(B, A, 17, first, ident=9, mf=True))),
              (20, eth(ipv4(B, A, 17, b'y' * 16, ident=9, off=3))),
              (30, eth(ipv4(B, A, 17, b'z' * 16, ident=8, off=3)))]
        s, rows = meter(pk)
        self.assertEqual(s['flows'], 2)
        by = {r['src_port']: r for r in rows}
        self.assertEqual(by['5000']['packets_numbers'], '3')
        self.assertEqual(by['5000']['sending_packets_numbers'], '2')
        self.assertEqual((by['0']['src_ip'], by['0']['packets_numbers']), (B, '1'))

    def test_fragment_30s(self):
        first = udp(7, 8, b'x' * 16)
        pk = [(0, eth(ipv4(A, B, 17, first, ident=5, mf=True))),
              (30 * NS, eth(ipv4(A, B, 17, b'y' * 8, ident=5, off=3))),
              (30 * NS + 1, eth(ipv4(A, B, 17, b'y' * 8, ident=5, off=4)))]
        s, rows = meter(pk)
        self.assertEqual(sorted((r['src_port'], r['packets_numbers']) for r in rows),
                         [('0', '1'), ('7', '2')])

    def test_ipv6_fragments(self):
        S, D = '2001:db8::53', '2001:db8::1'

        def frag(off, more, ident, nxt=17):
            return bytes([nxt, 0]) + struct.pack('>HI', (off << 3) | more, ident)
        pk = [(0, eth(ipv6(D, S, 17, udp(4000, 53, b'\x01\x02q')), 0x86dd)),
              (10, eth(ipv6(S, D, 44, udp(53, 4000, b'\x01\x02' + b'a' * 30),
                            frag(0, 1, 77)), 0x86dd)),
              (20, eth(ipv6(S, D, 44, b'b' * 40, frag(5, 0, 77)), 0x86dd)),
              (30, eth(ipv6(S, D, 44, udp(53, 4000, b'\x01\x03'), frag(0, 0, 78)), 0x86dd))]
        s, rows = meter(pk)
        self.assertEqual([(r['packets_numbers'], r['dst_ip']) for r in rows],
                         [('3', S), ('1', D)])

    def test_http_success(self):
        pk = [t(0, A, 40000, B, 80, SYN),
              t(NS, B, 80, A, 40000, ACK, b'HTTP/1.1 200 OK\r\n'),
              t(2 * NS, B, 80, A, 40000, ACK, b'HTTP/1.0 299 X\r\n'),
              t(3 * NS, B, 80, A, 40000, ACK, b'HTTP/1.1 302 Found\r\n'),
              t(4 * NS, A, 40000, B, 80, ACK, b'HTTP/1.1 201 Created'),
              t(5 * NS, B, 80, A, 40000, ACK, b'HTTP/1.1 200')]   # exactly 3 digits, nothing after
        s, rows = meter(pk)
        self.assertEqual(rows[0]['success_packets_numbers'], '4')
        self.assertEqual(rows[0]['success_packets_rate'], R.fmt_num(4 / 5, 9))

    def test_end_order(self):
        # three flows with equal deadlines end in creation order; the rest at EOF
        pk = [u(0, A, 1, B, 2), u(0, A, 3, B, 4), u(5, A, 5, B, 6),
              u(0, A, 7, B, 8), u(200 * NS, A, 9, B, 10), u(200 * NS, A, 11, B, 12)]
        s, rows = meter(pk)
        self.assertEqual([r['src_port'] for r in rows], ['1', '3', '7', '5', '9', '11'])

    def test_out_of_order_timestamps(self):
        pk = [u(10 * NS, A, 1, B, 2, b'a'), u(5 * NS, A, 1, B, 2, b'bb'),
              u(12 * NS, A, 1, B, 2, b'ccc')]
        s, rows = meter(pk)
        r = rows[0]
        self.assertEqual(r['timestamp'], '1970-01-01 00:00:05.000000')
        self.assertEqual(r['duration'], '7')
        # time order: 5 s (len+2), 10 s (len+1), 12 s (len+3)
        self.assertEqual(r['min_receiving_packets_delta_len'], '-1')
        self.assertEqual(r['max_receiving_packets_delta_len'], '2')
        self.assertEqual(r['max_receiving_packets_delta_time'], '5')

    def test_oversized_records_are_skipped(self):
        # an original length over 16 MiB is damage, not a frame
        a = u(T0, A, 1, B, 2)
        pk = [a, (T0 + 1, a[1], 16 * 1024 * 1024 + 1), (T0 + 2, a[1], 16 * 1024 * 1024)]
        s, rows = meter(pk)
        self.assertEqual(s['skipped']['oversized'], 1)
        self.assertEqual((s['packets'], s['metered']), (3, 2))
        self.assertEqual(rows[0]['max_packets_len'], str(16 * 1024 * 1024))

    def test_cli_summary(self):
        tmp = Tmp()
        p = tmp.path()
        write_pcap(p, [u(0, A, 1, B, 2), (1, eth(b'\x00' * 28, 0x0806))])
        out = tmp.path('csv')
        r = subprocess.run([sys.executable, os.path.join(HERE, 'afm_ref.py'), p, '-o', out,
                            '--precision', '6'], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        self.assertEqual(json.loads(r.stderr), {
            'packets': 2, 'metered': 1, 'flows': 1,
            'skipped': {'not_ip': 1, 'truncated': 0, 'malformed': 0,
                        'ipv6_ext_chain': 0, 'vlan_depth': 0, 'oversized': 0,
                        'tunnel': 0}})
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0].split(','), R.COLUMNS)
        self.assertEqual(len(lines), 2)
        c = subprocess.run([sys.executable, os.path.join(HERE, 'compare.py'), out, out],
                           capture_output=True, text=True)
        self.assertEqual((c.returncode, c.stdout.strip()), (0, '1 rows, 78 columns agree'))
        tmp.dir.cleanup()


# ---------------------------------------------------------------------------
# the extended schema (docs/COLUMNS.md)
# ---------------------------------------------------------------------------

def meter_ext(pkts, **kw):
    """Like meter(), with --schema extended: rows as dicts of all 118 columns."""
    t_ = Tmp()
    p = t_.path()
    write_pcap(p, pkts, linktype=kw.pop('linktype', 1), nano=True)
    summary, lines = R.run(p, schema='extended', **kw)
    cols = R.columns_for('extended')
    rows = []
    for ln in lines:
        cells = ln.split(',')
        assert len(cells) == len(cols) == 118, len(cells)
        assert all(c != '' for c in cells)  # no cell is ever empty
        rows.append(dict(zip(cols, cells)))
    t_.dir.cleanup()
    return summary, rows


T0 = 1639586100 * NS + 123456789    # 2021-12-15 16:35:00.123456789 UTC
MS = 10 ** 6
C6, S6 = '2001:db8::1', '2001:db8::80'
PSH, URG, ECE, CWR = 0x08, 0x20, 0x40, 0x80


def t6(ts, src, sp, dst, dp, flags, payload=b''):
    return (ts, eth(ipv6(src, dst, 6, tcp(sp, dp, flags, payload)), 0x86dd))


def ext_part(row):
    return {k: row[k] for k in R.EXT_COLUMNS}


class TestExtendedColumns(unittest.TestCase):
    def test_header(self):
        cols = R.columns_for('extended')
        self.assertEqual(cols[:78], R.COLUMNS)
        self.assertEqual(cols[78:], [
            'min_receiving_packets_delta_time', 'total_bytes', 'receiving_bytes',
            'sending_bytes', 'receiving_ip_bytes', 'sending_ip_bytes',
            'packets_len_rate', 'receiving_packets_len_rate',
            'sending_packets_len_rate', 'handshake_duration', 'delta_start',
            'ip_version', 'ip_protocol', 'vlan_ids',
            'receiving_syn_flags', 'receiving_fin_flags', 'receiving_rst_flags',
            'receiving_psh_flags', 'receiving_ack_flags', 'receiving_urg_flags',
            'receiving_ece_flags', 'receiving_cwr_flags',
            'sending_syn_flags', 'sending_fin_flags', 'sending_rst_flags',
            'sending_psh_flags', 'sending_ack_flags', 'sending_urg_flags',
            'sending_ece_flags', 'sending_cwr_flags',
            'first_packet_time', 'last_packet_time', 'end_reason', 'interface', 'label',
            'tunnel', 'tunnel_src_ip', 'tunnel_dst_ip', 'receiving_tunnel_id',
            'sending_tunnel_id'])
        self.assertEqual(R.columns_for('appflowmeter'), R.COLUMNS)

    def test_first_78_unchanged(self):
        pk = [u(T0, A, 1000, B, 2000, b'a' * 60), u(T0 + NS, B, 2000, A, 1000, b'b' * 7),
              u(T0 + 3 * NS, A, 1000, B, 2000, b'c')]
        _s, rows = meter(pk)
        _s, xrows = meter_ext(pk)
        self.assertEqual([xrows[0][c] for c in R.COLUMNS], [rows[0][c] for c in R.COLUMNS])

    # --- handshake -------------------------------------------------------

    def test_handshake_data_on_final_ack(self):
        pk = [t(T0, A, 40000, B, 80, SYN),
              t(T0 + 1000, B, 80, A, 40000, SYN | ACK),
              t(T0 + 2500, A, 40000, B, 80, ACK | PSH, b'GET / HTTP/1.1\r\n\r\n'),
              t(T0 + 9000, B, 80, A, 40000, ACK, b'HTTP/1.1 200 OK\r\n')]
        _s, rows = meter_ext(pk)
        r = rows[0]
        self.assertEqual(r['handshake_duration'], '2.5e-06')
        self.assertEqual(r['delta_start'], '0')          # the ACK carries the data
        self.assertEqual(r['first_packet_time'], '1639586100.123456789')
        self.assertEqual(r['last_packet_time'], '1639586100.123465789')
        self.assertEqual(r['timestamp'], '2021-12-15 16:35:00.123456')

    def test_handshake_then_data_later(self):
        pk = [t(T0, A, 40000, B, 443, SYN),
              t(T0 + 300 * MS, A, 40000, B, 443, SYN),            # retransmitted SYN
              t(T0 + 310 * MS, A, 40000, B, 443, ACK, b'early'),  # before SYN-ACK: ignored
              t(T0 + 320 * MS, B, 443, A, 40000, SYN | ACK),
              t(T0 + 330 * MS, B, 443, A, 40000, SYN | ACK),      # second SYN-ACK: ignored
              t(T0 + 350 * MS, A, 40000, B, 443, ACK),            # the ACK, no payload
              t(T0 + 351 * MS, A, 40000, B, 443, ACK),            # duplicate ACK, no payload
              t(T0 + 400 * MS, B, 443, A, 40000, ACK | PSH, b'x' * 5),   # DATA, from dst
              t(T0 + 500 * MS, A, 40000, B, 443, ACK | PSH, b'y')]
        _s, rows = meter_ext(pk, prec=17)
        r = rows[0]
        # from the first SYN to the ACK; from the ACK to the first payload, either way
        self.assertEqual(float(r['handshake_duration']), 0.35)
        self.assertEqual(float(r['delta_start']), 0.05)

    def test_handshake_ipv6_and_padding_is_not_payload(self):
        # Ethernet padding after an empty segment is not payload: the IP length counts
        pad = b'\x00' * 6
        pk = [t6(T0, C6, 5555, S6, 80, SYN),
              t6(T0 + 4 * MS, S6, 80, C6, 5555, SYN | ACK),
              (T0 + 6 * MS, eth(ipv6(C6, S6, 6, tcp(5555, 80, ACK)), 0x86dd) + pad),
              t6(T0 + 10 * MS, C6, 5555, S6, 80, ACK | PSH, b'GET')]
        _s, rows = meter_ext(pk, prec=17)
        r = rows[0]
        self.assertEqual(float(r['handshake_duration']), 0.006)
        self.assertEqual(float(r['delta_start']), 0.004)
        self.assertEqual((r['ip_version'], r['ip_protocol']), ('6', '6'))

    def test_synack_first_has_no_handshake(self):
        pk = [t(T0, B, 80, A, 40000, SYN | ACK),
              t(T0 + 10, A, 40000, B, 80, ACK),
              t(T0 + 20, A, 40000, B, 80, ACK | PSH, b'data')]
        _s, rows = meter_ext(pk)
        r = rows[0]
        self.assertEqual((r['src_ip'], r['src_port']), (A, '40000'))
        self.assertEqual((r['handshake_duration'], r['delta_start']), ('0', '0'))
        self.assertEqual((r['sending_syn_flags'], r['sending_ack_flags'],
                          r['receiving_syn_flags'], r['receiving_ack_flags'],
                          r['receiving_psh_flags']), ('1', '1', '0', '2', '1'))

    def test_no_handshake(self):
        # mid-stream: no SYN at all
        _s, rows = meter_ext([t(T0, A, 40000, B, 80, ACK, b'a'),
                              t(T0 + 5, B, 80, A, 40000, ACK, b'b'),
                              t(T0 + 9, A, 40000, B, 80, ACK)])
        self.assertEqual((rows[0]['handshake_duration'], rows[0]['delta_start']), ('0', '0'))
        # SYN and SYN-ACK, but no ACK from src
        _s, rows = meter_ext([t(T0, A, 40000, B, 80, SYN),
                              t(T0 + 5, B, 80, A, 40000, SYN | ACK),
                              t(T0 + 9, B, 80, A, 40000, ACK, b'banner')])
        self.assertEqual((rows[0]['handshake_duration'], rows[0]['delta_start']), ('0', '0'))
        # complete handshake, no payload ever: delta_start 0
        _s, rows = meter_ext([t(T0, A, 40000, B, 80, SYN),
                              t(T0 + 5, B, 80, A, 40000, SYN | ACK),
                              t(T0 + 9, A, 40000, B, 80, ACK),
                              t(T0 + 12, A, 40000, B, 80, FIN | ACK)])
        self.assertEqual((rows[0]['handshake_duration'], rows[0]['delta_start']),
                         ('9e-09', '0'))
        # UDP: both 0, flags 0
        _s, rows = meter_ext([u(T0, A, 1, B, 2, b'x'), u(T0 + 5, B, 2, A, 1, b'y')])
        r = rows[0]
        self.assertEqual((r['handshake_duration'], r['delta_start'], r['ip_protocol']),
                         ('0', '0', '17'))
        self.assertTrue(all(r[c] == '0' for c in R.FLAG_COLUMNS))

    def test_payload_rule(self):
        def pay(frame, lt=1):
            p = R.parse_frame(lt, frame)
            self.assertNotIsInstance(p, str)
            return p.tpay
        self.assertFalse(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK)))))
        self.assertTrue(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK, b'x')))))
        # IPv4 options and TCP options are headers, not payload
        self.assertFalse(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK, doff=8), ihl=6))))
        self.assertTrue(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK, b'z', doff=8), ihl=6))))
        # declared length 0 (TSO super-frame) counts as payload, even with no bytes
        self.assertTrue(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK), tot=0))))
        self.assertTrue(pay(ipv6(C6, S6, 6, tcp(1, 2, ACK))[:4] + b'\x00\x00'
                            + ipv6(C6, S6, 6, tcp(1, 2, ACK))[6:], lt=101))
        # declared length counts, not the captured bytes (snaplen cut, padding)
        self.assertTrue(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK), tot=20 + 20 + 100))))
        self.assertFalse(pay(eth(ipv4(A, B, 6, tcp(1, 2, ACK, b'pad'), tot=40))))
        # IPv6 extension headers are IP headers
        dopt = bytes([6, 1]) + b'\x00' * 14
        self.assertFalse(pay(ipv6(C6, S6, 60, tcp(1, 2, ACK), dopt), lt=101))
        self.assertTrue(pay(ipv6(C6, S6, 60, tcp(1, 2, ACK, b'd'), dopt), lt=101))
        # a later fragment is not a TCP segment
        p = R.parse_frame(1, eth(ipv4(A, B, 6, b'\x12' * 40, ident=3, off=10)))
        self.assertEqual((p.frag, p.flags, p.tpay), ('later', 0, False))

    def test_later_fragment_not_data_no_flags(self):
        first = tcp(40000, 80, ACK | PSH, b'q' * 16)
        pk = [t(T0, A, 40000, B, 80, SYN),
              t(T0 + 100, B, 80, A, 40000, SYN | ACK),
              t(T0 + 200, A, 40000, B, 80, ACK),
              # later fragment first (its first fragment never seen): own flow, ports 0
              (T0 + 250, eth(ipv4(A, B, 6, b'\xff' * 24, ident=7, off=5))),
              (T0 + 300, eth(ipv4(A, B, 6, first, ident=9, mf=True))),   # first fragment: DATA
              (T0 + 400, eth(ipv4(A, B, 6, b'\xff' * 24, ident=9, off=5)))]
        _s, rows = meter_ext(pk)
        by = {r['src_port']: r for r in rows}
        r = by['40000']
        self.assertEqual(r['packets_numbers'], '5')
        self.assertEqual(r['delta_start'], '1e-07')
        # the later fragment (0xff bytes where a TCP header would be) adds no flag
        self.assertEqual([r['receiving_%s_flags' % f] for f, _b in R.FLAG_BITS],
                         ['1', '0', '0', '1', '2', '0', '0', '0'])
        z = by['0']
        self.assertEqual((z['packets_numbers'], z['ip_protocol']), ('1', '6'))
        self.assertTrue(all(z[c] == '0' for c in R.FLAG_COLUMNS))
        self.assertEqual((z['handshake_duration'], z['delta_start']), ('0', '0'))

        # a later fragment after the ACK does not count as DATA either
        pk = [t(T0, A, 40000, B, 80, SYN),
              t(T0 + 100, B, 80, A, 40000, SYN | ACK),
              (T0 + 150, eth(ipv4(A, B, 6, tcp(40000, 80, ACK), ident=4, mf=True))),
              (T0 + 200, eth(ipv4(A, B, 6, b'\x00' * 30, ident=4, off=3))),
              t(T0 + 900, B, 80, A, 40000, ACK, b'resp')]
        _s, rows = meter_ext(pk)
        r = rows[0]
        self.assertEqual(r['packets_numbers'], '5')
        # the first fragment is the ACK (flags ACK, declared length = headers only)
        self.assertEqual(r['handshake_duration'], '1.5e-07')
        self.assertEqual(r['delta_start'], '7.5e-07')

    # --- times and volumes -----------------------------------------------

    def test_ip_bytes(self):
        # METERING.md section 1: declared IP length, unless the frame holds less
        # after the link header and tags; Ethernet padding is not IP
        pad = u(T0, A, 1, B, 2, b'x')                    # 29-byte IP packet, 43-byte frame
        frame = pad[1] + b'\x00' * 17                   # padded to 60 on the wire
        short = (T0 + 1, pad[1], len(pad[1]) + 500)      # declares 29, frame says more: 29
        tso = (T0 + 2, eth(ipv4(A, B, 17, udp(1, 2, b'y'), tot=0)), 9000)  # declares 0
        _s, rows = meter_ext([(T0, frame), short, tso])
        r = rows[0]
        self.assertEqual(r['receiving_bytes'], str(60 + 543 + 9000))
        self.assertEqual(r['receiving_ip_bytes'], str(29 + 29 + (9000 - 14)))
        self.assertEqual(r['sending_ip_bytes'], '0')

    def test_bytes_rates_and_min_delta(self):
        pk = [(T0, eth(ipv4(A, B, 17, udp(1, 2, b'a'))), 1000),
              (T0 + 3 * NS, eth(ipv4(A, B, 17, udp(1, 2, b'b'))), 500),
              (T0 + 4 * NS, eth(ipv4(B, A, 17, udp(2, 1, b'c'))), 64),
              (T0 + 5 * NS, eth(ipv4(A, B, 17, udp(1, 2, b'd'))), 100)]
        _s, rows = meter_ext(pk)
        r = rows[0]
        self.assertEqual((r['total_bytes'], r['receiving_bytes'], r['sending_bytes']),
                         ('1664', '1600', '64'))
        self.assertEqual(r['packets_len_rate'], R.fmt_num(1664 / 5, 9))
        self.assertEqual(r['receiving_packets_len_rate'], '320')      # 1600 B / 5 s
        self.assertEqual(r['sending_packets_len_rate'], '0')          # one packet
        self.assertEqual(r['min_receiving_packets_delta_time'], '2')  # gaps 3 s, 2 s
        self.assertEqual(r['max_receiving_packets_delta_time'], '3')
        self.assertEqual(r['min_sending_packets_delta_time'], '0')
        self.assertEqual((r['first_packet_time'], r['last_packet_time']),
                         ('1639586100.123456789', '1639586105.123456789'))
        # one packet: every rate 0, min delta 0
        _s, rows = meter_ext([(T0, eth(ipv4(A, B, 17, udp(1, 2))), 42)])
        r = rows[0]
        self.assertEqual((r['total_bytes'], r['packets_len_rate'],
                          r['receiving_packets_len_rate'],
                          r['min_receiving_packets_delta_time'],
                          r['first_packet_time'], r['last_packet_time']),
                         ('42', '0', '0', '0', '1639586100.123456789',
                          '1639586100.123456789'))
        # two packets at the same time: span 0, rate 0
        _s, rows = meter_ext([u(T0, A, 1, B, 2), u(T0, A, 1, B, 2)])
        self.assertEqual((rows[0]['packets_len_rate'], rows[0]['receiving_packets_len_rate']),
                         ('0', '0'))

    def test_out_of_order_times(self):
        pk = [u(T0 + 10 * NS, A, 1, B, 2), u(T0 + 5 * NS, A, 1, B, 2),
              u(T0 + 12 * NS, A, 1, B, 2)]
        _s, rows = meter_ext(pk)
        r = rows[0]
        self.assertEqual((r['first_packet_time'], r['last_packet_time']),
                         ('1639586105.123456789', '1639586112.123456789'))
        self.assertEqual(r['min_receiving_packets_delta_time'], '2')

    def test_seconds_text(self):
        self.assertEqual(R.secs_text(0), '0.000000000')
        self.assertEqual(R.secs_text(1639586100123456789), '1639586100.123456789')
        self.assertEqual(R.secs_text(5 * NS + 7), '5.000000007')
        self.assertEqual(R.secs_text(-1), '-0.000000001')

    # --- identity --------------------------------------------------------

    def test_vlan_ids_and_identity(self):
        l3 = ipv4(A, B, 6, tcp(1, 80, SYN))
        pk = [(T0, eth(l3)), (T0 + 1, eth(l3, vlans=(42,))), (T0 + 2, eth(l3, vlans=(10, 20))),
              (T0 + 3, eth(ipv4(A, B, 1, b'\x08' + b'\x00' * 7), vlans=(4095,))),
              (T0 + 4, eth(ipv6(C6, S6, 58, b'\x80' + b'\x00' * 7), 0x86dd, vlans=(7, 4094)))]
        _s, rows = meter_ext(pk)
        self.assertEqual([(r['vlan_ids'], r['ip_version'], r['ip_protocol']) for r in rows],
                         [('0', '4', '6'), ('42', '4', '6'), ('10:20', '4', '6'),
                          ('4095', '4', '1'), ('7:4094', '6', '58')])
        self.assertEqual(R.vlan_text(0, 0), '0')

    # --- flags -----------------------------------------------------------

    def test_flags_per_direction(self):
        pk = [t(T0, A, 40000, B, 80, SYN | ECE | CWR),
              t(T0 + 1, B, 80, A, 40000, SYN | ACK | ECE),
              t(T0 + 2, A, 40000, B, 80, ACK),
              t(T0 + 3, A, 40000, B, 80, ACK | PSH | URG, b'u'),
              t(T0 + 4, A, 40000, B, 80, ACK | CWR, b'v'),
              t(T0 + 5, B, 80, A, 40000, ACK | PSH | ECE, b'w'),
              t(T0 + 6, B, 80, A, 40000, FIN | ACK),
              t(T0 + 7, A, 40000, B, 80, FIN | ACK | PSH),
              t(T0 + 8, B, 80, A, 40000, ACK),
              t(T0 + 9, A, 40000, B, 80, RST)]
        _s, rows = meter_ext(pk)
        r = rows[0]
        got = {c: int(r[c]) for c in R.FLAG_COLUMNS}
        want = {'receiving_syn_flags': 1, 'receiving_fin_flags': 1, 'receiving_rst_flags': 1,
                'receiving_psh_flags': 2, 'receiving_ack_flags': 4, 'receiving_urg_flags': 1,
                'receiving_ece_flags': 1, 'receiving_cwr_flags': 2,
                'sending_syn_flags': 1, 'sending_fin_flags': 1, 'sending_rst_flags': 0,
                'sending_psh_flags': 1, 'sending_ack_flags': 4, 'sending_urg_flags': 0,
                'sending_ece_flags': 2, 'sending_cwr_flags': 0}
        self.assertEqual(got, want)
        self.assertEqual(r['end_reason'], 'fin')   # closed by the FINs, RST in the linger

    # --- end reasons -----------------------------------------------------

    def _fin_flow(self, t0, sp=40000):
        return [t(t0, A, sp, B, 80, SYN), t(t0 + 1, B, 80, A, sp, SYN | ACK),
                t(t0 + 2, A, sp, B, 80, ACK),
                t(t0 + NS, A, sp, B, 80, FIN | ACK), t(t0 + 2 * NS, B, 80, A, sp, FIN | ACK)]

    def reasons(self, pk, **kw):
        _s, rows = meter_ext(pk, **kw)
        return [(r['src_port'], r['packets_numbers'], r['end_reason']) for r in rows]

    def test_fin_when_linger_passes(self):
        pk = self._fin_flow(T0) + [t(T0 + 2 * NS + 1, A, 40000, B, 80, ACK),
                                   u(T0 + 7 * NS + 3, A, 1, B, 2)]   # clock past close+5 s
        self.assertEqual(self.reasons(pk), [('40000', '6', 'fin'), ('1', '1', 'eof')])

    def test_fin_at_eof_during_linger(self):
        pk = self._fin_flow(T0) + [t(T0 + 2 * NS + 1, A, 40000, B, 80, ACK)]
        self.assertEqual(self.reasons(pk), [('40000', '6', 'fin')])
        # exactly at close + linger the flow is still open: still fin at the end
        pk = self._fin_flow(T0) + [u(T0 + 7 * NS, A, 1, B, 2)]
        self.assertEqual(self.reasons(pk), [('40000', '5', 'fin'), ('1', '1', 'eof')])

    def test_fin_on_new_syn(self):
        pk = self._fin_flow(T0) + [t(T0 + 3 * NS, A, 40000, B, 80, SYN)]
        self.assertEqual(self.reasons(pk), [('40000', '5', 'fin'), ('40000', '1', 'eof')])

    def test_rst(self):
        base = [t(T0, A, 40000, B, 80, SYN), t(T0 + 1, B, 80, A, 40000, RST | ACK)]
        self.assertEqual(self.reasons(base), [('40000', '2', 'rst')])             # at EOF
        self.assertEqual(self.reasons(base + [t(T0 + NS, A, 40000, B, 80, SYN)]),  # new SYN
                         [('40000', '2', 'rst'), ('40000', '1', 'eof')])
        self.assertEqual(self.reasons(base + [u(T0 + 6 * NS, A, 1, B, 2)]),       # linger
                         [('40000', '2', 'rst'), ('1', '1', 'eof')])
        # a FIN one way then an RST: rst
        pk = [t(T0, A, 40000, B, 80, ACK), t(T0 + 1, A, 40000, B, 80, FIN | ACK),
              t(T0 + 2, B, 80, A, 40000, RST)]
        self.assertEqual(self.reasons(pk), [('40000', '3', 'rst')])

    def test_idle_active_eof(self):
        pk = [u(T0, A, 1, B, 2), u(T0 + 121 * NS, A, 1, B, 2)]
        self.assertEqual(self.reasons(pk), [('1', '1', 'idle'), ('1', '1', 'eof')])
        pk = [u(T0 + i * 100 * NS, A, 1, B, 2) for i in range(20)]      # 0 .. 1900 s
        self.assertEqual(self.reasons(pk), [('1', '19', 'active'), ('1', '1', 'eof')])
        # half-closed (FIN one way only) is not closed: eof
        pk = [t(T0, A, 40000, B, 80, ACK), t(T0 + 1, A, 40000, B, 80, FIN | ACK)]
        self.assertEqual(self.reasons(pk), [('40000', '2', 'eof')])
        # DNS idle (30 s)
        pk = [u(T0, A, 5000, B, 53, b'\x00\x09'), u(T0 + 31 * NS, A, 5001, B, 53, b'\x00\x08')]
        self.assertEqual(self.reasons(pk), [('5000', '1', 'idle'), ('5001', '1', 'eof')])

    def test_closed_flow_idle_before_linger(self):
        # idle 1 s < linger 5 s: the idle deadline comes first, the flow ends as fin
        pk = self._fin_flow(T0) + [u(T0 + 3 * NS + 1, A, 1, B, 2)]
        self.assertEqual(self.reasons(pk, idle_ns=NS), [('40000', '5', 'fin'),
                                                         ('1', '1', 'eof')])
        # active before linger: fin all the same
        pk = self._fin_flow(T0) + [u(T0 + 4 * NS, A, 1, B, 2)]
        self.assertEqual(self.reasons(pk, active_ns=3 * NS), [('40000', '5', 'fin'),
                                                               ('1', '1', 'eof')])

    def test_equal_deadlines(self):
        # linger == idle (close at 2 s, idle 5 s, linger 5 s): fin
        pk = self._fin_flow(T0) + [u(T0 + 8 * NS, A, 1, B, 2)]
        self.assertEqual(self.reasons(pk, idle_ns=5 * NS), [('40000', '5', 'fin'),
                                                             ('1', '1', 'eof')])
        # linger == active (close at 2 s, active 7 s): fin
        self.assertEqual(self.reasons(pk, active_ns=7 * NS), [('40000', '5', 'fin'),
                                                               ('1', '1', 'eof')])
        # linger == idle == active: fin
        self.assertEqual(self.reasons(pk, idle_ns=5 * NS, active_ns=7 * NS),
                         [('40000', '5', 'fin'), ('1', '1', 'eof')])
        # rst: linger == idle
        pk = [t(T0, A, 40000, B, 80, SYN), t(T0 + NS, B, 80, A, 40000, RST | ACK),
              u(T0 + 7 * NS, A, 1, B, 2)]
        self.assertEqual(self.reasons(pk, idle_ns=5 * NS), [('40000', '2', 'rst'),
                                                             ('1', '1', 'eof')])
        # idle == active (last 5 s + idle 5 s = first + active 10 s): active
        pk = [u(T0, A, 1, B, 2), u(T0 + 5 * NS, A, 1, B, 2), u(T0 + 11 * NS, A, 3, B, 4)]
        self.assertEqual(self.reasons(pk, idle_ns=5 * NS, active_ns=10 * NS),
                         [('1', '2', 'active'), ('3', '1', 'eof')])

    # --- interface, label, CLI --------------------------------------------

    def test_interface_and_label(self):
        pk = [u(T0, A, 1, B, 2)]
        _s, rows = meter_ext(pk)
        self.assertEqual((rows[0]['interface'], rows[0]['label']), ('-', '-'))
        _s, rows = meter_ext(pk, label='lab-1 run/2')
        self.assertEqual((rows[0]['interface'], rows[0]['label']), ('-', 'lab-1 run/2'))

    def test_cli_extended(self):
        tmp = Tmp()
        p = tmp.path()
        write_pcap(p, [u(0, A, 1, B, 2), u(NS, B, 2, A, 1)])
        out = tmp.path('csv')
        cmd = [sys.executable, os.path.join(HERE, 'afm_ref.py'), p, '-o', out]
        r = subprocess.run(cmd + ['--schema', 'extended', '--label', 'cap1'],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0].split(','), R.columns_for('extended'))
        row = dict(zip(lines[0].split(','), lines[1].split(',')))
        self.assertEqual((row['label'], row['interface'], row['end_reason'],
                          row['first_packet_time']), ('cap1', '-', 'eof', '0.000000000'))
        c = subprocess.run([sys.executable, os.path.join(HERE, 'compare.py'), out, out],
                           capture_output=True, text=True)
        self.assertEqual((c.returncode, c.stdout.strip()), (0, '1 rows, 118 columns agree'))
        # default schema: 78 columns
        r = subprocess.run(cmd, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual(f.readline().rstrip('\n').split(','), R.COLUMNS)
        # a label that cannot be a CSV cell, an unknown schema
        for bad in (['--label', 'a,b'], ['--label', ''], ['--schema', 'wide']):
            r = subprocess.run(cmd + bad, capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, bad)
        tmp.dir.cleanup()


class CompareCatchesDifferences(unittest.TestCase):
    """compare.py must fail on any real difference, or its 'agree' means nothing."""

    HEADER = ','.join(R.COLUMNS)

    def _row(self, first_time='2020-01-01 00:00:00.000000', port=1000, value='0.123456789012'):
        cells = []
        for name in R.COLUMNS:
            if name == 'flow_id':
                cells.append('%s--10.0.0.1--%d--10.0.0.2--80' % (first_time, port))
            elif name == 'timestamp':
                cells.append(first_time)
            elif name in ('src_ip', 'dst_ip'):
                cells.append('10.0.0.1' if name == 'src_ip' else '10.0.0.2')
            elif name == 'src_port':
                cells.append(str(port))
            elif name == 'dst_port':
                cells.append('80')
            elif name == 'protocol':
                cells.append('HTTP')
            elif name.endswith('_numbers'):
                cells.append('3')
            else:
                cells.append(value)
        return ','.join(cells)

    def _compare(self, expected_rows, actual_rows):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, rows in (('e.csv', expected_rows), ('a.csv', actual_rows)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], 'w') as f:
                    f.write('\n'.join([self.HEADER] + rows) + '\n')
            return subprocess.run([sys.executable, os.path.join(HERE, 'compare.py')] + paths,
                                  capture_output=True, text=True).returncode

    def test_identical_agree(self):
        self.assertEqual(self._compare([self._row()], [self._row()]), 0)

    def test_within_tolerance_agrees(self):
        self.assertEqual(self._compare([self._row()], [self._row(value='0.1234567890125')]), 0)

    def test_relative_difference_above_1e_9_fails(self):
        self.assertEqual(self._compare([self._row()], [self._row(value='0.123456789512')]), 1)

    def test_missing_or_extra_row_fails(self):
        self.assertEqual(self._compare([self._row(), self._row(port=1001)], [self._row()]), 1)
        self.assertEqual(self._compare([self._row()], [self._row(), self._row(port=1001)]), 1)

    def test_order_difference_fails(self):
        a, b = self._row(), self._row(port=1001)
        self.assertEqual(self._compare([a, b], [b, a]), 1)

    def test_integer_and_text_columns_are_exact(self):
        self.assertEqual(self._compare([self._row()], [self._row(port=1002)]), 1)
        self.assertEqual(self._compare([self._row()], [self._row(first_time='2020-01-01 00:00:00.000001')]), 1)



class CompareExtendedColumns(unittest.TestCase):
    """compare.py: the extended text and integer columns are compared exactly."""

    COLS = R.columns_for('extended')

    def _row(self, **over):
        vals = {'flow_id': '2020-01-01 00:00:00.000000--10.0.0.1--1000--10.0.0.2--80',
                'timestamp': '2020-01-01 00:00:00.000000', 'src_ip': '10.0.0.1',
                'dst_ip': '10.0.0.2', 'protocol': 'HTTP', 'vlan_ids': '10:20',
                'end_reason': 'fin', 'interface': '-', 'label': '-',
                'first_packet_time': '1577836800.000000001',
                'last_packet_time': '1577836801.000000001'}
        cells = []
        for name in self.COLS:
            if name in over:
                cells.append(over[name])
            elif name in vals:
                cells.append(vals[name])
            elif name in R.INT_COLUMNS:
                cells.append('3')
            else:
                cells.append('0.5')
        return ','.join(cells)

    def _compare(self, e, a):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, row in (('e.csv', e), ('a.csv', a)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], 'w') as f:
                    f.write(','.join(self.COLS) + '\n' + row + '\n')
            return subprocess.run([sys.executable, os.path.join(HERE, 'compare.py')] + paths,
                                  capture_output=True, text=True).returncode

    def test_sets(self):
        import compare as C
        ext_text = {'vlan_ids', 'end_reason', 'interface', 'label',
                    'first_packet_time', 'last_packet_time'}
        ext_int = {'total_bytes', 'receiving_bytes', 'sending_bytes', 'ip_version',
                   'ip_protocol'} | set(R.FLAG_COLUMNS)
        self.assertTrue(ext_text <= C.TEXT_COLUMNS)
        self.assertTrue(ext_int <= C.INT_COLUMNS)
        self.assertEqual(C.TEXT_COLUMNS, R.TEXT_COLUMNS)
        self.assertEqual(C.INT_COLUMNS, R.INT_COLUMNS)

    def test_exact(self):
        self.assertEqual(self._compare(self._row(), self._row()), 0)
        # numerically equal within 1e-9 but a different text: a difference
        self.assertEqual(self._compare(self._row(), self._row(
            first_packet_time='1577836800.000000002')), 1)
        self.assertEqual(self._compare(self._row(), self._row(
            last_packet_time='1577836801.00000000')), 1)
        for col, val in (('vlan_ids', '10'), ('end_reason', 'eof'), ('label', 'x'),
                         ('interface', 'eth0'), ('total_bytes', '4'),
                         ('sending_cwr_flags', '2'), ('ip_version', '6')):
            self.assertEqual(self._compare(self._row(), self._row(**{col: val})), 1, col)
        # a float column keeps its tolerance
        self.assertEqual(self._compare(self._row(), self._row(
            handshake_duration='0.50000000001')), 0)
        self.assertEqual(self._compare(self._row(), self._row(delta_start='0.5001')), 1)


# ---------------------------------------------------------------------------
# the CIC schemas (docs/CIC.md)
# ---------------------------------------------------------------------------

def meter_cic(pkts, schema='cic', **kw):
    """Meter pkts with a CIC schema: (summary, rows as dicts by the schema's names)."""
    t_ = Tmp()
    p = t_.path()
    write_pcap(p, pkts, linktype=kw.pop('linktype', 1), nano=True)
    summary, lines = R.run(p, schema=schema, **kw)
    cols = R.columns_for(schema) + R.first_packets_columns(kw.get('first_packets', 0),
                                                            kw.get('first_layout', 'arrays'))
    rows = []
    for ln in lines:
        cells = ln.split(',')
        assert len(cells) == len(cols), (len(cells), len(cols))
        assert all(c != '' for c in cells)      # no cell is ever empty
        assert not any(c in ('nan', 'inf', '-inf', '-1') for c in cells[:len(R.CIC_NAMES[schema])]
                       if schema == 'cic'), cells  # no sentinel (no -1 without first packets)
        rows.append(dict(zip(cols, cells)))
    t_.dir.cleanup()
    return summary, rows


def tc(ts, src, sp, dst, dp, flags, payload=b'', seq=0, ack=0, win=1024, doff=5):
    """A TCP segment with its sequence, acknowledgement and window."""
    l4 = struct.pack('>HHIIBBHHH', sp, dp, seq, ack, doff << 4, flags, win, 0, 0) \
        + b'\x00' * (doff * 4 - 20) + payload
    return (ts, eth(ipv4(src, dst, 6, l4)))


def pick(row, names):
    return tuple(row[n] for n in names)


# 2021-12-15 16:35:00.123456789 UTC: a capture time with nanoseconds
CT0 = T0


class TestCicText(unittest.TestCase):
    def test_timestamp_java_instant(self):
        f = R.cic_ts_text
        base = 1600000000 * NS                       # 2020-09-13 12:26:40 UTC
        self.assertEqual(f(base), '2020-09-13 12:26:40')                  # fraction 0: none
        self.assertEqual(f(base + 100 * MS), '2020-09-13 12:26:40.100')   # whole ms: 3 digits
        self.assertEqual(f(base + 123 * MS), '2020-09-13 12:26:40.123')
        self.assertEqual(f(base + 123456000), '2020-09-13 12:26:40.123456')  # whole us: 6
        self.assertEqual(f(base + 1000), '2020-09-13 12:26:40.000001')
        self.assertEqual(f(base + 120000), '2020-09-13 12:26:40.000120')
        self.assertEqual(f(base + 123456789), '2020-09-13 12:26:40.123456789')  # else 9
        self.assertEqual(f(base + 1), '2020-09-13 12:26:40.000000001')
        self.assertEqual(f(base + 100 * MS + 1), '2020-09-13 12:26:40.100000001')
        self.assertEqual(f(0), '1970-01-01 00:00:00')
        self.assertEqual(f(951782400 * NS + 5 * MS), '2000-02-29 00:00:00.005')

    def test_sample_stats(self):
        # sample std (n - 1): 10, 20, 30 -> mean 20, deviations -10 0 10, 200 / 2 = 100
        self.assertEqual(R.sample_stats([10, 20, 30]), (20.0, 10.0, 100.0, 30, 10))
        self.assertEqual(R.sample_stats([7]), (7.0, 0.0, 0.0, 7, 7))        # n = 1: std 0
        self.assertEqual(R.sample_stats([]), (0.0, 0.0, 0.0, 0, 0))          # n = 0: all 0
        # ns -> us: 1500 ns and 2500 ns: mean 2 us, var 0.5 us^2, max 2.5 us exactly
        mean, std, var, mx, mn = R.sample_stats([1500, 2500], 1000)
        self.assertEqual((mean, var, mx, mn), (2.0, 0.5, Fraction(5, 2), Fraction(3, 2)))
        # exact sums: near-constant large values lose nothing
        _m, _s, var, _x, _n = R.sample_stats([10 ** 15, 10 ** 15, 10 ** 15 + 3])
        self.assertEqual(var, 3.0)          # deviations -1 -1 2: 6 / 2

    def test_cic_headers(self):
        self.assertEqual(len(R.columns_for('cic')), 94)
        self.assertEqual(len(set(R.columns_for('cic'))), 94)
        h17 = R.columns_for('cic-ids2017')
        self.assertEqual(len(h17), 85)
        self.assertEqual((h17[40], h17[61]), (' Fwd Header Length', ' Fwd Header Length'))
        self.assertEqual(len(set(h17)), 84)   # one name twice
        self.assertEqual(h17[:3], ['Flow ID', ' Source IP', ' Source Port'])
        self.assertEqual(h17[-1], ' Label')
        h18 = R.columns_for('cic-ids2018')
        self.assertEqual(len(h18), 80)
        self.assertEqual(h18[:3], ['Dst Port', 'Protocol', 'Timestamp'])
        self.assertNotIn('Flow ID', h18)

    def test_headers_match_the_document(self):
        """The three name tables, read back from docs/CIC.md itself."""
        import re
        doc = os.path.join(HERE, '..', '..', 'docs', 'CIC.md')
        with open(doc, encoding='utf-8') as f:
            text = f.read()
        part = lambda a, b: text[text.index(a):text.index(b)]  # noqa: E731
        # `cic`: "| 17-20 | `Bwd Packet Length Max`, `Min`, ..." expands with the
        # first name's words but its last
        cic = {}
        for line in part('## Every column of `cic`', '### Bulks').splitlines():
            m = re.match(r'\| (\d+)(?:-(\d+))? \| ((?:`[^`]+`(?:, )?)+) \|', line)
            if not m:
                continue
            names = re.findall(r'`([^`]+)`', m.group(3))
            prefix = names[0].rsplit(' ', 1)[0] + ' '
            names = [names[0]] + [n if ' ' in n else prefix + n for n in names[1:]]
            lo = int(m.group(1))
            hi = int(m.group(2) or lo)
            self.assertEqual(len(names), hi - lo + 1, line)
            for i, n in enumerate(names):
                cic[lo + i] = n
        self.assertEqual([cic[i] for i in range(1, 95)], R.columns_for('cic'))

        def published(a, b):
            got = {}
            for line in part(a, b).splitlines():
                for num, name, col in re.findall(r'\| (\d+) \| `([^`]+)` \| (\d+) ', line + ' '):
                    got[int(num)] = (name.replace('\u2423', ' '), int(col))
            return [got[i] for i in range(1, len(got) + 1)]
        self.assertEqual(published('## `cic-ids2017`', '## `cic-ids2018`'), R.CIC2017)
        self.assertEqual(published('## `cic-ids2018`', '## With the other options'), R.CIC2018)


class TestCicPayload(unittest.TestCase):
    COLS = ('Total Length of Fwd Packet', 'Fwd Header Length', 'Fwd Seg Size Min')

    def one(self, pkt, **kw):
        _s, rows = meter_cic([pkt], **kw)
        self.assertEqual(len(rows), 1)
        return pick(rows[0], self.COLS)

    def test_tcp_udp_headers(self):
        # IPv4 options (IHL 6) and TCP options (data offset 8): payload 3, header 32
        l4 = tcp(1, 2, ACK, b'abc', doff=8)
        self.assertEqual(self.one((T0, eth(ipv4(A, B, 6, l4, ihl=6)))), ('3', '32', '32'))
        # UDP: payload 10, header 8 (the UDP length field is not used)
        self.assertEqual(self.one(u(T0, A, 1, B, 2, b'x' * 10)), ('10', '8', '8'))
        # IPv6 with a 16-byte destination-options header: not payload
        dopt = bytes([6, 1]) + b'\x00' * 14
        pk = (T0, eth(ipv6(C6, S6, 60, tcp(1, 2, ACK, b'12345'), dopt), 0x86dd))
        self.assertEqual(self.one(pk), ('5', '20', '20'))

    def test_declared_lengths(self):
        # a short snaplen: 54 bytes captured of 154; the IP header declares 140:
        # payload 140 - 20 - 20 = 100, as from the full frame
        full = eth(ipv4(A, B, 6, tcp(1, 2, ACK, b'x' * 100)))
        self.assertEqual(self.one((T0, full[:54], len(full))), ('100', '20', '20'))
        # Ethernet padding: 1-byte UDP payload, frame padded to 60: declared 29 -> 1
        pad = u(T0, A, 1, B, 2, b'x')[1] + b'\x00' * 17
        self.assertEqual(self.one((T0, pad)), ('1', '8', '8'))
        # declared 0 (TSO): the frame's bytes, 9000 - 14 = 8986 IP octets - 20 - 8
        tso = eth(ipv4(A, B, 17, udp(1, 2, b'y'), tot=0))
        self.assertEqual(self.one((T0, tso, 9000)), ('8958', '8', '8'))
        # declared shorter than its headers (total 30 < 20 + 20): 0, never negative
        short = eth(ipv4(A, B, 6, tcp(1, 2, ACK), tot=30))
        self.assertEqual(self.one((T0, short)), ('0', '20', '20'))

    def test_fragments_and_other_protocols(self):
        # a later fragment alone (ports 0): its IP octets 44 - its IP header 20
        lone = (T0, eth(ipv4(A, B, 17, b'z' * 24, ident=5, off=3)))
        _s, rows = meter_cic([lone])
        r = rows[0]
        self.assertEqual(pick(r, self.COLS + ('Src Port', 'Protocol')),
                         ('24', '0', '0', '0', '17'))
        # first fragment: UDP header + 16 bytes (payload 16, header 8); the later
        # fragment joins it: 16 bytes, no header -> 32 bytes, headers 8, min 0
        first = udp(7, 8, b'q' * 16)
        pk = [(T0, eth(ipv4(A, B, 17, first, ident=9, mf=True))),
              (T0 + 10, eth(ipv4(A, B, 17, b'r' * 16, ident=9, off=3)))]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.COLS + ('Fwd Packet Length Min', 'Src Port')),
                         ('32', '8', '0', '16', '7'))
        # IPv6 later fragment: the IP header is 40 + the fragment header 8
        frag = bytes([17, 0]) + struct.pack('>HI', (5 << 3), 77)
        pk = (T0, eth(ipv6(C6, S6, 44, b'b' * 40, frag), 0x86dd))
        self.assertEqual(self.one(pk), ('40', '0', '0'))
        # ICMP: payload 0, header 0, whatever it carries
        icmp = b'\x08\x00' + b'\x00' * 30
        self.assertEqual(self.one((T0, eth(ipv4(A, B, 1, icmp)))), ('0', '0', '0'))
        # another protocol (GRE 47): 0
        self.assertEqual(self.one((T0, eth(ipv4(A, B, 47, b'\x00' * 40)))), ('0', '0', '0'))


class TestCicColumns(unittest.TestCase):
    def test_payload_stats_iat_rates(self):
        # F 10 B at 0, B 5 B at 1 ms, F 20 B at 3 ms, F 30 B at 6 ms (UDP)
        pk = [u(CT0, A, 1000, B, 2000, b'a' * 10),
              u(CT0 + 1 * MS, B, 2000, A, 1000, b'b' * 5),
              u(CT0 + 3 * MS, A, 1000, B, 2000, b'c' * 20),
              u(CT0 + 6 * MS, A, 1000, B, 2000, b'd' * 30)]
        _s, rows = meter_cic(pk)
        r = rows[0]
        want = {
            'Flow ID': '10.0.0.1-10.0.0.2-1000-2000-17',
            'Src IP': A, 'Src Port': '1000', 'Dst IP': B, 'Dst Port': '2000', 'Protocol': '17',
            'Timestamp': '2021-12-15 16:35:00.123456789',
            'Flow Duration': '6000',                                  # us
            'Total Fwd Packet': '3', 'Total Bwd packets': '1',
            'Total Length of Fwd Packet': '60', 'Total Length of Bwd Packet': '5',
            # F: 10 20 30: mean 20, sample std sqrt(200 / 2) = 10
            'Fwd Packet Length Max': '30', 'Fwd Packet Length Min': '10',
            'Fwd Packet Length Mean': '20', 'Fwd Packet Length Std': '10',
            'Bwd Packet Length Max': '5', 'Bwd Packet Length Min': '5',
            'Bwd Packet Length Mean': '5', 'Bwd Packet Length Std': '0',   # n = 1
            'Flow Bytes/s': '10833.3333',            # 65 B / 0.006 s
            'Flow Packets/s': '666.666667',          # 4 / 0.006 s
            # IATs 1000 2000 3000 us: mean 2000, std sqrt(2e6 / 2) = 1000
            'Flow IAT Mean': '2000', 'Flow IAT Std': '1000',
            'Flow IAT Max': '3000', 'Flow IAT Min': '1000',
            # F at 0, 3, 6 ms: 3000 3000
            'Fwd IAT Total': '6000', 'Fwd IAT Mean': '3000', 'Fwd IAT Std': '0',
            'Fwd IAT Max': '3000', 'Fwd IAT Min': '3000',
            'Bwd IAT Total': '0', 'Bwd IAT Mean': '0', 'Bwd IAT Std': '0',
            'Bwd IAT Max': '0', 'Bwd IAT Min': '0',
            'Fwd Header Length': '24', 'Bwd Header Length': '8',
            'Fwd Packets/s': '500', 'Bwd Packets/s': '166.666667',
            # A: 10 5 20 30: mean 16.25; squared deviations 39.0625 126.5625 14.0625
            # 189.0625 = 368.75; / 3 = 122.916667; std 11.0867789
            'Packet Length Min': '5', 'Packet Length Max': '30',
            'Packet Length Mean': '16.25', 'Packet Length Std': '11.0867789',
            'Packet Length Variance': '122.916667',
            'Down/Up Ratio': '0.333333333', 'Average Packet Size': '16.25',
            'Fwd Segment Size Avg': '20', 'Bwd Segment Size Avg': '5',
            # one subflow: the totals
            'Subflow Fwd Packets': '3', 'Subflow Fwd Bytes': '60',
            'Subflow Bwd Packets': '1', 'Subflow Bwd Bytes': '5',
            'FWD Init Win Bytes': '0', 'Bwd Init Win Bytes': '0',   # not TCP
            'Fwd Act Data Pkts': '3', 'Bwd Act Data Pkts': '1',
            'Fwd Seg Size Min': '8', 'Bwd Seg Size Min': '8',
            'ICMP Code': '0', 'ICMP Type': '0',
            'Total Connection Flow Time': '6000', 'Label': '-',
        }
        self.assertEqual({k: r[k] for k in want}, want)
        # everything else of this flow is 0 (flags, bulks, active/idle, retransmissions)
        rest = [k for k in R.CIC_COLUMNS if k not in want]
        self.assertEqual({k: r[k] for k in rest}, {k: '0' for k in rest})

    def test_negative_iat_in_taken_order(self):
        # records at 10 s, 5 s, 12 s: the taken order, so an IAT of -5 s
        pk = [u(T0 + 10 * NS, A, 1, B, 2, b'x'), u(T0 + 5 * NS, A, 1, B, 2, b'y'),
              u(T0 + 12 * NS, A, 1, B, 2, b'z')]
        _s, rows = meter_cic(pk)
        r = rows[0]
        self.assertEqual(pick(r, ('Timestamp', 'Flow Duration', 'Flow IAT Mean', 'Flow IAT Max',
                                  'Flow IAT Min', 'Fwd IAT Total', 'Subflow Fwd Packets')),
                         ('2021-12-15 16:35:05.123456789', '7000000',   # 12 s - 5 s
                          '1000000', '7000000', '-5000000',             # -5 s, 7 s
                          '2000000',                                    # their sum
                          '1.5'))                                       # cut at the 7 s gap
        # active/idle: start = end = 10 s; 5 s: not > 5 s after, end = 5 s; 12 s:
        # 7 s after end: end - start = -5 s is no active period, 7 s is idle
        self.assertEqual(pick(r, ('Active Max', 'Idle Mean', 'Idle Max')),
                         ('0', '7000000', '7000000'))

    def test_flags(self):
        pk = [t(T0, A, 40000, B, 80, SYN | ECE | CWR),
              t(T0 + 1, B, 80, A, 40000, SYN | ACK | ECE),
              t(T0 + 2, A, 40000, B, 80, ACK),
              t(T0 + 3, A, 40000, B, 80, ACK | PSH | URG, b'u'),
              t(T0 + 4, A, 40000, B, 80, ACK | CWR, b'v'),
              t(T0 + 5, B, 80, A, 40000, ACK | PSH | ECE, b'w'),
              t(T0 + 6, B, 80, A, 40000, FIN | ACK),
              t(T0 + 7, A, 40000, B, 80, FIN | ACK | PSH),
              t(T0 + 8, B, 80, A, 40000, ACK),
              t(T0 + 9, A, 40000, B, 80, RST),           # in the linger: same flow
              t(T0 + 10, B, 80, A, 40000, RST | ACK)]
        _s, rows = meter_cic(pk)
        self.assertEqual(len(rows), 1)
        r = rows[0]
        # PSH: F at 3 and 7, B at 5; URG: F at 3; RST: F at 9, B at 10
        self.assertEqual(pick(r, ('Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags',
                                  'Bwd URG Flags', 'Fwd RST Flags', 'Bwd RST Flags')),
                         ('2', '1', '1', '0', '1', '1'))
        # FIN 6 7; SYN 0 1; RST 9 10; PSH 3 5 7; ACK F 2 3 4 7 + B 1 5 6 8 10;
        # URG 3; CWR 0 4; ECE 0 1 5 -- in the order FIN SYN RST PSH ACK URG CWR ECE
        self.assertEqual(pick(r, ('FIN Flag Count', 'SYN Flag Count', 'RST Flag Count',
                                  'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count',
                                  'CWR Flag Count', 'ECE Flag Count')),
                         ('2', '2', '2', '3', '9', '1', '2', '3'))
        # payload-carrying packets: F 3 and 4 (1 byte each), B 5
        self.assertEqual(pick(r, ('Fwd Act Data Pkts', 'Bwd Act Data Pkts')), ('2', '1'))
        # a UDP flow has no flags
        _s, rows = meter_cic([u(T0, A, 1, B, 2)])
        self.assertEqual(rows[0]['ACK Flag Count'], '0')

    def test_header_length_and_seg_size_min(self):
        # F headers 40, 20, 32; B headers 32, 24
        pk = [tc(T0, A, 5, B, 6, SYN, doff=10), tc(T0 + 1, B, 6, A, 5, SYN | ACK, doff=8),
              tc(T0 + 2, A, 5, B, 6, ACK), tc(T0 + 3, A, 5, B, 6, ACK, b'p', doff=8),
              tc(T0 + 4, B, 6, A, 5, ACK, doff=6)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], ('Fwd Header Length', 'Bwd Header Length',
                                        'Fwd Seg Size Min', 'Bwd Seg Size Min')),
                         ('92', '56', '20', '24'))
        # no backward packet: 0 and 0
        _s, rows = meter_cic([tc(T0, A, 5, B, 6, SYN, doff=7)])
        self.assertEqual(pick(rows[0], ('Fwd Header Length', 'Bwd Header Length',
                                        'Fwd Seg Size Min', 'Bwd Seg Size Min')),
                         ('28', '0', '28', '0'))

    BULK = ('Fwd Bytes/Bulk Avg', 'Fwd Packet/Bulk Avg', 'Fwd Bulk Rate Avg',
            'Bwd Bytes/Bulk Avg', 'Bwd Packet/Bulk Avg', 'Bwd Bulk Rate Avg')

    def test_bulk_interrupted_and_gap(self):
        F_ = lambda ms, n=100: u(T0 + ms * MS, A, 1, B, 2, b'f' * n)  # noqa: E731
        B_ = lambda ms, n=50: u(T0 + ms * MS, B, 2, A, 1, b'b' * n)   # noqa: E731
        pk = [F_(0), F_(100), F_(200),   # F candidate from 0 ms: 3 packets
              B_(250),                   # B payload after the candidate's start ...
              F_(300),                   # ... ends it here; a new one starts at 300
              F_(400), F_(500),
              F_(600),                   # the 4th: bulk 1 = 400 B, 4 packets, 300 ms
              F_(2000),                  # 1.4 s after 600: a new candidate
              F_(2200, 0),               # no payload: nothing
              B_(2300, 0),               # (B's candidate ends: F's payload at 2000 > 250)
              F_(2500), F_(3000),
              F_(3400),                  # 4th: bulk 2 = 400 B, 4 packets, 1400 ms
              F_(3500)]                  # 5th: + 1 packet, + 100 B, + 100 ms
        _s, rows = meter_cic(pk)
        r = rows[0]
        # F: 2 bulks, 9 packets, 900 B, 1.8 s: 450 B, 4.5 packets, 500 B/s; B: none
        self.assertEqual(pick(r, self.BULK), ('450', '4.5', '500', '0', '0', '0'))
        # one gap over 1 s (600 -> 2000 ms): 2 subflows, 13 F and 2 B packets
        self.assertEqual(pick(r, ('Subflow Fwd Packets', 'Subflow Bwd Packets')), ('6.5', '1'))

    def test_bulk_backward_and_boundaries(self):
        # B: 4 payloads 10 ms apart, F's pure ACKs between them do not interrupt:
        # 1 bulk, 4 packets, 200 B in 30 ms: 6666.66667 B/s
        pk = [u(T0, A, 1, B, 2)]
        for i in range(4):
            pk += [u(T0 + (1 + 10 * i) * MS, B, 2, A, 1, b'b' * 50),
                   u(T0 + (2 + 10 * i) * MS, A, 1, B, 2)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.BULK), ('0', '0', '0', '200', '4', '6666.66667'))
        # exactly 1 s apart is not "more than 1 s": one bulk of 400 B in 3 s
        pk = [u(T0 + i * NS, A, 1, B, 2, b'x' * 100) for i in range(4)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.BULK), ('400', '4', '133.333333', '0', '0', '0'))
        # 1 s + 1 ns: every packet starts a new candidate, no bulk
        pk = [u(T0 + i * (NS + 1), A, 1, B, 2, b'x' * 100) for i in range(4)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.BULK), ('0',) * 6)
        # 3 payloads only: no bulk
        pk = [u(T0 + i * MS, A, 1, B, 2, b'x' * 100) for i in range(3)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.BULK), ('0',) * 6)
        # 4 at the same time: a bulk of duration 0, so its rate is 0
        pk = [u(T0, A, 1, B, 2, b'x' * 100) for _i in range(4)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.BULK), ('400', '4', '0', '0', '0', '0'))

    def test_subflows(self):
        # 0, 0.5, 1.5 (a gap of exactly 1 s: not cut), 3.0 (1.5 s: cut), 3.1,
        # 5.0 (1.9 s: cut): 3 subflows; F 4 packets of 10 B, B 2 of 7 B
        pk = [u(T0, A, 1, B, 2, b'f' * 10), u(T0 + NS // 2, A, 1, B, 2, b'f' * 10),
              u(T0 + 3 * NS // 2, B, 2, A, 1, b'b' * 7), u(T0 + 3 * NS, A, 1, B, 2, b'f' * 10),
              u(T0 + 31 * NS // 10, B, 2, A, 1, b'b' * 7), u(T0 + 5 * NS, A, 1, B, 2, b'f' * 10)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], ('Subflow Fwd Packets', 'Subflow Fwd Bytes',
                                        'Subflow Bwd Packets', 'Subflow Bwd Bytes')),
                         ('1.33333333', '13.3333333', '0.666666667', '4.66666667'))

    AI = ('Active Mean', 'Active Std', 'Active Max', 'Active Min',
          'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min')

    def test_active_idle(self):
        times = [0, 1, 2, 10, 10.5, 16, 21, 30]
        pk = [u(T0 + int(s * NS), A, 1, B, 2) for s in times]
        # T = 5 s: 2 -> 10 (8 s): active 2 s, idle 8 s; 10.5 -> 16 (5.5 s): active
        # 0.5 s, idle 5.5 s; 16 -> 21 is exactly 5 s: not a gap; 21 -> 30 (9 s):
        # active 16..21 = 5 s, idle 9 s; the period from 30 still runs: not counted.
        # active 2, 0.5, 5: mean 2.5, squared deviations 0.25 4 6.25: 10.5 / 2 = 5.25
        # idle 8, 5.5, 9: mean 7.5, 0.25 4 2.25: 6.5 / 2 = 3.25
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.AI),
                         ('2500000', '2291287.85', '5000000', '500000',       # sqrt(5.25) s
                          '7500000', '1802775.64', '9000000', '5500000'))     # sqrt(3.25) s
        # T = 0.5 s: every gap but 10 -> 10.5 (exactly 0.5 s); active only 10..10.5;
        # idle 1, 1, 8, 5.5, 5, 9 s: mean 29.5 / 6 s
        _s, rows = meter_cic(pk, activity_ns=NS // 2)
        r = rows[0]
        self.assertEqual(pick(r, self.AI[:4]), ('500000', '0', '500000', '500000'))
        self.assertEqual(pick(r, ('Idle Mean', 'Idle Max', 'Idle Min')),
                         ('4916666.67', '9000000', '1000000'))
        # a gap after the first packet: an active period of length 0 is never counted
        pk = [u(T0, A, 1, B, 2), u(T0 + 6 * NS, A, 1, B, 2), u(T0 + 7 * NS, A, 1, B, 2)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.AI),
                         ('0', '0', '0', '0', '6000000', '0', '6000000', '6000000'))
        # no gap over 5 s: all 0
        pk = [u(T0 + i * 5 * NS, A, 1, B, 2) for i in range(4)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], self.AI), ('0',) * 8)

    def test_init_windows(self):
        IW = ('FWD Init Win Bytes', 'Bwd Init Win Bytes')
        pk = [tc(T0, A, 5, B, 6, SYN, win=29200), tc(T0 + 1, B, 6, A, 5, SYN | ACK, win=65160),
              tc(T0 + 2, A, 5, B, 6, ACK, win=229), tc(T0 + 3, B, 6, A, 5, ACK, win=510)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], IW), ('29200', '65160'))
        # a flow starting with a SYN-ACK: that packet is backward (src is the client)
        pk = [tc(T0, B, 6, A, 5, SYN | ACK, win=65160), tc(T0 + 1, A, 5, B, 6, ACK, win=502)]
        _s, rows = meter_cic(pk)
        self.assertEqual((rows[0]['Src IP'],) + pick(rows[0], IW), (A, '502', '65160'))
        # the first backward window is 0: 0 (the first packet, not the first non-zero)
        pk = [tc(T0, A, 5, B, 6, SYN, win=1000), tc(T0 + 1, B, 6, A, 5, RST | ACK, win=0),
              tc(T0 + 2, B, 6, A, 5, ACK, win=777)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], IW), ('1000', '0'))
        # no backward packet; a UDP flow
        _s, rows = meter_cic([tc(T0, A, 5, B, 6, SYN, win=4242)])
        self.assertEqual(pick(rows[0], IW), ('4242', '0'))
        _s, rows = meter_cic([u(T0, A, 5, B, 6), u(T0 + 1, B, 6, A, 5)])
        self.assertEqual(pick(rows[0], IW), ('0', '0'))

    def test_retransmissions(self):
        RT = ('Fwd TCP Retrans. Count', 'Bwd TCP Retrans. Count', 'Total TCP Retrans. Count')
        pk = [tc(T0, A, 5, B, 6, SYN, seq=100, win=1000),                          # 1
              tc(T0 + 1, B, 6, A, 5, SYN | ACK, seq=500, ack=101, win=2000),       # 2
              tc(T0 + 2, A, 5, B, 6, ACK, seq=101, ack=501, win=1000),             # 3
              tc(T0 + 3, A, 5, B, 6, PSH | ACK, b'hello', seq=101, ack=501, win=1000),  # 4
              tc(T0 + 4, A, 5, B, 6, PSH | ACK, b'hello', seq=101, ack=501, win=1000),  # = 4: F
              tc(T0 + 5, A, 5, B, 6, PSH | ACK, b'hell', seq=101, ack=501, win=1000),   # length
              tc(T0 + 6, A, 5, B, 6, ACK, seq=101, ack=501, win=1000),             # = 3: dup ACK
              tc(T0 + 7, A, 5, B, 6, ACK, seq=101, ack=501, win=1001),             # window
              tc(T0 + 8, B, 6, A, 5, ACK, seq=101, ack=501, win=1000),             # = 3, but B
              tc(T0 + 9, B, 6, A, 5, SYN | ACK, seq=500, ack=101, win=2000),       # = 2: B
              tc(T0 + 10, A, 5, B, 6, SYN, seq=100, win=1000)]                     # = 1 (first)
        _s, rows = meter_cic(pk)
        self.assertEqual(len(rows), 1)
        self.assertEqual(pick(rows[0], RT), ('3', '1', '4'))
        # flags are not compared: a FIN|ACK with the fields of an ACK is one
        pk = [tc(T0, A, 5, B, 6, ACK, seq=7, ack=8, win=9),
              tc(T0 + 1, A, 5, B, 6, FIN | ACK, seq=7, ack=8, win=9)]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], RT), ('1', '0', '1'))
        # UDP duplicates are not TCP retransmissions
        _s, rows = meter_cic([u(T0, A, 1, B, 2, b'x'), u(T0 + 1, A, 1, B, 2, b'x')])
        self.assertEqual(pick(rows[0], RT), ('0', '0', '0'))
        # two identical later fragments of a TCP datagram: no TCP header, no
        # sequence number: not retransmissions (the reading chosen, README)
        lf = (T0, eth(ipv4(A, B, 6, b'\x00' * 24, ident=3, off=4)))
        _s, rows = meter_cic([lf, (T0 + 1, lf[1])])
        self.assertEqual(pick(rows[0], RT + ('FWD Init Win Bytes',)), ('0', '0', '0', '0'))

    def test_icmp_type_code(self):
        TC = ('ICMP Code', 'ICMP Type', 'Protocol', 'Src Port', 'Dst Port',
              'Total Connection Flow Time')
        req, rep = b'\x08\x00' + b'\x00' * 6, b'\x00\x00' + b'\x00' * 6
        pk = [(T0, eth(ipv4(A, B, 1, req))), (T0 + NS, eth(ipv4(B, A, 1, rep)))]
        _s, rows = meter_cic(pk)
        self.assertEqual(pick(rows[0], TC), ('0', '8', '1', '0', '0', '0'))
        # the flow's first packet in the taken order: the reply here
        _s, rows = meter_cic(pk[::-1])
        self.assertEqual(pick(rows[0], TC), ('0', '0', '1', '0', '0', '0'))
        # destination unreachable, port unreachable: type 3, code 3 ; code 1
        _s, rows = meter_cic([(T0, eth(ipv4(A, B, 1, b'\x03\x01' + b'\x00' * 6)))])
        self.assertEqual(pick(rows[0], TC), ('1', '3', '1', '0', '0', '0'))
        # ICMPv6 echo request: 128, 0; protocol 58
        _s, rows = meter_cic([(T0, eth(ipv6(C6, S6, 58, b'\x80\x00' + b'\x00' * 6), 0x86dd))])
        self.assertEqual(pick(rows[0], TC), ('0', '128', '58', '0', '0', '0'))
        # no ICMP header: a later fragment first; a header with only its type byte
        _s, rows = meter_cic([(T0, eth(ipv4(A, B, 1, b'\x03\x01\x00\x00', off=3)))])
        self.assertEqual(pick(rows[0], TC[:2]), ('0', '0'))
        _s, rows = meter_cic([(T0, eth(ipv4(A, B, 1, b'\x05')))])
        self.assertEqual(pick(rows[0], TC[:2]), ('0', '5'))
        # TCP and UDP flows: 0, 0
        _s, rows = meter_cic([u(T0, A, 1, B, 2, b'\x08\x01')])
        self.assertEqual(pick(rows[0], TC[:2]), ('0', '0'))

    def test_rates_at_duration_zero(self):
        RATES = ('Flow Bytes/s', 'Flow Packets/s', 'Fwd Packets/s', 'Bwd Packets/s')
        _s, rows = meter_cic([u(T0, A, 1, B, 2, b'x' * 10)])
        r = rows[0]
        self.assertEqual(pick(r, RATES + ('Flow Duration', 'Flow IAT Mean', 'Down/Up Ratio',
                                          'Average Packet Size', 'Subflow Fwd Bytes',
                                          'Total Connection Flow Time')),
                         ('0', '0', '0', '0', '0', '0', '0', '10', '10', '0'))
        # two packets at the same time: duration 0, rates 0
        _s, rows = meter_cic([u(T0, A, 1, B, 2, b'x'), u(T0, B, 2, A, 1, b'y')])
        self.assertEqual(pick(rows[0], RATES + ('Down/Up Ratio',)), ('0',) * 4 + ('1',))
        # one direction with one packet still has a rate when the flow lasts
        _s, rows = meter_cic([u(T0, A, 1, B, 2, b'x'), u(T0 + NS // 4, B, 2, A, 1)])
        self.assertEqual(pick(rows[0], RATES), ('4', '8', '4', '4'))
        # F empty (a lone SYN-ACK is backward): Down/Up 0, the forward columns 0
        _s, rows = meter_cic([tc(T0, B, 6, A, 5, SYN | ACK, win=9)])
        self.assertEqual(pick(rows[0], ('Total Fwd Packet', 'Total Bwd packets', 'Down/Up Ratio',
                                        'Fwd Segment Size Avg', 'Fwd Seg Size Min',
                                        'Fwd Packet Length Max', 'FWD Init Win Bytes',
                                        'Bwd Init Win Bytes', 'Bwd Seg Size Min')),
                         ('0', '1', '0', '0', '0', '0', '0', '9', '20'))


class TestCicConnectionTime(unittest.TestCase):
    CT = ('Flow Duration', 'Total Connection Flow Time')

    def rows(self, pk, **kw):
        _s, rows = meter_cic(pk, **kw)
        return [pick(r, self.CT) for r in rows]

    def test_chain(self):
        # idle 3 s, active 10 s, a packet every 2 s from 0 to 24 s:
        # flow 1: 0..10 (ends active when 12 comes); flow 2: 12..22 (12 - 10 = 2 s
        # <= 3 s: continues; ends active when 24 comes); flow 3: 24 (24 - 22 <= 3)
        pk = [u(T0 + i * 2 * NS, A, 1, B, 2) for i in range(13)]
        kw = dict(idle_ns=3 * NS, active_ns=10 * NS)
        self.assertEqual(self.rows(pk, **kw), [('10000000', '10000000'),
                                               ('10000000', '22000000'),
                                               ('0', '24000000')])
        # TCP the same way
        pk = [t(T0 + i * 2 * NS, A, 1, B, 2, ACK) for i in range(13)]
        self.assertEqual(self.rows(pk, **kw)[2], ('0', '24000000'))
        # ICMP: 0 however it is split
        pk = [(T0 + i * 2 * NS, eth(ipv4(A, B, 1, b'\x08' + b'\x00' * 7))) for i in range(13)]
        self.assertEqual(self.rows(pk, **kw), [('10000000', '0'), ('10000000', '0'), ('0', '0')])

    def test_idle_boundary_and_other_endings(self):
        kw = dict(idle_ns=3 * NS, active_ns=10 * NS)
        # 0, 3, 6, 9 (gaps of exactly the idle timeout: still one flow): the deadline
        # is min(9 + 3, 0 + 10) = 10: active. The next flow's first packet at exactly
        # 9 + 3 s continues it ...
        base = [u(T0 + i * 3 * NS, A, 1, B, 2) for i in range(4)]
        self.assertEqual(self.rows(base + [u(T0 + 12 * NS, A, 1, B, 2)], **kw),
                         [('9000000', '9000000'), ('0', '12000000')])
        # ... 1 ns later it does not
        self.assertEqual(self.rows(base + [u(T0 + 12 * NS + 1, A, 1, B, 2)], **kw),
                         [('9000000', '9000000'), ('0', '0')])
        # a flow ended by idle is not continued
        pk = [u(T0, A, 1, B, 2), u(T0 + 4 * NS, A, 1, B, 2)]
        self.assertEqual(self.rows(pk, **kw), [('0', '0'), ('0', '0')])
        # the chain ends with a flow that the active timeout did not end: flow 1 is
        # 0..10 s (active); flow 2 (12 s) continues it but ends idle (12 + 3 < 16);
        # flow 3 (16 s) stands alone
        pk = [u(T0 + i * 2 * NS, A, 1, B, 2) for i in range(7)] + [u(T0 + 16 * NS, A, 1, B, 2)]
        self.assertEqual(self.rows(pk, **kw), [('10000000', '10000000'), ('0', '12000000'),
                                               ('0', '0')])
        # another key's flow is no continuation
        pk = [u(T0 + i * 2 * NS, A, 1, B, 2) for i in range(6)] + [u(T0 + 12 * NS, A, 3, B, 2)]
        self.assertEqual(self.rows(pk, **kw), [('10000000', '10000000'), ('0', '0')])

    def test_dns_timeout(self):
        # DNS: the DNS timeout (1 s), not the idle timeout (3 s); active 2 s:
        # 0, 0.9, 1.8: ends active at 2 s; the next query packet of the same ID
        dns = lambda s: u(T0 + int(s * NS), A, 5000, B, 53, b'\x01\x02q')  # noqa: E731
        kw = dict(idle_ns=3 * NS, active_ns=2 * NS, dns_idle_ns=NS)
        base = [dns(0), dns(0.9), dns(1.8)]
        self.assertEqual(self.rows(base + [dns(2.7)], **kw),       # 0.9 s <= 1 s
                         [('1800000', '1800000'), ('0', '2700000')])
        self.assertEqual(self.rows(base + [dns(2.9)], **kw),       # 1.1 s > 1 s
                         [('1800000', '1800000'), ('0', '0')])


class TestCicOptions(unittest.TestCase):
    def test_first_packets_in_microseconds(self):
        pk = [u(T0, A, 1, B, 2, b'a'), u(T0 + 1500, B, 2, A, 1, b'bb'),
              u(T0 + MS + 1500, A, 1, B, 2, b'c')]
        _s, rows = meter_cic(pk, first_packets=4, first_layout='columns')
        r = rows[0]
        # piat: 0, 1.5 us, 1000 us; -1 past the last packet
        self.assertEqual(pick(r, ['splt_piat_%d' % i for i in range(1, 5)]),
                         ('0', '1.5', '1000', '-1'))
        self.assertEqual(pick(r, ['splt_direction_%d' % i for i in range(1, 5)]),
                         ('0', '1', '0', '-1'))
        self.assertEqual(r['splt_ps_2'], str(14 + 28 + 2))    # wire length
        self.assertEqual(r['Label'], '-')

    def test_labels(self):
        pk = [u(T0, A, 1, B, 2)]
        _s, rows = meter_cic(pk, label='BENIGN')
        self.assertEqual(rows[0]['Label'], 'BENIGN')
        _s, rows = meter_cic(pk, schema='cic-ids2017', label='BENIGN')
        self.assertEqual(rows[0][' Label'], 'BENIGN')
        tmp = Tmp()
        rules = tmp.path('csv')
        with open(rules, 'w') as f:
            f.write('start,end,src,dst,port,protocol,label\n*,*,*,*,2,udp,DoS\n')
        import labels_ref
        _s, rows = meter_cic(pk + [u(T0 + 1, A, 3, B, 4)], schema='cic-ids2018',
                             label='BENIGN', rules=labels_ref.load(rules))
        self.assertEqual([r['Label'] for r in rows], ['DoS', 'BENIGN'])
        tmp.dir.cleanup()

    def test_published_schemas_are_cic_renamed(self):
        pk = [tc(T0, A, 5, B, 6, SYN, seq=1, win=99), tc(T0 + MS, B, 6, A, 5, SYN | ACK, win=77),
              tc(T0 + 2 * MS, A, 5, B, 6, ACK | PSH, b'x' * 33, seq=2, win=98),
              tc(T0 + 9 * NS, A, 5, B, 6, ACK | PSH, b'x' * 33, seq=2, win=98)]
        _s, cic = meter_cic(pk)
        cells = [cic[0][n] for n in R.CIC_COLUMNS]
        for schema, table in (('cic-ids2017', R.CIC2017), ('cic-ids2018', R.CIC2018)):
            t_ = Tmp()
            p = t_.path()
            write_pcap(p, pk, nano=True)
            _s, lines = R.run(p, schema=schema)
            got = lines[0].split(',')
            self.assertEqual(got, [cells[c - 1] for _n, c in table], schema)
            t_.dir.cleanup()
        # and the values of this flow: one retransmission, idle 9 s - 2 ms
        self.assertEqual(pick(cic[0], ('Fwd TCP Retrans. Count', 'Idle Max', 'Flow ID')),
                         ('1', '8998000', '10.0.0.1-10.0.0.2-5-6-6'))

    def test_cli(self):
        tmp = Tmp()
        p = tmp.path()
        write_pcap(p, [u(0, A, 1, B, 2, b'x'), u(NS, B, 2, A, 1), u(7 * NS, A, 1, B, 2)],
                   nano=True)
        out = tmp.path('csv')
        cmd = [sys.executable, os.path.join(HERE, 'afm_ref.py'), p, '-o', out]
        for schema, n in (('cic', 94), ('cic-ids2017', 85), ('cic-ids2018', 80)):
            r = subprocess.run(cmd + ['--schema', schema], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                lines = f.read().splitlines()
            self.assertEqual(lines[0], ','.join(R.columns_for(schema)))
            self.assertEqual(len(lines[1].split(',')), n)
            c = subprocess.run([sys.executable, os.path.join(HERE, 'compare.py'), out, out],
                               capture_output=True, text=True)
            self.assertEqual((c.returncode, c.stdout.strip()), (0, '1 rows, %d columns agree' % n))
        self.assertTrue(lines[0].startswith('Dst Port,Protocol,Timestamp,Flow Duration,'))
        r = subprocess.run(cmd + ['--schema', 'cic-ids2017'], capture_output=True, text=True)
        with open(out) as f:
            self.assertTrue(f.readline().startswith('Flow ID, Source IP, Source Port,'))
        # --cic-activity-timeout: 6 s gap, idle at 5 s (default), none at 6 s
        for arg, idle in (([], '6000000'), (['--cic-activity-timeout', '6'], '0'),
                          (['--cic-activity-timeout', '0.5'], '1000000')):
            r = subprocess.run(cmd + ['--schema', 'cic'] + arg, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                h, row = f.read().splitlines()
            self.assertEqual(dict(zip(h.split(','), row.split(',')))['Idle Min'], idle, arg)
        # refused: not a number, 0, and with a schema that is not CIC (CIC.md)
        for bad in (['--schema', 'cic', '--cic-activity-timeout', 'x'],
                    ['--schema', 'cic', '--cic-activity-timeout', '0'],
                    ['--schema', 'extended', '--cic-activity-timeout', '5'],
                    ['--cic-activity-timeout', '5']):
            r = subprocess.run(cmd + bad, capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, bad)
        tmp.dir.cleanup()


class CompareCicSchemas(unittest.TestCase):
    """compare.py on the CIC headers: spaces, a name twice, no addresses."""

    def _rows(self, schema):
        pk = [u(T0, A, 1, B, 2, b'x'), u(T0 + 2, A, 3, B, 2, b'y'), u(T0 + 2, A, 5, B, 2, b'z'),
              u(T0 + 3 * MS, B, 2, A, 5, b'zz')]
        t_ = Tmp()
        p = t_.path()
        write_pcap(p, pk, nano=True)
        _s, lines = R.run(p, schema=schema, prec=17)
        t_.dir.cleanup()
        return ','.join(R.columns_for(schema)), [ln.split(',') for ln in lines]

    def _compare(self, header, e, a):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, rows in (('e.csv', e), ('a.csv', a)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], 'w') as f:
                    f.write('\n'.join([header] + [','.join(r) for r in rows]) + '\n')
            c = subprocess.run([sys.executable, os.path.join(HERE, 'compare.py')] + paths,
                               capture_output=True, text=True)
            return c.returncode, c.stdout

    def set_cell(self, rows, i, header, name, value, nth=0):
        names = header.split(',')
        idx = [k for k, n in enumerate(names) if n == name][nth]
        rows = [list(r) for r in rows]
        rows[i][idx] = value
        return rows

    def test_sets(self):
        import compare as C
        for schema in R.CIC_SCHEMAS:
            for name, c in zip(R.columns_for(schema), R.CIC_SELECT[schema]):
                key = name.lstrip(' ')
                self.assertEqual(key in C.CIC_TEXT_COLUMNS, c in R.CIC_TEXT, (schema, name))
                self.assertEqual(key in C.CIC_INT_COLUMNS, c in R.CIC_INT, (schema, name))
        # no CIC name is one of the first two schemas'
        names = {n.lstrip(' ') for s in R.CIC_SCHEMAS for n in R.columns_for(s)}
        self.assertFalse(names & (C.TEXT_COLUMNS | C.INT_COLUMNS))

    def test_each_schema(self):
        for schema in R.CIC_SCHEMAS:
            h, rows = self._rows(schema)
            self.assertEqual(len(rows), 3)
            self.assertEqual(self._compare(h, rows, rows)[0], 0, schema)
            # a row missing
            self.assertEqual(self._compare(h, rows, rows[:2])[0], 1, schema)
            # the order of two rows
            code, out = self._compare(h, rows, [rows[1], rows[0], rows[2]])
            self.assertEqual(code, 1, schema)
            self.assertIn('row order differs', out)
            self.assertIn('no value differences', out)
            # the timestamp's text (same number of seconds, another text)
            ts = 'Timestamp' if schema != 'cic-ids2017' else ' Timestamp'
            bad = self.set_cell(rows, 0, h, ts, rows[0][h.split(',').index(ts)] + '0')
            self.assertEqual(self._compare(h, rows, bad)[0], 1, schema)
            # an integer column exactly, a float column within 1e-9
            count = {'cic': 'Total Fwd Packet', 'cic-ids2017': ' Total Fwd Packets',
                     'cic-ids2018': 'Tot Fwd Pkts'}[schema]
            self.assertEqual(self._compare(h, rows, self.set_cell(rows, 2, h, count, '9'))[0], 1)
            mean = {'cic': 'Flow IAT Mean', 'cic-ids2017': ' Flow IAT Mean',
                    'cic-ids2018': 'Flow IAT Mean'}[schema]
            i = h.split(',').index(mean)
            v = float(rows[2][i])
            self.assertNotEqual(v, 0)
            near = self.set_cell(rows, 2, h, mean, repr(v * (1 + 1e-11)))
            self.assertEqual(self._compare(h, rows, near)[0], 0, schema)
            far = self.set_cell(rows, 2, h, mean, repr(v * (1 + 1e-8)))
            self.assertEqual(self._compare(h, rows, far)[0], 1, schema)

    def test_duplicate_name_compared_by_position(self):
        h, rows = self._rows('cic-ids2017')
        # only the second ' Fwd Header Length' differs: found
        bad = self.set_cell(rows, 0, h, ' Fwd Header Length', '9', nth=1)
        code, out = self._compare(h, rows, bad)
        self.assertEqual(code, 1)
        self.assertIn(' Fwd Header Length: expected 8, actual 9', out)

    def test_2018_keys_collide(self):
        h, rows = self._rows('cic-ids2018')
        # rows 2 and 3 (src ports 3 and 5) have the same Dst Port, Protocol and
        # Timestamp: swapped, the key sequence is unchanged, so they are compared in
        # row order, and their values differ
        code, out = self._compare(h, rows, [rows[0], rows[2], rows[1]])
        self.assertEqual(code, 1)
        self.assertNotIn('row order differs', out)
        self.assertIn('differences in total', out)
        # moved past a row of another key: an order difference, paired by key
        code, out = self._compare(h, rows, [rows[1], rows[2], rows[0]])
        self.assertEqual(code, 1)
        self.assertIn('row order differs', out)
        self.assertIn('no value differences', out)



# ---------------------------------------------------------------------------
# tunnels (METERING.md 1.1, the tunnel key of section 2; COLUMNS.md 114-118)
# ---------------------------------------------------------------------------

OA, OB = '192.0.2.1', '192.0.2.2'          # the underlay (outer) addresses


def vxlan_hdr(vni, flags=0x08):
    return struct.pack('>BBHI', flags, 0, 0, vni << 8)


def in_vxlan(inner_eth, vni, src=OA, dst=OB, dport=4789):
    return eth(ipv4(src, dst, 17, udp(54321, dport, vxlan_hdr(vni) + inner_eth)))


def gre_hdr(ptype, key=None, csum=False, seq=None, ver=0, routing=False):
    fl = (0x8000 if csum else 0) | (0x4000 if routing else 0) | (0x2000 if key is not None else 0) \
        | (0x1000 if seq is not None else 0) | ver
    h = struct.pack('>HH', fl, ptype)
    if csum:
        h += b'\x00' * 4
    if key is not None:
        h += struct.pack('>I', key)
    if seq is not None:
        h += struct.pack('>I', seq)
    return h


def gtpu_hdr(teid, payload_len, msg=255, ext=()):
    """ext: extension headers as (type, content bytes): each one is 4-aligned with its
    length byte first and its next-type byte last."""
    body = b''
    flags = 0x30
    if ext:
        flags |= 0x04
        body = struct.pack('>HBB', 0, 0, ext[0][0])
        for i, (_t, content) in enumerate(ext):
            nxt = ext[i + 1][0] if i + 1 < len(ext) else 0
            raw = content + bytes([nxt])
            L = (len(raw) + 1 + 3) // 4
            raw = bytes([L]) + content + b'\x00' * (L * 4 - 2 - len(content)) + bytes([nxt])
            body += raw
    return struct.pack('>BBHI', flags, msg, len(body) + payload_len, teid) + body


def mpls(labels, bottom_payload=b''):
    out = b''
    for i, lab in enumerate(labels):
        out += struct.pack('>I', (lab << 12) | (0x100 if i == len(labels) - 1 else 0) | 64)
    return out + bottom_payload


class TestTunnels(unittest.TestCase):
    # --- the digest and the key, worked by hand ---------------------------
    def test_fmix32_steps(self):
        # fmix32(0x0a000001), each step written out:
        #   x ^= x >> 16:        0x0a000001 ^ 0x00000a00 = 0x0a000a01
        #   x *= 0x85ebca6b:     0x0a000a01 * 0x85ebca6b mod 2^32 = 0xe9d3f86b
        #   x ^= x >> 13:        0xe9d3f86b ^ 0x00074e9f = 0xe9d4b6f4
        #   x *= 0xc2b2ae35:     = 0x1b0bb884
        #   x ^= x >> 16:        0x1b0bb884 ^ 0x00001b0b = 0x1b0ba38f
        self.assertEqual((0x0a000001 ^ (0x0a000001 >> 16)), 0x0a000a01)
        self.assertEqual((0x0a000a01 * 0x85ebca6b) % 2 ** 32, 0xe9d3f86b)
        self.assertEqual(0xe9d3f86b ^ (0xe9d3f86b >> 13), 0xe9d4b6f4)
        self.assertEqual((0xe9d4b6f4 * 0xc2b2ae35) % 2 ** 32, 0x1b0bb884)
        self.assertEqual(0x1b0bb884 ^ (0x1b0bb884 >> 16), 0x1b0ba38f)
        self.assertEqual(R.fmix32(0x0a000001), 0x1b0ba38f)
        self.assertEqual(R.fmix32(0), 0)
        self.assertEqual(R.fmix32(0x0a000002), 0xa5d06698)
        self.assertEqual(R.fmix32(0x9e3779b9), 0x92ca2f0e)        # w_1 = 0, + 1 x golden
        self.assertEqual(R.fmix32(0x3c6ef372), 0x3cd6e3f3)        # 2 x golden mod 2^32
        self.assertEqual(R.fmix32(0xdaa66d2b), 0x1b147dcc)        # 3 x golden mod 2^32

    def test_digest_worked_example(self):
        # 10.0.0.1 and 10.0.0.2: each address w_0 = the address, w_1..w_3 = 0, so
        #   sum = fmix(0x0a000001) + fmix(0x0a000002) + 2 x (fmix(g) + fmix(2g) + fmix(3g))
        #       = 0x1b0ba38f + 0xa5d06698 + 2 x (0x92ca2f0e + 0x3cd6e3f3 + 0x1b147dcc)
        #       = 0xc0dc0a27 + 2 x 0xeab590cd  = 0xc0dc0a27 + 0xd56b219a (mod 2^32)
        #       = 0x96472bc1 (mod 2^32)
        self.assertEqual((0x1b0ba38f + 0xa5d06698) % 2 ** 32, 0xc0dc0a27)
        self.assertEqual((0x92ca2f0e + 0x3cd6e3f3 + 0x1b147dcc) % 2 ** 32, 0xeab590cd)
        self.assertEqual((0xc0dc0a27 + 2 * 0xeab590cd) % 2 ** 32, 0x96472bc1)
        a, b = ip4('10.0.0.1'), ip4('10.0.0.2')
        self.assertEqual(R.addr_digest(a, b), 0x96472bc1)
        # order-independent, IPv4 and IPv6
        self.assertEqual(R.addr_digest(b, a), 0x96472bc1)
        x, y = ip6('2001:db8::1'), ip6('2001:db8::2')
        self.assertEqual(R.addr_digest(x, y), R.addr_digest(y, x))
        self.assertNotEqual(R.addr_digest(x, y), R.addr_digest(x, ip6('2001:db8::3')))
        # IPv6 words: w_0..w_3 big-endian, each + i x golden
        g = 0x9e3779b9
        want = 0
        for addr in (x, y):
            ws = struct.unpack('>4I', addr)
            want += sum(R.fmix32((w + i * g) % 2 ** 32) for i, w in enumerate(ws))
        self.assertEqual(R.addr_digest(x, y), want % 2 ** 32)

    def test_tunnel_key_formula(self):
        self.assertEqual(R.tunnel_key([]), 0)
        self.assertEqual(R.tunnel_key([('vxlan', 100, 100, None)]), 100)
        # key = (0 x p + 7) x p + 9 mod 2^32, p = 16777619
        self.assertEqual(R.tunnel_key([('gre', 7, 7, None), ('vxlan', 9, 9, None)]),
                         (7 * 16777619 + 9) % 2 ** 32)
        three = [('erspan', 5, 5, None), ('vxlan', 0xffffff, 0xffffff, None), ('mpls', 0, 16, None)]
        self.assertEqual(R.tunnel_key(three), ((5 * 16777619 + 0xffffff) * 16777619) % 2 ** 32)

    # --- parsing ------------------------------------------------------------
    def test_vxlan(self):
        inner = eth(ipv4('10.1.0.1', '10.1.0.2', 6, tcp(1000, 80, SYN)), vlans=(7,))
        for port in (4789, 8472):
            frame = eth(ipv4(OA, OB, 17, udp(54321, port, vxlan_hdr(0xabcdef) + inner)), vlans=(3, 4))
            p = R.parse_frame(1, frame)
            self.assertEqual((p.src, p.dst, p.sport, p.dport, p.proto), (ip4('10.1.0.1'), ip4('10.1.0.2'), 1000, 80, 6))
            self.assertEqual((p.v0, p.v1), (7, 0))          # the innermost frame's tags
            self.assertEqual(p.tkinds, ('vxlan',))
            self.assertEqual((p.tkey, p.tid), (0xabcdef, 0xabcdef))
            self.assertEqual(p.tcar, (ip4(OA), ip4(OB)))
            self.assertEqual(p.fstart, len(frame) - len(inner))   # 14 + 8 + 20 + 8 + 8
            self.assertEqual(p.fstart, 58)
            self.assertEqual(p.l3off, 18)                   # inner Ethernet + 1 tag
            # outer: the UDP datagram itself
            q = R.parse_frame(1, frame, decap=False)
            self.assertEqual((q.dport, q.tkinds, q.fstart, q.v0, q.v1), (port, (), 0, 3, 4))
        # I flag clear: damage; cut inside the header: damage; not on 4790: not a tunnel
        bad = eth(ipv4(OA, OB, 17, udp(54321, 4789, vxlan_hdr(5, 0x00) + inner)))
        self.assertEqual(R.parse_frame(1, bad), 'tunnel')
        cut = eth(ipv4(OA, OB, 17, udp(54321, 4789, vxlan_hdr(5)[:7])))
        self.assertEqual(R.parse_frame(1, cut), 'tunnel')
        self.assertEqual(R.parse_frame(1, eth(ipv4(OA, OB, 17, udp(4789, 4790, vxlan_hdr(5) + inner)))).dport, 4790)
        # the inner Ethernet frame cut: its own reason
        self.assertEqual(R.parse_frame(1, in_vxlan(inner[:13], 5)), 'truncated')
        self.assertEqual(R.parse_frame(1, in_vxlan(eth(b'\x00' * 28, 0x0806), 5)), 'not_ip')

    def test_geneve(self):
        opt = b'\x01\x02\x03\x01' + b'\xaa' * 4           # one 8-byte option (opt len 2 words)
        ip_in = ipv6('2001:db8::1', '2001:db8::2', 17, udp(5000, 53, b'\x12\x34'))
        for pt, payload, ver in ((0x6558, eth(ip_in, 0x86dd), 6), (0x86dd, ip_in, 6),
                                 (0x0800, ip_in, 6),     # the version from the nibble
                                 (0x8847, mpls([16, 17], ip_in), 6)):
            gen = struct.pack('>BBHI', len(opt) // 4, 0, pt, 77 << 8) + opt
            p = R.parse_frame(1, eth(ipv4(OA, OB, 17, udp(1, 6081, gen + payload))))
            self.assertEqual((p.ver, p.dport, p.dnsid), (ver, 53, 0x1234), hex(pt))
            self.assertEqual(p.tkinds, ('geneve', 'mpls') if pt == 0x8847 else ('geneve',))
            self.assertEqual(p.tkey, (77 * 16777619) % 2 ** 32 if pt == 0x8847 else 77)
        gen = struct.pack('>BBHI', 0, 0, 0x0806, 77 << 8)
        self.assertEqual(R.parse_frame(1, eth(ipv4(OA, OB, 17, udp(1, 6081, gen + ip_in)))), 'not_ip')
        gen = struct.pack('>BBHI', 0x40, 0, 0x6558, 77 << 8)   # version 1
        self.assertEqual(R.parse_frame(1, eth(ipv4(OA, OB, 17, udp(1, 6081, gen + ip_in)))), 'tunnel')
        gen = struct.pack('>BBHI', 3, 0, 0x86dd, 77 << 8) + b'\x00' * 8   # options cut (12 declared)
        self.assertEqual(R.parse_frame(1, eth(ipv4(OA, OB, 17, udp(1, 6081, gen)))), 'tunnel')

    def test_gre_kinds_and_damage(self):
        ip_in = ipv4('10.2.0.1', '10.2.0.2', 17, udp(1, 2, b'x'))
        outer = lambda g: eth(ipv4(OA, OB, 47, g))  # noqa: E731
        p = R.parse_frame(1, outer(gre_hdr(0x0800, key=42, csum=True, seq=9) + ip_in))
        self.assertEqual((p.tkinds, p.tkey, p.tid, p.fstart), (('gre',), 42, 42, 14 + 20 + 16))
        p = R.parse_frame(1, outer(gre_hdr(0x0800) + ip_in))
        self.assertEqual((p.tkinds, p.tid), (('gre',), None))
        self.assertEqual(p.tkey, R.addr_digest(ip4(OA), ip4(OB)))
        p = R.parse_frame(1, outer(gre_hdr(0x6558, key=3) + eth(ip_in, vlans=(9,))))
        self.assertEqual((p.tkinds, p.v0, p.tkey), (('gre',), 9, 3))
        # GRE version 1 (PPTP) and unknown protocol types: metered as GRE
        for g in (gre_hdr(0x880b, ver=1), gre_hdr(0x883e)):
            p = R.parse_frame(1, outer(g + ip_in))
            self.assertEqual((p.proto, p.tkinds), (47, ()))
        for g in (gre_hdr(0x0800, ver=2), gre_hdr(0x0800, routing=True), gre_hdr(0x0800, key=1)[:7],
                  gre_hdr(0x0800)[:3]):
            self.assertEqual(R.parse_frame(1, outer(g)), 'tunnel', g)

    def test_erspan(self):
        inner = eth(ipv4('10.3.0.1', '10.3.0.2', 6, tcp(1, 2, SYN)))
        outer = lambda g: eth(ipv4(OA, OB, 47, g))  # noqa: E731
        # type I: no sequence number, Ethernet right after GRE, no identifier
        p = R.parse_frame(1, outer(gre_hdr(0x88be) + inner))
        self.assertEqual((p.tkinds, p.tid, p.tkey), (('erspan',), None, R.addr_digest(ip4(OA), ip4(OB))))
        # type II: version 1, session ID 0x2ab (bytes 2-3 & 0x3ff)
        e2 = struct.pack('>HHI', 0x1000 | 5, 0x0400 | 0x2ab, 0)
        p = R.parse_frame(1, outer(gre_hdr(0x88be, seq=1) + e2 + inner))
        self.assertEqual((p.tkinds, p.tid, p.tkey, p.fstart), (('erspan',), 0x2ab, 0x2ab, 14 + 20 + 8 + 8))
        self.assertEqual(R.parse_frame(1, outer(gre_hdr(0x88be, seq=1) + struct.pack('>HHI', 0x2000, 1, 0) + inner)),
                         'tunnel')
        # type III: version 2; frame type 0 / 2; the platform sub-header
        for ft, sub, body in ((0, False, inner), (0, True, inner), (2, False, inner[14:]), (2, True, inner[14:])):
            w = (ft << 10) | (1 if sub else 0)
            e3 = struct.pack('>HHIHH', 0x2000, 0x3ff, 0, 0, w) + (b'\x00' * 8 if sub else b'')
            p = R.parse_frame(1, outer(gre_hdr(0x22eb, seq=1) + e3 + body))
            self.assertEqual((p.tkinds, p.tid, p.sport, p.dport), (('erspan',), 0x3ff, 1, 2), (ft, sub))
            self.assertEqual(p.fstart, 14 + 20 + 8 + 12 + (8 if sub else 0))
        e3 = struct.pack('>HHIHH', 0x2000, 1, 0, 0, 1 << 10)      # frame type 1
        self.assertEqual(R.parse_frame(1, outer(gre_hdr(0x22eb) + e3 + inner)), 'not_ip')
        e3 = struct.pack('>HHIHH', 0x1000, 1, 0, 0, 0)            # version 1 in type III
        self.assertEqual(R.parse_frame(1, outer(gre_hdr(0x22eb) + e3 + inner)), 'tunnel')

    def test_gtpu(self):
        ip_in = ipv4('10.4.0.1', '10.4.0.2', 17, udp(1, 2, b'abc'))
        outer = lambda g, port=2152: eth(ipv4(OA, OB, 17, udp(2152, port, g)))  # noqa: E731
        p = R.parse_frame(1, outer(gtpu_hdr(0x11223344, len(ip_in)) + ip_in))
        self.assertEqual((p.tkinds, p.tid, p.tkey, p.fstart, p.l3off), (('gtpu',), 0x11223344,
                         R.addr_digest(ip4(OA), ip4(OB)), 14 + 20 + 8 + 8, 0))
        # a PDU session container (type 0x85, 4 bytes) then another extension
        g = gtpu_hdr(7, len(ip_in), ext=((0x85, b'\x00\x09'), (0x40, b'\x01\x02\x03\x04\x05')))
        self.assertEqual(len(g), 8 + 4 + 4 + 8)
        p = R.parse_frame(1, outer(g + ip_in))
        self.assertEqual((p.tid, p.fstart, p.sport), (7, 14 + 20 + 8 + len(g), 1))
        # echo request: not a tunnel
        p = R.parse_frame(1, outer(gtpu_hdr(0, 4, msg=1) + b'\x00' * 4))
        self.assertEqual((p.tkinds, p.dport), ((), 2152))
        # damage: version 2, PT clear, extension length 0, length too small, cut
        for bad in (b'\x50' + g[1:], b'\x20' + g[1:],
                    g[:12] + b'\x00' + g[13:],
                    g[:2] + struct.pack('>H', 15) + g[4:]):
            self.assertEqual(R.parse_frame(1, outer(bad + ip_in)), 'tunnel', bad)
        for cut in range(len(g)):           # cut inside the header (captured bytes end)
            self.assertEqual(R.parse_frame(1, outer(g[:cut])), 'tunnel', cut)
        self.assertEqual(R.parse_frame(1, outer(g[:2] + struct.pack('>H', 16) + g[4:] + ip_in)).tid, 7)

    def test_mpls(self):
        ip_in = ipv4('10.5.0.1', '10.5.0.2', 6, tcp(1, 2, SYN))
        frame = eth(mpls([100, 200, 300], ip_in), 0x8847)
        p = R.parse_frame(1, frame)
        self.assertEqual((p.tkinds, p.tid, p.tkey, p.tcar, p.fstart), (('mpls',), 300, 0, None, 26))
        self.assertEqual(R.parse_frame(1, frame, decap=False), 'not_ip')
        # control word + Ethernet
        p = R.parse_frame(1, eth(mpls([16], b'\x00' * 4 + eth(ip_in, vlans=(12,))), 0x8848))
        self.assertEqual((p.tid, p.v0, p.fstart), (16, 12, 14 + 4 + 4))
        self.assertEqual(R.parse_frame(1, eth(mpls([1] * 8, ip_in), 0x8847)).tid, 1)
        self.assertEqual(R.parse_frame(1, eth(mpls([1] * 9, ip_in), 0x8847)), 'tunnel')
        self.assertEqual(R.parse_frame(1, eth(mpls([16, 13, 17], ip_in), 0x8847)), 'not_ip')
        self.assertEqual(R.parse_frame(1, eth(mpls([16, 17], ip_in)[:6], 0x8847)), 'tunnel')
        self.assertEqual(R.parse_frame(1, eth(mpls([16], b'\x70' + ip_in[1:]), 0x8847)), 'not_ip')

    def test_ipip_and_nesting(self):
        tcp_in = tcp(1, 2, SYN)
        p = R.parse_frame(1, eth(ipv4(OA, OB, 4, ipv4('10.6.0.1', '10.6.0.2', 6, tcp_in))))
        self.assertEqual((p.tkinds, p.tid, p.fstart, p.l3off), (('ipip',), None, 34, 0))
        p = R.parse_frame(1, eth(ipv4(OA, OB, 41, ipv6('2001:db8::1', '2001:db8::2', 6, tcp_in))))
        self.assertEqual((p.ver, p.tkinds), (6, ('ipip',)))
        p = R.parse_frame(1, eth(ipv6('2001:db8::a', '2001:db8::b', 4, ipv4('10.6.0.1', '10.6.0.2', 6, tcp_in)), 0x86dd))
        self.assertEqual((p.ver, p.tkinds, p.tcar), (4, ('ipip',), (ip6('2001:db8::a'), ip6('2001:db8::b'))))
        # erspan -> vxlan -> ipip: 3 levels
        ipip = ipv4('172.16.0.1', '172.16.0.2', 4, ipv4('10.6.0.1', '10.6.0.2', 6, tcp_in))
        vx = eth(ipv4('198.51.100.1', '198.51.100.2', 17, udp(9, 4789, vxlan_hdr(500) + eth(ipip))))
        e2 = struct.pack('>HHI', 0x1000, 33, 0)
        three = eth(ipv4(OA, OB, 47, gre_hdr(0x88be, seq=1) + e2 + vx))
        p = R.parse_frame(1, three)
        self.assertEqual(p.tkinds, ('erspan', 'vxlan', 'ipip'))
        dig = R.addr_digest(ip4('172.16.0.1'), ip4('172.16.0.2'))
        self.assertEqual(p.tkey, ((33 * 16777619 + 500) * 16777619 + dig) % 2 ** 32)
        self.assertEqual(p.tcar, (ip4('172.16.0.1'), ip4('172.16.0.2')))
        self.assertEqual(p.fstart, len(three) - 40)
        # a fourth: gre around it
        four = eth(ipv4('203.0.113.1', '203.0.113.2', 47, gre_hdr(0x6558) + three))
        self.assertEqual(R.parse_frame(1, four), 'tunnel')
        # ... but a GTP-U echo or GRE v1 as the fourth is no tunnel
        echo = ipv4('10.7.0.1', '10.7.0.2', 17, udp(2152, 2152, gtpu_hdr(0, 4, msg=1) + b'\x00' * 4))
        p = R.parse_frame(1, eth(ipv4(OA, OB, 4, ipv4(OA, OB, 4, ipv4(OA, OB, 4, echo)))))
        self.assertEqual((p.tkinds, p.dport), (('ipip',) * 3, 2152))
        # an outer fragment is not taken apart
        frag = eth(ipv4(OA, OB, 17, udp(9, 4789, vxlan_hdr(1) + eth(ipip)), mf=True))
        self.assertEqual((R.parse_frame(1, frag).tkinds, R.parse_frame(1, frag).frag), ((), 'first'))

    def test_inner_frame_start_limit(self):
        # ipip in IPv6 with a destination-options header sized so that the inner
        # packet starts exactly at 1023 (accepted) or 1024 (`tunnel`)
        def cap(start):
            ext_len = start - 14 - 40              # one dst-opts header: 8 x (hdr ext len + 1)
            ext = bytes([4, ext_len // 8 - 1]) + b'\x00' * (ext_len - 2)
            return eth(ipv6('2001:db8::a', '2001:db8::b', 60, ipv4('10.6.0.1', '10.6.0.2', 17, udp(1, 2)), ext), 0x86dd)
        self.assertEqual(R.parse_frame(1, cap(1014)).fstart, 1014)
        self.assertEqual(R.parse_frame(1, cap(1022)).fstart, 1022)
        self.assertEqual(R.parse_frame(1, cap(1030)), 'tunnel')
        # VXLAN whose inner frame starts at 1023 / 1024 (underlay padded by IPv4 options
        # is limited to 40 bytes: use GRE + ERSPAN III + ... instead: an MPLS stack in GRE)
        def mp(n_labels):
            return eth(ipv4(OA, OB, 47, gre_hdr(0x8847) + mpls([16] * n_labels, ipv4('10.6.0.1', '10.6.0.2', 17, udp(1, 2)))))
        # GRE in IPv4 at 14 + 20 + 4 = 38; 8 labels -> 70: fine
        self.assertEqual(R.parse_frame(1, mp(8)).fstart, 70)

    # --- flows ---------------------------------------------------------------
    def test_flows_tenants_and_directions(self):
        a = lambda s, d, sp, dp: eth(ipv4(s, d, 6, tcp(sp, dp, ACK, b'x')))  # noqa: E731
        pk = []
        for i in range(2):
            for vni in (100, 200):
                if i == 0:
                    pk.append((T0 + i * NS + vni, in_vxlan(a('10.0.0.1', '10.0.0.2', 1000, 80), vni)))
                else:
                    pk.append((T0 + i * NS + vni, in_vxlan(a('10.0.0.2', '10.0.0.1', 80, 1000), vni, OB, OA)))
        _s, rows = meter_ext(pk)
        self.assertEqual(len(rows), 2)
        for r, vni in zip(rows, (100, 200)):
            self.assertEqual((r['tunnel'], r['receiving_tunnel_id'], r['sending_tunnel_id'], r['tunnel_src_ip'],
                              r['tunnel_dst_ip'], r['packets_numbers']), ('vxlan', str(vni), str(vni), OA, OB, '2'))
            inner_len = 14 + 20 + 20 + 1
            self.assertEqual((r['total_bytes'], r['receiving_ip_bytes']), (str(2 * inner_len), str(inner_len - 14)))

    def test_gtpu_teids_one_flow(self):
        up = ipv4('10.8.0.1', '10.8.0.2', 17, udp(4000, 5000, b'up'))
        dn = ipv4('10.8.0.2', '10.8.0.1', 17, udp(5000, 4000, b'down'))
        pk = [(T0, eth(ipv4('198.51.100.9', OB, 17, udp(2152, 2152, gtpu_hdr(0x1001, len(up)) + up)))),
              (T0 + 1, eth(ipv4(OB, '198.51.100.9', 17, udp(2152, 2152, gtpu_hdr(0x2002, len(dn)) + dn))))]
        summary, rows = meter_ext(pk)
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual((r['tunnel'], r['receiving_tunnel_id'], r['sending_tunnel_id'], r['tunnel_src_ip'],
                          r['tunnel_dst_ip']), ('gtpu', str(0x1001), str(0x2002), '198.51.100.9', OB))
        self.assertEqual(r['total_bytes'], str(len(up) + len(dn)))
        _s, rows = meter_ext(pk, decap=False)
        self.assertEqual([(x['tunnel'], x['src_port'], x['receiving_tunnel_id']) for x in rows], [('-', '2152', '-')])

    def test_synack_creator_turns_the_carrier(self):
        sa = eth(ipv4('10.0.0.2', '10.0.0.1', 6, tcp(80, 1000, SYN | ACK)))
        _s, rows = meter_ext([(T0, in_vxlan(sa, 9, OB, OA))])
        r = rows[0]
        self.assertEqual((r['src_ip'], r['tunnel_src_ip'], r['tunnel_dst_ip']), ('10.0.0.1', OA, OB))
        self.assertEqual((r['receiving_tunnel_id'], r['sending_tunnel_id']), ('-', '9'))

    def test_skip_reason_and_wire_length(self):
        inner = eth(ipv4('10.0.0.1', '10.0.0.2', 17, udp(1, 2, b'z' * 10)))
        frame = in_vxlan(inner, 1)
        bad = in_vxlan(inner, 1)[:14 + 20 + 8 + 5]
        summary, rows = meter_ext([(T0, frame, len(frame) + 100), (T0 + 1, bad, len(frame))])
        self.assertEqual(summary['skipped']['tunnel'], 1)
        self.assertEqual(rows[0]['total_bytes'], str(len(inner) + 100))
        self.assertEqual(rows[0]['receiving_ip_bytes'], str(len(inner) - 14))
        self.assertEqual(rows[0]['tunnel'], 'vxlan')
        self.assertEqual(rows[0]['ip_protocol'], '17')


    # --- readings where the documents leave room (tests/ref/README.md) ---------
    def test_readings(self):
        ip_in = ipv4('10.4.0.1', '10.4.0.2', 17, udp(1, 2, b'abc'))
        outer = lambda g: eth(ipv4(OA, OB, 17, udp(2152, 2152, g)))  # noqa: E731
        # GTP-U: a length byte of 5 is taken; a fifth extension header is damage
        g = gtpu_hdr(7, len(ip_in), ext=((0x85, b'\x10\x01' + b'\x00' * 16),))
        self.assertEqual(g[12], 5)
        self.assertEqual(R.parse_frame(1, outer(g + ip_in)).tid, 7)
        g4 = gtpu_hdr(7, len(ip_in), ext=tuple((0x40 + i, b'ab') for i in range(4)))
        g5 = gtpu_hdr(7, len(ip_in), ext=tuple((0x40 + i, b'ab') for i in range(5)))
        self.assertEqual(R.parse_frame(1, outer(g4 + ip_in)).tid, 7)
        self.assertEqual(R.parse_frame(1, outer(g5 + ip_in)), 'tunnel')
        # GRE: an unknown protocol type is no tunnel whatever the version or flags
        gre_out = lambda g: eth(ipv4(OA, OB, 47, g + ip_in))  # noqa: E731
        self.assertEqual(R.parse_frame(1, gre_out(gre_hdr(0x883e, ver=3))).proto, 47)
        self.assertEqual(R.parse_frame(1, gre_out(gre_hdr(0x883e, routing=True))).proto, 47)
        self.assertEqual(R.parse_frame(1, gre_out(gre_hdr(0x0800, ver=3))), 'tunnel')
        # the carrier of MPLS on the inner Ethernet frame of VXLAN: the VXLAN's IP header
        p = R.parse_frame(1, in_vxlan(eth(mpls([55], ip_in), 0x8847), 4))
        self.assertEqual((p.tkinds, p.tid, p.tcar), (('vxlan', 'mpls'), 55, (ip4(OA), ip4(OB))))
        # a later fragment is given the key of the first fragment of its tunnels: in
        # the same VNI it joins it; in another (another tenant's datagram) it does not
        first = ipv4('10.4.0.1', '10.4.0.2', 17, udp(1, 2, b'x' * 8), ident=5, mf=True)
        later = ipv4('10.4.0.1', '10.4.0.2', 17, b'y' * 8, ident=5, off=2)
        _s, rows = meter_ext([(T0, in_vxlan(eth(first), 1)), (T0 + 1, in_vxlan(eth(later), 1))])
        self.assertEqual([(r['packets_numbers'], r['src_port'], r['receiving_tunnel_id']) for r in rows],
                         [('2', '1', '1')])
        _s, rows = meter_ext([(T0, in_vxlan(eth(first), 1)), (T0 + 1, in_vxlan(eth(later), 2))])
        self.assertEqual([(r['packets_numbers'], r['src_port'], r['receiving_tunnel_id']) for r in rows],
                         [('1', '1', '1'), ('1', '0', '2')])


if __name__ == '__main__':
    unittest.main()
