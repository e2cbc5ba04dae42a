"""Tunnels (--tunnels decap|outer; docs/METERING.md 1.1 and the tunnel key of section 2;
docs/COLUMNS.md 114-118), on crafted captures.

Every case is metered by the meter and by the independent reference
(tests/ref/afm_ref.py): all 118 columns of the extended schema must be equal, as text,
and the 78 of the default schema, and the packet accounting (skipped by reason). The
values that matter are also asserted from what the test built: the number of flows,
the `tunnel` text, the identifiers, the carrier's addresses, the lengths (the inner
frame's: the inner Ethernet frame of an Ethernet tunnel, the inner IP packet of the
others). As root, the same captures go through the XDP program (--via-xdp): the same
rows, byte for byte.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_tunnels.py
"""

import csv
import importlib.util
import ipaddress
import json
import os
import struct
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'ref'))
from test_cli import Meter  # noqa: E402
import pcapgen as G  # noqa: E402
import afm_ref as R  # noqa: E402

REF = os.path.join(HERE, '..', 'ref', 'afm_ref.py')
NS = 10 ** 9
T0 = 1_700_000_000 * NS
SYN, ACK, FIN, PSH = G.SYN, G.ACK, G.FIN, G.PSH
IS_ROOT = os.geteuid() == 0

# underlay addresses
U4A, U4B = '192.0.2.10', '192.0.2.20'
U6A, U6B = '2001:db8:ffff::10', '2001:db8:ffff::20'


def ip6(text):
    return ipaddress.IPv6Address(text).packed


def ip_any(src, dst, proto, payload, ident=1):
    """An IPv4 or IPv6 packet by the addresses' form."""
    if ':' in src:
        return G.ipv6_packet(src, dst, proto, payload)
    return G.ipv4_packet(src, dst, proto, payload, ident=ident)


def underlay(src, dst, proto, payload, vlans=()):
    """The carrier: Ethernet (tagged when asked) + IPv4 or IPv6."""
    pkt = ip_any(src, dst, proto, payload)
    return G.ether_tagged(pkt, 0x86dd if ':' in src else 0x0800, vlans)


def udp_to(sport, dport, payload):
    return G.udp(sport, dport, payload)


# ---- the inner conversations ------------------------------------------------------

def tcp_conv(c, s, cport, sport=80, data=b'GET / HTTP/1.1\r\n\r\n'):
    """A TCP connection c:cport -> s:sport as inner IP packets: (from client?, packet)."""
    steps = [(True, SYN, b''), (False, SYN | ACK, b''), (True, ACK, b''), (True, PSH | ACK, data),
             (False, PSH | ACK, b'HTTP/1.1 200 OK\r\n\r\n'), (True, FIN | ACK, b''),
             (False, FIN | ACK, b''), (True, ACK, b'')]
    out = []
    for i, (up, flags, pay) in enumerate(steps):
        a, b, pa, pb = (c, s, cport, sport) if up else (s, c, sport, cport)
        out.append((up, ip_any(a, b, 6, G.tcp_segment(pa, pb, flags, pay, seq=100 + i, ack=200 + i), ident=i + 1)))
    return out


def udp_conv(c, s, cport=5000, sport=6000, n=3):
    out = []
    for i in range(n):
        out.append((True, ip_any(c, s, 17, G.udp(cport, sport, b'q' * (10 + i)), ident=i + 1)))
        out.append((False, ip_any(s, c, 17, G.udp(sport, cport, b'r' * (20 + i)), ident=i + 1)))
    return out


def eth_of(ip_pkt, vlans=()):
    """The inner Ethernet frame of an IP packet."""
    return G.ether_tagged(ip_pkt, 0x86dd if ip_pkt[0] >> 4 == 6 else 0x0800, vlans,
                          dst=b'\x0a\x00\x00\x00\x00\x01', src=b'\x0a\x00\x00\x00\x00\x02')


def records(pairs, t0=T0, step=1_000_000):
    return [(t0 + i * step, frame) for i, frame in enumerate(pairs)]


class Tunnels(Meter):
    # ---- running both sides ---------------------------------------------------------

    def meter_csv(self, cap, *args, schema='extended'):
        out = self.path('m-%d.csv' % len(os.listdir(self.dir)))
        js = out + '.json'
        r = self.run_meter('-q', '-r', cap, '--schema', schema, *args, '--stats-json', js, '-o', out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            text = f.read()
        return text, self.stats(js)

    def ref_csv(self, cap, *args, schema='extended'):
        out = self.path('r-%d.csv' % len(os.listdir(self.dir)))
        r = subprocess.run(['/usr/bin/python3', REF, cap, '--schema', schema, *args, '-o', out],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            return f.read(), json.loads(r.stderr)

    @staticmethod
    def table(text):
        return list(csv.DictReader(text.splitlines()))

    def both(self, name, recs, *args, linktype=1, xdp=False):
        """Meter recs with both; every column equal; returns (extended rows, meter stats).
        xdp (as root): also through the XDP program, whose rows must be -r's (a load of
        the kernel program a call: for one case of each kind)."""
        cap = self.path(name + '.pcap')
        G.write_records(cap, recs, linktype)
        got, st = self.meter_csv(cap, *args)
        want, rs = self.ref_csv(cap, *args)
        self.assert_same(want, got, name)
        self.assertEqual((st['packets'], st['metered']), (rs['packets'], rs['metered']), name)
        for k, v in rs['skipped'].items():
            self.assertEqual(st['skipped'].get(k), v, '%s: skipped %s' % (name, k))
        self.assertEqual(st['rows_written'], rs['flows'], name)
        # the default schema too
        got78, _ = self.meter_csv(cap, *args, schema='appflowmeter')
        want78, _ = self.ref_csv(cap, *args, schema='appflowmeter')
        self.assert_same(want78, got78, name + ' (default schema)')
        if xdp and IS_ROOT:
            via, vst = self.meter_csv(cap, *args, '--via-xdp')
            self.assertEqual(via, got, name + ': --via-xdp rows differ from -r')
            for k in ('packets', 'metered', 'skipped', 'rows_written'):
                self.assertEqual(vst[k], st[k], '%s: --via-xdp %s' % (name, k))
        rows = self.table(got)
        if rows:
            self.assertEqual(len(rows[0]), 118 if 'tunnel' in rows[0] else 78)
        return rows, st

    def assert_same(self, want, got, name):
        w, g = want.splitlines(), got.splitlines()
        self.assertEqual(g[:1], w[:1], name + ': header')
        self.assertEqual(len(g), len(w), '%s: %d rows, the reference %d\n%s\n%s' % (
            name, len(g) - 1, len(w) - 1, '\n'.join(g[1:6]), '\n'.join(w[1:6])))
        cols = w[0].split(',')
        diffs = []
        for i, (a, b) in enumerate(zip(w[1:], g[1:])):
            for c, x, y in zip(cols, a.split(','), b.split(',')):
                if x != y:
                    diffs.append('row %d %s: reference %s, meter %s' % (i + 1, c, x, y))
        self.assertEqual(diffs[:20], [], name)

    def one(self, rows, **match):
        hits = [r for r in rows if all(r[k] == str(v) for k, v in match.items())]
        self.assertEqual(len(hits), 1, (match, [(r['src_ip'], r['src_port'], r['tunnel']) for r in rows]))
        return hits[0]

    def check_flow(self, row, conv, inner_len, kinds, tsrc='-', tdst='-', rx_id='-', tx_id='-'):
        """The flow's values from what was built: conv the (from client?, IP packet)
        list, inner_len(packet) its length on the tunnel's device."""
        up = [inner_len(p) for u, p in conv if u]
        dn = [inner_len(p) for u, p in conv if not u]
        ipl = sum(len(p) for _u, p in conv)
        self.assertEqual(row['tunnel'], kinds)
        self.assertEqual((row['tunnel_src_ip'], row['tunnel_dst_ip']), (tsrc, tdst))
        self.assertEqual((row['receiving_tunnel_id'], row['sending_tunnel_id']), (str(rx_id), str(tx_id)))
        self.assertEqual(row['packets_numbers'], str(len(conv)))
        self.assertEqual((row['receiving_packets_numbers'], row['sending_packets_numbers']), (str(len(up)), str(len(dn))))
        self.assertEqual((row['total_bytes'], row['receiving_bytes'], row['sending_bytes']),
                         (str(sum(up) + sum(dn)), str(sum(up)), str(sum(dn))))
        self.assertEqual(int(row['receiving_ip_bytes']) + int(row['sending_ip_bytes']), ipl)
        self.assertEqual(row['max_packets_len'], str(max(up + dn)))

    # ---- each kind ------------------------------------------------------------------

    def test_vxlan_both_ports_over_ipv4_and_ipv6_with_vlans(self):
        conv = tcp_conv('10.1.0.1', '10.1.0.2', 40001)
        for port in (4789, 8472):
            for ua, ub, vlans in ((U4A, U4B, ()), (U4A, U4B, (42,)), (U6A, U6B, (5, 6))):
                name = 'vxlan-%d-%s-%d' % (port, 'v6' if ':' in ua else 'v4', len(vlans))
                with self.subTest(name):
                    frames = []
                    for up, p in conv:
                        a, b = (ua, ub) if up else (ub, ua)
                        inner = eth_of(p, vlans=(7,))
                        frames.append(underlay(a, b, 17, udp_to(33333, port, G.vxlan(0x123456, inner)), vlans))
                    rows, _ = self.both(name, records(frames), xdp=True)
                    self.assertEqual(len(rows), 1)
                    r = rows[0]
                    self.check_flow(r, conv, lambda p: len(p) + 18, 'vxlan', ua, ub, 0x123456, 0x123456)
                    self.assertEqual((r['src_ip'], r['dst_ip'], r['src_port'], r['dst_port']),
                                     ('10.1.0.1', '10.1.0.2', '40001', '80'))
                    self.assertEqual(r['vlan_ids'], '7')          # the inner frame's tag, not the underlay's
                    self.assertEqual(r['end_reason'], 'fin')      # closed, the input ends in its linger

    def test_geneve_with_options_and_each_protocol_type(self):
        conv = udp_conv('10.2.0.1', '10.2.0.2')
        conv6 = udp_conv('2001:db8:2::1', '2001:db8:2::2')
        options = struct.pack('>HBB', 0x0102, 0x80, 2) + b'\xaa' * 8     # class, type, length 2 words
        cases = [
            ('eth', 0x6558, conv, lambda p: eth_of(p), 14, 'geneve'),
            ('ipv4', 0x0800, conv, lambda p: p, 0, 'geneve'),
            ('ipv6', 0x86dd, conv6, lambda p: p, 0, 'geneve'),
            ('mpls', 0x8847, conv, lambda p: G.mpls([1000, 2000], p), 0, 'geneve+mpls'),
            ('mpls-mc', 0x8848, conv6, lambda p: G.mpls([3000], p), 0, 'geneve+mpls'),
        ]
        for what, pt, cv, wrap, extra, kinds in cases:
            for opts in (b'', options):
                name = 'geneve-%s-%d' % (what, len(opts))
                with self.subTest(name):
                    frames = []
                    for up, p in cv:
                        a, b = (U4A, U4B) if up else (U4B, U4A)
                        frames.append(underlay(a, b, 17, udp_to(44444, 6081, G.geneve(0xabcdef, pt, wrap(p), opts))))
                    rows, _ = self.both(name, records(frames))
                    self.assertEqual(len(rows), 1)
                    ident = {0x8847: 2000, 0x8848: 3000}.get(pt, 0xabcdef)
                    self.check_flow(rows[0], cv, lambda p: len(p) + extra, kinds, U4A, U4B, ident, ident)

    def test_geneve_unknown_protocol_type_is_not_ip(self):
        frames = [underlay(U4A, U4B, 17, udp_to(1, 6081, G.geneve(5, 0x0806, b'\x00' * 28)))]
        rows, st = self.both('geneve-arp', records(frames))
        self.assertEqual((len(rows), st['skipped']['not_ip']), (0, 1))

    def test_gre_keyed_unkeyed_checksum_sequence_and_gretap(self):
        conv = tcp_conv('10.3.0.1', '10.3.0.2', 40003)
        conv6 = tcp_conv('2001:db8:3::1', '2001:db8:3::2', 40003)
        cases = [
            ('keyed', conv, lambda p: G.gre(0x0800, p, key=777), 0, 777),
            ('unkeyed', conv, lambda p: G.gre(0x0800, p), 0, '-'),
            ('csum-seq', conv, lambda p: G.gre(0x0800, p, csum=True, seq=5), 0, '-'),
            ('csum-key-seq', conv, lambda p: G.gre(0x0800, p, key=0xfffffffe, csum=True, seq=5), 0, 0xfffffffe),
            ('ipv6-in', conv6, lambda p: G.gre(0x86dd, p, key=6), 0, 6),
            ('gretap', conv, lambda p: G.gre(0x6558, eth_of(p, vlans=(300,))), 18, '-'),
            ('nvgre', conv, lambda p: G.gre(0x6558, eth_of(p), key=(0x5000 << 8) | 1), 14, (0x5000 << 8) | 1),
            ('mpls', conv, lambda p: G.gre(0x8847, G.mpls([16, 17, 18], p)), 0, 18),
        ]
        for name, cv, wrap, extra, ident in cases:
            for ua, ub, vlans in ((U4A, U4B, ()), (U6A, U6B, (10,))):
                nm = 'gre-%s-%s' % (name, 'v6' if ':' in ua else 'v4')
                with self.subTest(nm):
                    frames = []
                    for up, p in cv:
                        a, b = (ua, ub) if up else (ub, ua)
                        frames.append(underlay(a, b, 47, wrap(p), vlans))
                    rows, _ = self.both(nm, records(frames), xdp=True)
                    self.assertEqual(len(rows), 1)
                    kinds = 'gre+mpls' if name == 'mpls' else 'gre'
                    self.check_flow(rows[0], cv, lambda p: len(p) + extra, kinds, ua, ub, ident, ident)
                    if name == 'gretap':
                        self.assertEqual(rows[0]['vlan_ids'], '300')

    def test_gre_that_is_not_a_tunnel(self):
        # PPTP (version 1) and WCCP (0x883e): metered as GRE, protocol 47, ports 0
        inner = G.ipv4_packet('10.3.9.1', '10.3.9.2', 17, G.udp(1, 2, b'x'))
        frames = [underlay(U4A, U4B, 47, G.gre(0x880b, inner, version=1, key=0x00100001)),
                  underlay(U4A, '192.0.2.30', 47, G.gre(0x883e, b'\x00' * 4 + inner))]
        rows, _ = self.both('gre-not-tunnel', records(frames))
        self.assertEqual(sorted((r['dst_ip'], r['ip_protocol'], r['tunnel'], r['src_port']) for r in rows),
                         [(U4B, '47', '-', '0'), ('192.0.2.30', '47', '-', '0')])

    def test_erspan_types(self):
        conv = tcp_conv('10.4.0.1', '10.4.0.2', 40004)
        cases = [
            ('I', lambda p: G.gre(0x88be, eth_of(p)), 14, '-'),
            ('II', lambda p: G.gre(0x88be, G.erspan2(0x155, eth_of(p, vlans=(20,))), seq=1), 18, 0x155),
            ('III', lambda p: G.gre(0x22eb, G.erspan3(0x2aa, eth_of(p)), seq=1), 14, 0x2aa),
            ('III-platform', lambda p: G.gre(0x22eb, G.erspan3(0x2aa, eth_of(p), platform=True), seq=1), 14, 0x2aa),
            ('III-ft2', lambda p: G.gre(0x22eb, G.erspan3(7, p, frame_type=2)), 0, 7),
            ('III-ft2-platform', lambda p: G.gre(0x22eb, G.erspan3(7, p, frame_type=2, platform=True)), 0, 7),
        ]
        for name, wrap, extra, ident in cases:
            for ua, ub in ((U4A, U4B), (U6A, U6B)):
                nm = 'erspan-%s-%s' % (name, 'v6' if ':' in ua else 'v4')
                with self.subTest(nm):
                    # a mirror session goes one way: the monitor's addresses in every packet
                    frames = [underlay(ua, ub, 47, wrap(p)) for _up, p in conv]
                    rows, _ = self.both(nm, records(frames), xdp=True)
                    self.assertEqual(len(rows), 1)
                    self.check_flow(rows[0], conv, lambda p: len(p) + extra, 'erspan', ua, ub, ident, ident)
                    if name == 'II':
                        self.assertEqual(rows[0]['vlan_ids'], '20')

    def test_erspan_iii_other_frame_type_is_not_ip(self):
        p = G.ipv4_packet('10.4.9.1', '10.4.9.2', 17, G.udp(1, 2))
        frames = [underlay(U4A, U4B, 47, G.gre(0x22eb, G.erspan3(7, p, frame_type=ft))) for ft in (1, 3, 31)]
        rows, st = self.both('erspan-ft', records(frames))
        self.assertEqual((len(rows), st['skipped']['not_ip']), (0, 3))

    def test_gtpu_with_and_without_extension_headers(self):
        conv = udp_conv('10.5.0.1', '10.5.0.2')
        conv6 = udp_conv('2001:db8:5::1', '2001:db8:5::2')
        cases = [
            ('plain', conv, {}),
            ('seq', conv, {'seq': 9}),
            ('pdu-session', conv, {'ext': [(0x85, G.pdu_session_container())]}),
            ('pdu-session-v6', conv6, {'ext': [(0x85, G.pdu_session_container(uplink=False))]}),
            ('two-ext', conv, {'ext': [(0x40, b'\x12\x34'), (0x85, G.pdu_session_container(5) + b'\x00' * 4)]}),
            ('four-ext', conv, {'ext': [(0x40, b'ab'), (0x20, b'cd'), (0x81, b'ef'), (0x85, b'\x10\x01')]}),
        ]
        for name, cv, kw in cases:
            for ua, ub in ((U4A, U4B), (U6A, U6B)):
                nm = 'gtpu-%s-%s' % (name, 'v6' if ':' in ua else 'v4')
                with self.subTest(nm):
                    frames = []
                    for up, p in cv:
                        a, b = (ua, ub) if up else (ub, ua)
                        teid = 0x1000 if up else 0x2000
                        frames.append(underlay(a, b, 17, udp_to(2152, 2152, G.gtpu(teid, p, **kw))))
                    rows, _ = self.both(nm, records(frames), xdp=True)
                    self.assertEqual(len(rows), 1)
                    self.check_flow(rows[0], cv, len, 'gtpu', ua, ub, 0x1000, 0x2000)

    def test_gtpu_echo_and_end_marker_are_not_tunnels(self):
        echo = G.gtpu(0, b'', msg=1, seq=1)
        resp = G.gtpu(0, b'\x0e\x00', msg=2, seq=1)
        end = G.gtpu(0x1234, b'', msg=254)
        frames = [underlay(U4A, U4B, 17, udp_to(2152, 2152, echo)), underlay(U4B, U4A, 17, udp_to(2152, 2152, resp)),
                  underlay(U4A, U4B, 17, udp_to(40000, 2152, end))]
        rows, _ = self.both('gtpu-echo', records(frames))
        self.assertEqual(len(rows), 2)
        r = self.one(rows, src_port=2152)
        self.assertEqual((r['tunnel'], r['packets_numbers'], r['dst_port'], r['receiving_tunnel_id']), ('-', '2', '2152', '-'))
        self.assertEqual(r['total_bytes'], str(2 * 14 + 2 * 20 + 2 * 8 + len(echo) + len(resp)))

    def test_mpls_stacks(self):
        conv = tcp_conv('10.6.0.1', '10.6.0.2', 40006)
        conv6 = tcp_conv('2001:db8:6::1', '2001:db8:6::2', 40006)
        cases = [
            ('one', conv, lambda p: G.mpls([100], p), 0x8847, 0, 100, ()),
            ('three', conv, lambda p: G.mpls([100, 200, 300], p), 0x8847, 0, 300, ()),
            ('eight-v6', conv6, lambda p: G.mpls(list(range(16, 24)), p), 0x8847, 0, 23, ()),
            ('vlan', conv, lambda p: G.mpls([1048575, 5], p), 0x8847, 0, 5, (99,)),
            ('mc', conv, lambda p: G.mpls([44], p), 0x8848, 0, 44, ()),
            ('cw-eth', conv, lambda p: G.mpls([500, 600], eth_of(p, vlans=(8,)), control_word=True), 0x8847, 18, 600, ()),
        ]
        for name, cv, wrap, et, extra, ident, vlans in cases:
            with self.subTest(name):
                frames = [G.ether_tagged(wrap(p), et, vlans) for _up, p in cv]
                rows, _ = self.both('mpls-' + name, records(frames), xdp=True)
                self.assertEqual(len(rows), 1)
                self.check_flow(rows[0], cv, lambda p: len(p) + extra, 'mpls', '-', '-', ident, ident)
                self.assertEqual(rows[0]['vlan_ids'], '8' if name == 'cw-eth' else '0')
                # --tunnels outer: an MPLS frame is not IP
                cap = self.path('mpls-%s.pcap' % name)
                _t, st = self.meter_csv(cap, '--tunnels', 'outer')
                self.assertEqual((st['metered'], st['skipped']['not_ip']), (0, len(cv)))

    def test_mpls_damage(self):
        p = G.ipv4_packet('10.6.9.1', '10.6.9.2', 17, G.udp(1, 2))
        frames = [G.ether_tagged(G.mpls(list(range(16, 25)), p), 0x8847),        # 9 entries
                  G.ether_tagged(G.mpls([16, 13, 17], p), 0x8847),               # GAL
                  G.ether_tagged(G.mpls([16], b'\x50' + p[1:]), 0x8847),         # nibble 5
                  G.ether_tagged(G.mpls(list(range(16, 24)), p), 0x8847)]        # 8: fine
        rows, st = self.both('mpls-damage', records(frames))
        self.assertEqual((len(rows), st['skipped']['tunnel'], st['skipped']['not_ip']), (1, 1, 2))

    def test_ipip_4in4_6in4_4in6_6in6(self):
        cases = [
            ('4in4', U4A, U4B, tcp_conv('10.7.0.1', '10.7.0.2', 40007), 4),
            ('6in4', U4A, U4B, tcp_conv('2001:db8:7::1', '2001:db8:7::2', 40007), 41),
            ('4in6', U6A, U6B, tcp_conv('10.7.0.1', '10.7.0.2', 40007), 4),
            ('6in6', U6A, U6B, tcp_conv('2001:db8:7::1', '2001:db8:7::2', 40007), 41),
        ]
        for name, ua, ub, cv, proto in cases:
            with self.subTest(name):
                frames = []
                for up, p in cv:
                    a, b = (ua, ub) if up else (ub, ua)
                    frames.append(underlay(a, b, proto, p, vlans=(1, 2)))
                rows, _ = self.both('ipip-' + name, records(frames), xdp=True)
                self.assertEqual(len(rows), 1)
                self.check_flow(rows[0], cv, len, 'ipip', ua, ub)
                self.assertEqual(rows[0]['vlan_ids'], '0')     # the inner packet has no tags
                self.assertEqual(rows[0]['ip_version'], '6' if '6in' in name else '4')

    # ---- nesting --------------------------------------------------------------------

    def nested(self, p, up, levels):
        """erspan(II) -> vxlan -> ipip around the IP packet p (the first `levels` of
        them, innermost first: ipip, then vxlan, then erspan), and for 4 a GRE tunnel
        around it all."""
        a, b = ('172.16.0.1', '172.16.0.2') if up else ('172.16.0.2', '172.16.0.1')
        x = G.ipv4_packet(a, b, 4, p)                                       # ipip
        if levels >= 2:
            va, vb = ('198.51.100.1', '198.51.100.2') if up else ('198.51.100.2', '198.51.100.1')
            x = G.ipv4_packet(va, vb, 17, G.udp(1111, 4789, G.vxlan(5000, eth_of(x))))
        if levels >= 3:
            x = G.ipv4_packet(U4A, U4B, 47, G.gre(0x88be, G.erspan2(77, eth_of(x)), seq=1))
        if levels >= 4:
            x = G.ipv4_packet('203.0.113.1', '203.0.113.2', 47, G.gre(0x6558, eth_of(x), key=4))
        return G.ether_tagged(x)

    def test_three_levels(self):
        conv = tcp_conv('10.8.0.1', '10.8.0.2', 40008)
        for levels, kinds, tsrc, tdst in ((1, 'ipip', '172.16.0.1', '172.16.0.2'),
                                          (2, 'vxlan+ipip', '172.16.0.1', '172.16.0.2'),
                                          (3, 'erspan+vxlan+ipip', '172.16.0.1', '172.16.0.2')):
            with self.subTest(levels=levels):
                frames = [self.nested(p, up, levels) for up, p in conv]
                rows, _ = self.both('nest-%d' % levels, records(frames), xdp=True)
                self.assertEqual(len(rows), 1)
                self.check_flow(rows[0], conv, len, kinds, tsrc, tdst)

    def test_four_levels_are_skipped(self):
        conv = tcp_conv('10.8.0.1', '10.8.0.2', 40008)
        frames = [self.nested(p, up, 4) for up, p in conv]
        rows, st = self.both('nest-4', records(frames))
        self.assertEqual((len(rows), st['metered'], st['skipped']['tunnel']), (0, 0, len(conv)))
        rows, st = self.both('nest-4-outer', records(frames), '--tunnels', 'outer')
        self.assertEqual([(r['src_ip'], r['ip_protocol'], r['tunnel']) for r in rows], [('203.0.113.1', '47', '-')])

    # ---- keys -----------------------------------------------------------------------

    def test_two_tenants_with_the_same_inner_conversation(self):
        conv = tcp_conv('10.9.0.1', '10.9.0.2', 40009)
        frames = []
        for up, p in conv:
            for vni in (100, 200):
                a, b = (U4A, U4B) if up else (U4B, U4A)
                frames.append(underlay(a, b, 17, udp_to(4789, 4789, G.vxlan(vni, eth_of(p)))))
        rows, _ = self.both('tenants', records(frames), xdp=True)
        self.assertEqual(len(rows), 2)
        for vni in (100, 200):
            r = self.one(rows, receiving_tunnel_id=vni)
            self.check_flow(r, conv, lambda p: len(p) + 14, 'vxlan', U4A, U4B, vni, vni)
        # outer: one UDP flow between the two VTEPs, the tenants together
        rows, _ = self.both('tenants-outer', records(frames), '--tunnels', 'outer')
        self.assertEqual([(r['src_ip'], r['dst_ip'], r['dst_port'], r['tunnel'], r['packets_numbers']) for r in rows],
                         [(U4A, U4B, '4789', '-', '16')])

    def test_gtpu_uplink_and_downlink_one_flow(self):
        enb, upf = '198.51.100.50', '198.51.100.60'
        conv = tcp_conv('10.45.0.7', '93.184.216.34', 40010, 443)
        frames = []
        for up, p in conv:
            a, b, teid = (enb, upf, 0x0000abcd) if up else (upf, enb, 0x00ef0001)
            frames.append(underlay(a, b, 17, udp_to(2152, 2152, G.gtpu(teid, p, ext=[(0x85, G.pdu_session_container(uplink=up))]))))
        rows, _ = self.both('gtpu-updown', records(frames))
        self.assertEqual(len(rows), 1)
        self.check_flow(rows[0], conv, len, 'gtpu', enb, upf, 0xabcd, 0xef0001)
        self.assertEqual((rows[0]['src_ip'], rows[0]['dst_port'], rows[0]['protocol']), ('10.45.0.7', '443', 'HTTPS'))

    def test_gtpu_two_ends_same_inner_two_tunnels(self):
        # the same inner conversation between two other pairs of GTP ends: two flows
        conv = udp_conv('10.45.0.9', '10.45.0.10', n=1)
        frames = []
        for ends in (('198.51.100.1', '198.51.100.2'), ('198.51.100.3', '198.51.100.2')):
            for up, p in conv:
                a, b = ends if up else ends[::-1]
                frames.append(underlay(a, b, 17, udp_to(2152, 2152, G.gtpu(1, p))))
        rows, _ = self.both('gtpu-2ends', records(frames))
        self.assertEqual(sorted(r['tunnel_src_ip'] for r in rows), ['198.51.100.1', '198.51.100.3'])

    def test_three_connections_in_one_vxlan_tunnel(self):
        convs = [tcp_conv('10.10.0.1', '10.10.0.2', 41000 + i) for i in range(3)]
        frames = []
        for k in range(len(convs[0])):           # interleaved
            for cv in convs:
                up, p = cv[k]
                a, b = (U4A, U4B) if up else (U4B, U4A)
                frames.append(underlay(a, b, 17, udp_to(4789, 4789, G.vxlan(9, eth_of(p)))))
        rows, _ = self.both('three-in-one', records(frames))
        self.assertEqual(len(rows), 3)
        for i, cv in enumerate(convs):
            r = self.one(rows, src_port=41000 + i)
            self.check_flow(r, cv, lambda p: len(p) + 14, 'vxlan', U4A, U4B, 9, 9)
        rows, _ = self.both('three-in-one-outer', records(frames), '--tunnels', 'outer')
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual((r['src_ip'], r['dst_port'], r['tunnel'], r['packets_numbers'], r['total_bytes']),
                         (U4A, '4789', '-', '24', str(sum(len(f) for f in frames))))

    def test_outer_one_flow_per_tunnel(self):
        conv = tcp_conv('10.11.0.1', '10.11.0.2', 40011)
        frames = []
        for up, p in conv:
            a, b = (U4A, U4B) if up else (U4B, U4A)
            frames.append(underlay(a, b, 17, udp_to(4789, 4789, G.vxlan(1, eth_of(p)))))
            frames.append(underlay(a, b, 47, G.gre(0x0800, p, key=2)))
            frames.append(underlay(a, b, 4, p))
            frames.append(underlay(a, b, 17, udp_to(2152, 2152, G.gtpu(3, p))))
        rows, _ = self.both('outer-mixed', records(frames), '--tunnels', 'outer')
        self.assertEqual(sorted((r['ip_protocol'], r['dst_port'], r['tunnel'], r['packets_numbers']) for r in rows),
                         [('17', '2152', '-', '8'), ('17', '4789', '-', '8'), ('4', '0', '-', '8'), ('47', '0', '-', '8')])
        # (one tunnel between two ends with fixed ports: one outer flow each)
        for r in rows:
            self.assertEqual((r['tunnel_src_ip'], r['receiving_tunnel_id'], r['sending_tunnel_id']), ('-', '-', '-'))
        rows, _ = self.both('decap-mixed', records(frames))
        self.assertEqual(sorted(r['tunnel'] for r in rows), ['gre', 'gtpu', 'ipip', 'vxlan'])

    def test_tunnels_option_errors(self):
        cap = self.path('x.pcap')
        G.write_records(cap, records([underlay(U4A, U4B, 4, G.ipv4_packet('10.0.0.1', '10.0.0.2', 17, G.udp(1, 2)))]))
        r = self.run_meter('-q', '-r', cap, '--tunnels', 'inner', '-o', self.path('o.csv'))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn('--tunnels', r.stderr)

    # ---- lengths and limits -----------------------------------------------------------

    def test_wire_length_is_the_inner_frames(self):
        # captured short of the original length (snap length): wire length = orig - outer
        conv = udp_conv('10.12.0.1', '10.12.0.2', n=2)
        recs = []
        for i, (up, p) in enumerate(conv):
            a, b = (U4A, U4B) if up else (U4B, U4A)
            f = underlay(a, b, 17, udp_to(1, 4789, G.vxlan(3, eth_of(p))))
            recs.append((T0 + i * NS // 10, f, 14 + 20 + 8 + 8 + 14 + 20 + 8 + 2))   # inner UDP + 2 bytes
        rows, _ = self.both('snap', recs)
        self.assertEqual(len(rows), 1)
        self.check_flow(rows[0], conv, lambda p: len(p) + 14, 'vxlan', U4A, U4B, 3, 3)

    def test_innermost_frame_start_limit(self):
        # IPv6 carrier with a destination-options header, IPv4 inside (ipip): the inner
        # packet starts at link + 40 + the options. Every header is of even length: 1022
        # is the last start reachable under the limit, 1024 the first over it.
        def frame(link, start, linktype):
            ext_len = start - link - 40
            assert ext_len % 8 == 0 and ext_len >= 8, ext_len
            ext = bytes([4, ext_len // 8 - 1]) + b'\x00' * (ext_len - 2)     # Pad1 options
            inner = G.ipv4_packet('10.13.0.1', '10.13.0.2', 17, G.udp(7, 8, b'abc'))
            v6 = G.ipv6_packet(U6A, U6B, 60, ext + inner)
            if linktype == 1:
                return G.ether_tagged(v6, 0x86dd, vlans=(1, 2)[:(link - 14) // 4]), inner
            # Linux cooked v1: 16 bytes, the EtherType last
            return struct.pack('>HHH8sH', 0, 1, 6, b'\x02' * 6 + b'\0\0', 0x86dd) + v6, inner
        for start, link, lt, ok in ((1022, 22, 1, True), (1014, 14, 1, True), (1016, 16, 113, True),
                                    (1024, 16, 113, False), (1030, 14, 1, False), (1026, 18, 1, False)):
            with self.subTest(start=start):
                f, inner = frame(link, start, lt)
                self.assertEqual(len(f) - len(inner), start)
                rows, st = self.both('start-%d' % start, records([f]), linktype=lt, xdp=True)
                if ok:
                    self.assertEqual(len(rows), 1)
                    self.assertEqual((rows[0]['tunnel'], rows[0]['total_bytes']), ('ipip', str(len(inner))))
                else:
                    self.assertEqual((len(rows), st['skipped']['tunnel']), (0, 1))

    def test_outer_fragments_are_not_decapsulated(self):
        p = G.ipv4_packet('10.14.0.1', '10.14.0.2', 17, G.udp(1, 2, b'x' * 40))
        vx = G.udp(3, 4789, G.vxlan(1, eth_of(p)))
        first = G.ether_tagged(G.ipv4_packet(U4A, U4B, 17, vx[:48], ident=77, frag=0x2000))
        later = G.ether_tagged(G.ipv4_packet(U4A, U4B, 17, vx[48:], ident=77, frag=6))
        rows, _ = self.both('outer-frag', records([first, later]))
        self.assertEqual([(r['src_ip'], r['dst_port'], r['tunnel'], r['packets_numbers']) for r in rows],
                         [(U4A, '4789', '-', '2')])

    def test_inner_fragments_are_the_inner_flows(self):
        data = G.udp(1000, 53, b'\xbe\xef' + b'd' * 30)
        first = G.ipv4_packet('10.15.0.1', '10.15.0.2', 17, data[:16], ident=9, frag=0x2000, total_length=36)
        later = G.ipv4_packet('10.15.0.1', '10.15.0.2', 17, data[16:], ident=9, frag=2)
        frames = [underlay(U4A, U4B, 17, udp_to(5, 4789, G.vxlan(8, eth_of(x)))) for x in (first, later)]
        rows, _ = self.both('inner-frag', records(frames))
        self.assertEqual([(r['src_port'], r['dst_port'], r['packets_numbers'], r['tunnel']) for r in rows],
                         [('1000', '53', '2', 'vxlan')])

    # ---- damage -----------------------------------------------------------------------

    def test_damaged_headers(self):
        p = G.ipv4_packet('10.16.0.1', '10.16.0.2', 17, G.udp(1, 2))
        bad = [
            underlay(U4A, U4B, 17, udp_to(1, 4789, G.vxlan(1, eth_of(p), flags=0x00))),   # no I flag
            underlay(U4A, U4B, 17, udp_to(1, 8472, G.vxlan(1, eth_of(p), flags=0x80))),
            underlay(U4A, U4B, 17, udp_to(1, 6081, G.geneve(1, 0x6558, eth_of(p), version=1))),
            underlay(U4A, U4B, 17, udp_to(1, 6081, G.geneve(1, 0x6558, eth_of(p), version=3))),
            underlay(U4A, U4B, 47, G.gre(0x0800, p, version=2)),
            underlay(U4A, U4B, 47, G.gre(0x0800, p, version=7)),
            underlay(U4A, U4B, 47, G.gre(0x0800, b'\x00' * 4 + p, routing=True)),
            underlay(U4A, U4B, 47, G.gre(0x88be, b'\x20' + G.erspan2(1, eth_of(p))[1:], seq=1)),  # version 2 in II
            underlay(U4A, U4B, 47, G.gre(0x22eb, b'\x10' + G.erspan3(1, eth_of(p))[1:])),          # version 1 in III
            underlay(U4A, U4B, 17, udp_to(1, 2152, b'\x50' + G.gtpu(1, p)[1:])),                 # version 2
            underlay(U4A, U4B, 17, udp_to(1, 2152, b'\x20' + G.gtpu(1, p)[1:])),                 # PT clear
            underlay(U4A, U4B, 17, udp_to(1, 2152, G.gtpu(1, p, ext=[(0x85, b'\x00\x01')])[:12]
                                          + b'\x00' + G.gtpu(1, p, ext=[(0x85, b'\x00\x01')])[13:])),  # ext length 0
            underlay(U4A, U4B, 17, udp_to(1, 2152, G.gtpu(1, p, ext=[(0x85, b'\x00\x01')])[:2] + b'\x00\x07'
                                          + G.gtpu(1, p, ext=[(0x85, b'\x00\x01')])[4:])),      # length 7 < 8
            underlay(U4A, U4B, 17, udp_to(1, 4789, b'\x08\x00\x00')),      # VXLAN header cut
            underlay(U4A, U4B, 17, udp_to(1, 2152, b'\x30')),              # GTP-U: no message type
            underlay(U4A, U4B, 47, b'\x00\x00\x08'),                       # GRE: no protocol type
        ]
        ok = [
            underlay(U4A, U4B, 17, udp_to(1, 2152, G.gtpu(1, p, ext=[(0x85, b'\x00\x01')])[:2] + b'\x00\x08'
                                          + G.gtpu(1, p, ext=[(0x85, b'\x00\x01')])[4:])),      # length 8: enough
            underlay(U4A, U4B, 17, udp_to(1, 4789, G.vxlan(1, eth_of(p), flags=0xff))),          # I and others
        ]
        rows, st = self.both('damage', records(bad + ok))
        self.assertEqual(st['skipped']['tunnel'], len(bad))
        self.assertEqual((len(rows), st['metered']), (2, 2))
        self.assertEqual(sorted(r['tunnel'] for r in rows), ['gtpu', 'vxlan'])

    def truncations(self, name, frame, regions, linktype=1):
        """Every cut of frame (captured bytes 0 .. len - 1; the whole last): regions
        [(end, reason)] say what a cut before `end` is skipped as. The reference reads
        each cut alone; the meter reads them all in one capture (one run, not one a
        cut), which must skip exactly as many under each reason and meter the whole."""
        full = len(frame)
        want_total = {}
        for cut in range(full + 1):
            want = next(r[1] for r in regions if cut < r[0])
            if want:
                want_total[want] = want_total.get(want, 0) + 1
            cap = self.path('%s-%d.pcap' % (name, cut))
            G.write_records(cap, [(T0, frame, cut)], linktype)
            summary, _lines = R.run(cap, schema='extended')
            with self.subTest(name=name, cut=cut):
                self.assertEqual({k: v for k, v in summary['skipped'].items() if v}, {want: 1} if want else {},
                                 'reference at %d of %d' % (cut, full))
        cap = self.path('%s-all.pcap' % name)
        G.write_records(cap, [(T0 + cut * 1000, frame, cut) for cut in range(full + 1)], linktype)
        a, sa = self.meter_csv(cap)
        self.assertEqual({k: v for k, v in sa['skipped'].items() if v}, want_total, name)
        self.assertEqual(sa['metered'], 1, name)
        rows = self.table(a)
        self.assertEqual([r['total_bytes'] for r in rows], [str(full - regions[-1][2])], name)
        if IS_ROOT and name in ('vxlan', 'gtpu-ext', 'mpls', 'erspan3-platform'):	# through the XDP program
            b, sb = self.meter_csv(cap, '--via-xdp')
            self.assertEqual(b, a, name + ': --via-xdp rows differ from -r')
            for k in ('packets', 'metered', 'skipped', 'rows_written'):
                self.assertEqual(sb[k], sa[k], '%s: --via-xdp %s' % (name, k))

    def test_truncated_at_every_offset(self):
        tcp_in = G.ipv4_packet('10.17.0.1', '10.17.0.2', 6, G.tcp(1, 2, ACK))   # 40 bytes
        T, X = 'truncated', 'tunnel'
        # (name, frame, regions: (end, reason) ..., last: (len, None, bytes before the innermost frame))
        cases = []
        f = underlay(U4A, U4B, 17, udp_to(1, 4789, G.vxlan(1, eth_of(tcp_in))))
        cases.append(('vxlan', f, [(14, T), (34, T), (42, T), (50, X), (64, T), (84, T), (104, T), (105, None, 50)]))
        f = underlay(U4A, U4B, 47, G.gre(0x0800, tcp_in, key=5, csum=True, seq=6))
        cases.append(('gre-csum-key-seq', f, [(14, T), (34, T), (50, X), (70, T), (90, T), (91, None, 50)]))
        f = underlay(U6A, U6B, 47, G.gre(0x6558, eth_of(tcp_in, vlans=(3,))), vlans=(4,))
        cases.append(('gretap-v6', f, [(18, T), (58, T), (62, X), (80, T), (100, T), (120, T), (121, None, 62)]))
        opts = struct.pack('>HBB', 1, 2, 1) + b'\x00' * 4
        f = underlay(U4A, U4B, 17, udp_to(1, 6081, G.geneve(1, 0x0800, tcp_in, opts)))
        cases.append(('geneve-opts', f, [(14, T), (34, T), (42, T), (58, X), (78, T), (98, T), (99, None, 58)]))
        f = underlay(U4A, U4B, 17, udp_to(2152, 2152, G.gtpu(1, tcp_in, ext=[(0x85, G.pdu_session_container())])))
        cases.append(('gtpu-ext', f, [(14, T), (34, T), (42, T), (58, X), (78, T), (98, T), (99, None, 58)]))
        f = underlay(U4A, U4B, 47, G.gre(0x22eb, G.erspan3(9, eth_of(tcp_in), platform=True), seq=1))
        cases.append(('erspan3-platform', f, [(14, T), (34, T), (42, X), (62, X), (76, T), (96, T), (116, T), (117, None, 62)]))
        f = underlay(U4A, U4B, 47, G.gre(0x88be, G.erspan2(9, eth_of(tcp_in)), seq=1))
        cases.append(('erspan2', f, [(14, T), (34, T), (42, X), (50, X), (64, T), (84, T), (104, T), (105, None, 50)]))
        f = G.ether_tagged(G.mpls([16, 17], tcp_in), 0x8847)
        cases.append(('mpls', f, [(14, T), (22, X), (42, T), (62, T), (63, None, 22)]))
        f = underlay(U4A, U4B, 4, tcp_in)
        cases.append(('ipip', f, [(14, T), (34, T), (54, T), (74, T), (75, None, 34)]))
        for name, frame, regions in cases:
            self.assertEqual(regions[-1][0], len(frame) + 1, name)
            self.truncations(name, frame, regions)

    def test_mpls_control_word_truncated_at_every_offset(self):
        tcp_in = G.ipv4_packet('10.17.0.1', '10.17.0.2', 6, G.tcp(1, 2, ACK))
        f = G.ether_tagged(G.mpls([16], eth_of(tcp_in), control_word=True), 0x8847)
        T, X = 'truncated', 'tunnel'
        # the stack (14-18) cut: tunnel; nothing after the stack: the IP packet that
        # would follow is cut (truncated); a control word begun (first nibble 0) but
        # cut: tunnel; then the inner Ethernet frame's own reasons
        self.truncations('mpls-cw', f, [(14, T), (18, X), (19, T), (22, X),
                                        (36, T), (56, T), (76, T), (77, None, 22)])

    # ---- readings of the documents where they leave room (see the report) -------------

    def test_reading_gtpu_extension_limits(self):
        # "at most 4" extension headers; the damage list's "an extension length 0 or
        # more than 4" read as (a length 0) or (more than 4 of them): a 5th header is
        # damage, a length byte of 5 (20 bytes) is not
        p = G.ipv4_packet('10.18.0.1', '10.18.0.2', 17, G.udp(1, 2))
        five = [(0x40 + i, b'ab') for i in range(5)]
        long_ext = [(0x85, b'\x10\x01' + b'\x00' * 16)]         # 20 bytes: length byte 5
        frames = [underlay(U4A, U4B, 17, udp_to(2152, 2152, G.gtpu(1, p, ext=five))),
                  underlay(U4A, U4B, 17, udp_to(2152, 2152, G.gtpu(1, p, ext=long_ext)))]
        self.assertEqual(G.gtpu(1, p, ext=long_ext)[12], 5)
        rows, st = self.both('reading-gtpu-ext', records(frames))
        self.assertEqual((len(rows), st['skipped']['tunnel']), (1, 1))
        self.assertEqual((rows[0]['tunnel'], rows[0]['total_bytes']), ('gtpu', str(len(p))))

    def test_reading_mpls_carrier_is_the_last_ip_header(self):
        # "the IP header that carries its innermost tunnel": the last IP header before
        # it, in its frame or an outer one. GRE -> MPLS: the GRE's; VXLAN -> Ethernet ->
        # MPLS: the VXLAN's (the inner Ethernet frame is carried by it); only MPLS on
        # the captured link itself has none (test_mpls_stacks)
        conv = udp_conv('10.19.0.1', '10.19.0.2', n=1)
        frames = []
        for up, p in conv:
            a, b = (U4A, U4B) if up else (U4B, U4A)
            frames.append(underlay(a, b, 17, udp_to(4789, 4789, G.vxlan(4, G.ether_tagged(G.mpls([55], p), 0x8847)))))
            frames.append(underlay(a, b, 47, G.gre(0x8847, G.mpls([66], p))))
        rows, _ = self.both('reading-mpls-carrier', records(frames))
        r = self.one(rows, tunnel='vxlan+mpls')
        self.assertEqual((r['tunnel_src_ip'], r['tunnel_dst_ip'], r['receiving_tunnel_id']), (U4A, U4B, '55'))
        r = self.one(rows, tunnel='gre+mpls')
        self.assertEqual((r['tunnel_src_ip'], r['tunnel_dst_ip'], r['receiving_tunnel_id']), (U4A, U4B, '66'))

    def test_reading_gre_order_of_checks(self):
        # an unknown protocol type is "not a tunnel" whatever the version or flags
        # (version 0 with routing, version 3): the damage rules are a tunnel header's;
        # with a known protocol type, version 3 is damage
        p = G.ipv4_packet('10.20.0.1', '10.20.0.2', 17, G.udp(1, 2))
        frames = [underlay(U4A, U4B, 47, G.gre(0x883e, b'\x00' * 4 + p, routing=True)),
                  underlay(U4A, '192.0.2.99', 47, G.gre(0x883e, p, version=3)),
                  underlay(U4A, '192.0.2.98', 47, G.gre(0x0800, p, version=3))]
        rows, st = self.both('reading-gre-order', records(frames))
        self.assertEqual([(r['dst_ip'], r['ip_protocol'], r['tunnel']) for r in rows],
                         [(U4B, '47', '-'), ('192.0.2.99', '47', '-')])
        self.assertEqual(st['skipped']['tunnel'], 1)

    def test_reading_a_later_fragment_takes_the_first_fragments_key(self):
        # METERING.md 1: a later fragment is given the flow key and direction of the
        # first fragment with the same VLAN IDs, addresses, protocol, identification,
        # and the same tunnels and tunnel key: in the same VNI it joins the first
        # fragment's flow; in another VNI (another tenant's datagram with the same ID)
        # it does not, and keeps ports 0
        data = G.udp(1000, 2000, b'd' * 32)
        first = G.ipv4_packet('10.21.0.1', '10.21.0.2', 17, data[:16], ident=9, frag=0x2000, total_length=36)
        later = G.ipv4_packet('10.21.0.1', '10.21.0.2', 17, data[16:], ident=9, frag=2)
        for vni, want in ((1, [('1000', '2', '1')]), (2, [('1000', '1', '1'), ('0', '1', '2')])):
            frames = [underlay(U4A, U4B, 17, udp_to(4789, 4789, G.vxlan(1, eth_of(first)))),
                      underlay(U4A, U4B, 17, udp_to(4789, 4789, G.vxlan(vni, eth_of(later))))]
            rows, _ = self.both('reading-frag-key-%d' % vni, records(frames))
            self.assertEqual(sorted((r['src_port'], r['packets_numbers'], r['receiving_tunnel_id']) for r in rows),
                             sorted(want), 'later fragment in VNI %d' % vni)

    # ---- the same headers from scapy ----------------------------------------------------

    @unittest.skipUnless(importlib.util.find_spec('scapy'), 'python3-scapy is not installed')
    def test_scapy_built_tunnels(self):
        """The headers as scapy builds them (another implementation of the RFCs than
        pcapgen's): each is one flow of the inner conversation, its identifier read."""
        import logging
        logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
        from scapy.layers.l2 import Ether, Dot1Q, GRE
        from scapy.layers.inet import IP, UDP, TCP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.vxlan import VXLAN
        from scapy.contrib.geneve import GENEVE
        from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer
        from scapy.contrib.mpls import MPLS
        from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
        # fixed MAC addresses: scapy would otherwise look the destination up (ARP on
        # the host's network, and a timeout)
        E = lambda **kw: Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02', **kw)  # noqa: E731
        inner = lambda up: (IP(src='10.20.0.1', dst='10.20.0.2') / TCP(sport=5555, dport=80, flags='S')) if up \
            else (IP(src='10.20.0.2', dst='10.20.0.1') / TCP(sport=80, dport=5555, flags='SA'))  # noqa: E731
        out = lambda up: IP(src=U4A, dst=U4B) if up else IP(src=U4B, dst=U4A)  # noqa: E731
        cases = [
            ('vxlan', lambda up: E() / out(up) / UDP(sport=1, dport=4789) / VXLAN(vni=321) / E() / inner(up), 14, 'vxlan', 321),
            ('vxlan-vlan', lambda up: E() / Dot1Q(vlan=5) / out(up) / UDP(sport=1, dport=8472) / VXLAN(vni=1) / E() / Dot1Q(vlan=6) / inner(up), 18, 'vxlan', 1),
            ('geneve', lambda up: E() / out(up) / UDP(sport=1, dport=6081) / GENEVE(vni=654, proto=0x6558) / E() / inner(up), 14, 'geneve', 654),
            ('gre-key', lambda up: E() / out(up) / GRE(key_present=1, key=987, chksum_present=1, seqnum_present=1, sequence_number=3, proto=0x0800) / inner(up), 0, 'gre', 987),
            ('gretap', lambda up: E() / out(up) / GRE(proto=0x6558) / E() / inner(up), 14, 'gre', '-'),
            ('gtpu', lambda up: E() / out(up) / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=11 if up else 22, gtp_type=255) / inner(up), 0, 'gtpu', None),
            ('gtpu-pdu', lambda up: E() / out(up) / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=11 if up else 22, gtp_type=255, E=1, next_ex=0x85) / GTPPDUSessionContainer(type=1 if up else 0, QFI=9) / inner(up), 0, 'gtpu', None),
            ('mpls', lambda up: E(type=0x8847) / MPLS(label=70, s=0) / MPLS(label=71, s=1) / inner(up), 0, 'mpls', 71),
            ('erspan2', lambda up: E() / out(up) / GRE(seqnum_present=1, proto=0x88be) / ERSPAN_II(ver=1, session_id=300) / E() / inner(up), 14, 'erspan', 300),
            ('erspan3', lambda up: E() / out(up) / GRE(seqnum_present=1, proto=0x22eb) / ERSPAN_III(session_id=301) / E() / inner(up), 14, 'erspan', 301),
            ('ipip6', lambda up: E() / (IPv6(src=U6A, dst=U6B) if up else IPv6(src=U6B, dst=U6A)) / inner(up), 0, 'ipip', '-'),
        ]
        for name, build, extra, kinds, ident in cases:
            with self.subTest(name):
                try:
                    pkts = [bytes(build(up)) for up in (True, False)]
                except Exception as e:   # a field name of another scapy version
                    self.fail('scapy could not build %s: %s' % (name, e))
                rows, _ = self.both('scapy-' + name, records(pkts))
                self.assertEqual(len(rows), 1, name)
                r = rows[0]
                self.assertEqual((r['src_ip'], r['src_port'], r['dst_port'], r['tunnel']), ('10.20.0.1', '5555', '80', kinds))
                self.assertEqual(r['total_bytes'], str(2 * (40 + extra)))
                rx, tx = (11, 22) if ident is None else (ident, ident)
                self.assertEqual((r['receiving_tunnel_id'], r['sending_tunnel_id']), (str(rx), str(tx)))


if __name__ == '__main__':
    unittest.main()
