"""pcapng read by the meter's own reader (user/capture/pcapng.c): each interface with
its own link type, several sections of either byte order, each interface's name in the
`interface` column and in the flow key (docs/METERING.md, 0 and 2; docs/COLUMNS.md,
`interface`). Every expectation is computed here from the packets the test writes (or,
for the shared captures, by a small pcapng reader of the test's own), never from an
earlier output of the meter.

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_pcapng.py
"""

import gzip
import os
import re
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as G  # noqa: E402
from test_cli import Meter, BIN, EXIT_INPUT, EXIT_DAMAGED  # noqa: E402

T0 = 1_600_000_000  # seconds
PCAPS = os.environ.get('PCAPS', os.path.join(os.path.dirname(__file__), '../../../shared/pcaps'))


def ip_udp(src, sport, payload_len, dst='10.9.0.1', dport=7000):
    return G.checksumless_ipv4(src, dst, 17, G.udp(sport, dport, b'u' * payload_len))


def framed(link, ip):
    """The IP packet behind the link header of LINKTYPE link."""
    if link == 1:
        return G.ether(ip)
    if link == 113:
        return G.sll(ip)
    if link == 276:
        return G.sll2(ip)
    if link == 0:
        return struct.pack('<I', 2) + ip	# BSD loopback: AF_INET in the writer's order
    return ip				# 101: raw IP


def fmt_time(ns):
    """The first_packet_time column: seconds since 1970 with nine decimals."""
    return '%d.%09d' % divmod(ns, 10 ** 9)


class Pcapng(Meter):
    def meter(self, name, data, *args, status=0):
        p = self.path(name)
        with open(p, 'wb') as f:
            f.write(data)
        out = self.path(name + '.csv')
        r = self.run_meter('-q', '--schema', 'extended', '-r', p, '-o', out, *args)
        self.assertEqual(r.returncode, status, r.stderr)
        self.assertNotIn('Sanitizer', r.stderr)
        return (self.rows(out) if os.path.exists(out) else []), r

    def by_iface(self, rows):
        out = {}
        for row in rows:
            out.setdefault(row['interface'], []).append(row)
        return out

    # -- link types ------------------------------------------------------------
    def test_mixed_link_types_in_one_section(self):
        # (link type, if_name, if_description, the column's text by docs/COLUMNS.md)
        ifaces = [(1, 'eth0', None, 'eth0'), (101, 'tun0', 'VPN tunnel', 'tun0 (VPN tunnel)'),
                  (276, None, 'any interface', 'any interface'), (113, None, None, '#3'), (0, None, None, '#4'),
                  (1, 'same', 'same', 'same')]
        data = G.shb() + b''.join(G.idb(lt, name=n, desc=d) for lt, n, d, _ in ifaces)
        want = {}
        t = T0 * 10 ** 6
        for k in range(3):	# interleaved: three packets on each interface
            for i, (lt, _, _, text) in enumerate(ifaces):
                frame = framed(lt, ip_udp('10.0.%d.1' % i, 1000 + i, 10 * i + k))
                data += G.epb(i, t, frame)
                w = want.setdefault(text, {'packets': 0, 'bytes': 0, 'max': 0, 'first': t * 1000})
                w['packets'] += 1
                w['bytes'] += len(frame)
                w['max'] = max(w['max'], len(frame))
                t += 1000
        rows, r = self.meter('mixed.pcapng', data)
        got = self.by_iface(rows)
        self.assertEqual(sorted(got), sorted(want))
        for text, w in want.items():
            self.assertEqual(len(got[text]), 1, text)
            row = got[text][0]
            self.assertEqual((int(row['packets_numbers']), int(row['total_bytes']), int(row['max_packets_len']),
                              row['first_packet_time']),
                             (w['packets'], w['bytes'], w['max'], fmt_time(w['first'])), text)

    def test_libpcaps_refusal_reads_now(self):
        # libpcap: "an interface has a type 101 different from the type of the first interface"
        data = (G.shb() + G.idb(1) + G.idb(101) + G.epb(0, T0 * 10 ** 6, G.ether(ip_udp('10.0.0.1', 1, 5))) +
                G.epb(1, T0 * 10 ** 6 + 1, ip_udp('10.0.0.2', 2, 5)))
        rows, r = self.meter('t1-101.pcapng', data)
        self.assertEqual(sorted(row['interface'] for row in rows), ['#1', '-'])

    def test_an_unreadable_later_link_type_is_skipped_and_named(self):
        data = (G.shb() + G.idb(1, name='eth0') + G.idb(195, name='wpan0') +
                G.epb(0, T0 * 10 ** 6, G.ether(ip_udp('10.0.0.1', 1, 5))) + G.epb(1, T0 * 10 ** 6 + 1, b'\x41' * 30) +
                G.epb(1, T0 * 10 ** 6 + 2, b'\x41' * 30))
        p = self.path('wpan.pcapng')
        with open(p, 'wb') as f:
            f.write(data)
        js = self.path('wpan.json')
        r = self.run_meter('--schema', 'extended', '-r', p, '-o', self.path('wpan.csv'), '--stats-json', js)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = self.stats(js)
        self.assertEqual((s['packets'], s['metered'], s['skipped']['not_ip']), (3, 1, 2))
        notes = [ln for ln in r.stderr.splitlines() if 'link type 195' in ln]
        self.assertEqual(len(notes), 1, r.stderr)
        self.assertIn('interface 1 (wpan0)', notes[0])

    def test_an_unreadable_first_link_type_is_refused(self):
        data = G.shb() + G.idb(195) + G.idb(1) + G.epb(1, T0 * 10 ** 6, G.ether(ip_udp('10.0.0.1', 1, 5)))
        rows, r = self.meter('first195.pcapng', data, status=EXIT_INPUT)
        self.assertIn('unsupported link type 195', r.stderr)

    # -- interfaces in the key -------------------------------------------------
    def test_the_same_five_tuple_on_two_interfaces_is_two_flows(self):
        data = G.shb() + G.idb(1, name='eth0') + G.idb(1, name='eth1')
        t = T0 * 10 ** 6
        for k in range(6):
            data += G.epb(k % 2, t + k, G.ether(ip_udp('10.0.0.1', 4000, k)))
        rows, r = self.meter('two.pcapng', data)
        got = self.by_iface(rows)
        self.assertEqual(sorted(got), ['eth0', 'eth1'])
        self.assertEqual([int(got[n][0]['packets_numbers']) for n in ('eth0', 'eth1')], [3, 3])
        self.assertEqual(got['eth0'][0]['src_port'], got['eth1'][0]['src_port'])

    def test_sections_of_both_byte_orders_with_their_own_interfaces(self):
        t = T0 * 10 ** 6
        a = (G.shb('<') + G.idb(1, name='a0') + G.idb(101, name='a1') +
             G.epb(0, t, G.ether(ip_udp('10.0.0.1', 1, 1))) + G.epb(1, t + 1, ip_udp('10.0.0.2', 2, 2)))
        # the second section numbers its interfaces anew: its 1 is the first's 0 by name
        b = (G.shb('>') + G.idb(101, name='b0', order='>') + G.idb(1, name='a0', order='>') +
             G.epb(1, t + 2, G.ether(ip_udp('10.0.0.1', 1, 3)), order='>') +
             G.epb(0, t + 3, ip_udp('10.0.0.2', 2, 4), order='>') +
             G.pb(1, t + 4, G.ether(ip_udp('10.0.0.1', 1, 5)), order='>'))
        c = G.shb('<') + G.idb(113) + G.epb(0, t + 5, G.sll(ip_udp('10.0.0.3', 3, 6)))
        rows, r = self.meter('sections.pcapng', a + b + c)
        got = self.by_iface(rows)
        self.assertEqual(sorted(got), ['-', 'a0', 'a1', 'b0'])
        self.assertEqual({n: [int(x['packets_numbers']) for x in v] for n, v in got.items()},
                         {'a0': [3], 'a1': [1], 'b0': [1], '-': [1]})
        self.assertEqual(got['a0'][0]['last_packet_time'], fmt_time((t + 4) * 1000))

    def test_unnamed_first_interfaces_are_one_as_a_classic_pcaps(self):
        # a section's unnamed interface 0 is id 0, column '-': one flow over both sections
        t = T0 * 10 ** 6
        data = (G.shb() + G.idb(1) + G.epb(0, t, G.ether(ip_udp('10.0.0.1', 1, 1))) +
                G.shb('>') + G.idb(101, order='>') + G.epb(0, t + 1, ip_udp('10.0.0.1', 1, 2), order='>'))
        rows, r = self.meter('unnamed.pcapng', data)
        self.assertEqual([(x['interface'], x['packets_numbers']) for x in rows], [('-', '2')])

    def test_names_are_cleaned_for_the_csv(self):
        data = (G.shb() + G.idb(1, name=b'a,b"c\x01d\xffe', desc=b'x' * 300) +
                G.epb(0, T0 * 10 ** 6, G.ether(ip_udp('10.0.0.1', 1, 1))))
        rows, r = self.meter('names.pcapng', data)
        text = 'a_b_c_d_e (' + 'x' * (111 - len('a_b_c_d_e (') - 1) + ')'
        self.assertEqual(len(text), 111)
        self.assertEqual([x['interface'] for x in rows], [text])

    # -- blocks and times ------------------------------------------------------
    def test_simple_packet_blocks(self):
        # no time (0, plus the interface's offset); as many bytes as the snapshot length holds
        frames = [G.ether(ip_udp('10.0.0.1', 7, n)) for n in (10, 100, 300)]
        data = G.shb() + G.idb(1, snaplen=64, tsoffset=T0) + b''.join(G.spb(f[:64], len(f)) for f in frames)
        rows, r = self.meter('spb.pcapng', data)
        self.assertEqual(len(rows), 1)
        self.assertEqual((rows[0]['packets_numbers'], rows[0]['total_bytes'], rows[0]['max_packets_len'],
                          rows[0]['first_packet_time']),
                         ('3', str(sum(len(f) for f in frames)), str(len(frames[-1])), fmt_time(T0 * 10 ** 9)))

    def test_time_resolutions_and_offsets(self):
        # (if_tsresol, if_tsoffset, the time in the interface's units) -> ns, exactly
        cases = [(None, None, T0 * 10 ** 6 + 123456, T0 * 10 ** 9 + 123456000),
                 (9, None, T0 * 10 ** 9 + 987654321, T0 * 10 ** 9 + 987654321),
                 (3, -3600, (T0 + 3600) * 1000 + 5, T0 * 10 ** 9 + 5000000),
                 (0x80 | 20, 7200, ((T0 - 7200) << 20) + (1 << 19) + 1, T0 * 10 ** 9 + 500000000 + 10 ** 9 // 2 ** 20),
                 (0, -T0, 2 * T0, T0 * 10 ** 9),
                 (6, -(T0 + 10), 5, 0)]	# before 1970: 0
        data = G.shb()
        for i, (res, off, _, _) in enumerate(cases):
            data += G.idb(1, name='if%d' % i, tsresol=res, tsoffset=off)
        for i, (_, _, units, _) in enumerate(cases):
            data += G.epb(i, units, G.ether(ip_udp('10.0.0.1', 100 + i, 1)))
        rows, r = self.meter('times.pcapng', data)
        got = {x['interface']: x['first_packet_time'] for x in rows}
        self.assertEqual(got, {'if%d' % i: fmt_time(ns) for i, (_, _, _, ns) in enumerate(cases)})

    # -- damage: libpcap's messages, the flows kept --------------------------------
    def test_damage_keeps_libpcaps_words(self):
        ok = G.shb() + G.idb(1) + G.epb(0, T0 * 10 ** 6, G.ether(ip_udp('10.0.0.1', 1, 1)))
        bad_trailer = bytearray(G.epb(0, T0 * 10 ** 6 + 1, G.ether(ip_udp('10.0.0.1', 1, 2))))
        bad_trailer[-4:] = struct.pack('<I', 8)
        cases = [
            (struct.pack('<II', 6, 7) + b'\0' * 8, 'block in pcapng dump file has a length of 7 < 12'),
            (struct.pack('<II', 6, 14) + b'\0' * 8, 'block in pcapng dump file has a length of 14 that is not a multiple of 4'),
            (struct.pack('<II', 6, 0x7ffffff0), 'pcapng block size 2147483632 > maximum 16777216'),
            (G.epb(3, 0, b'x'), "a packet arrived on interface 3, but there's no Interface Description Block"),
            (bytes(bad_trailer), "block total length in header and trailer don't match"),
            (G.epb(0, 0, b'x' * 40)[:30], 'truncated pcapng dump file; tried to read 64 bytes, only got 22'),
            (G.idb(1, tsresol=20), 'Interface Description Block if_tsresol option resolution 10^-20 is too high'),
            (G.raw_block(1, struct.pack('<HHIHH4x', 1, 0, 65535, 14, 4)),
             'Interface Description Block has if_tsoffset option with length 4 != 8'),
            (G.raw_block(1, struct.pack('<HHIHHB3xHHB3x', 1, 0, 65535, 9, 1, 6, 9, 1, 9)),
             'Interface Description Block has more than one if_tsresol option'),
            (G.shb(major=2), 'unknown pcapng savefile major version number 2'),
            (G.raw_block(1, b'\0' * 2), 'block of type 1 in pcapng dump file is too short'),
        ]
        for i, (tail, words) in enumerate(cases):
            rows, r = self.meter('bad%d.pcapng' % i, ok + tail, status=EXIT_DAMAGED)
            self.assertIn('damaged at byte %d: %s' % (len(ok), words), r.stderr, i)
            self.assertEqual([x['packets_numbers'] for x in rows], ['1'], i)

    def test_cannot_be_read(self):
        cases = [(G.shb()[:10], 'not a pcap or pcapng capture (unknown file format)'),
                 (G.shb(minor=1) + G.idb(), 'unsupported pcapng savefile version 1.1'),
                 (G.shb(), 'the capture file has no Interface Description Blocks'),
                 (G.shb() + G.epb(0, 0, b'x'), 'a packet block before any Interface Description Blocks'),
                 (G.shb() + G.idb()[:10], 'not a complete capture: truncated pcapng dump file')]
        for i, (data, words) in enumerate(cases):
            rows, r = self.meter('open%d.pcapng' % i, data, status=EXIT_INPUT)
            self.assertIn(words, r.stderr, i)

    # -- file, pipe, gzip; pieces; the kernel ---------------------------------------
    def crafted(self):
        t = T0 * 10 ** 6
        mixed = G.shb() + G.idb(1, name='eth0') + G.idb(101, name='tun0', desc='vpn') + G.idb(276)
        for k in range(60):
            i = k % 3
            mixed += G.epb(i, t + k * 3000, framed((1, 101, 276)[i], ip_udp('10.0.%d.%d' % (i, k % 7), 5000 + k % 5, k)))
        two = (G.shb('>') + G.idb(1, name='x', order='>') + G.epb(0, t, G.ether(ip_udp('10.0.0.1', 1, 1)), order='>') +
               G.shb('<') + G.idb(113, desc='y') + G.spb(G.sll(ip_udp('10.0.0.1', 1, 2))))
        return {'mixed': mixed, 'two': two, 'cut': mixed[:len(mixed) - 50], 'badlen': mixed + struct.pack('<II', 6, 13)}

    def test_file_pipe_and_gzip_are_the_same(self):
        for name, data in self.crafted().items():
            outs = []
            p = self.path(name + '.pcapng')
            with open(p, 'wb') as f:
                f.write(data)
            with open(p + '.gz', 'wb') as f:
                f.write(gzip.compress(data))
            for how in ('file', 'pipe', 'gzip'):
                csv = self.path('%s-%s.csv' % (name, how))
                src = {'file': p, 'pipe': '-', 'gzip': p + '.gz'}[how]
                r = subprocess.run([BIN, '-q', '--schema', 'extended', '-r', src, '-o', csv],
                                   input=data if how == 'pipe' else None, capture_output=True, timeout=60)
                with open(csv, 'rb') as f:
                    rows = f.read()
                err = r.stderr.replace((p + '.gz').encode(), b'-').replace(p.encode(), b'-')
                err = re.sub(rb'damaged at byte \d+( of the compressed file)?', b'damaged at byte N', err)
                outs.append((r.returncode, rows, err))
            self.assertEqual(outs[0], outs[1], name)
            self.assertEqual(outs[0], outs[2], name)
            self.assertGreater(outs[0][1].count(b'\n'), 1, name)

    def test_a_capture_in_pieces_is_the_whole(self):
        # as editcap -c or tcpdump -C write pcapng: every piece repeats the section and interfaces
        t = T0 * 10 ** 6
        head = G.shb() + G.idb(1, name='eth0') + G.idb(101, name='tun0')
        blocks = [G.epb(k % 2, t + k * 200000, framed((1, 101)[k % 2], ip_udp('10.0.0.%d' % (k % 3 + 1), 9, k)))
                  for k in range(90)]
        whole = self.path('whole.pcapng')
        with open(whole, 'wb') as f:
            f.write(head + b''.join(blocks))
        pieces = []
        for i in range(0, 90, 25):
            pieces.append(self.path('piece%d.pcapng' % i))
            with open(pieces[-1], 'wb') as f:
                f.write(head + b''.join(blocks[i:i + 25]))
        outs = []
        for paths in ([whole], pieces):
            csv = self.path('pieces-%d.csv' % len(outs))
            r = self.run_meter('-q', '--schema', 'extended', *[a for p in paths for a in ('-r', p)], '-o', csv)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(csv) as f:
                outs.append(f.read())
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(sorted({x['interface'] for x in self.rows(self.path('pieces-0.csv'))}), ['eth0', 'tun0'])

    def test_via_xdp_keys_interfaces_as_offline(self):
        for name, data in self.crafted().items():
            if name in ('cut', 'badlen'):
                continue
            p = self.path(name + '-x.pcapng')
            with open(p, 'wb') as f:
                f.write(data)
            outs = []
            for extra in ([], ['--via-xdp']):
                csv = self.path('%s-%d.csv' % (name, len(outs)))
                r = self.run_meter('-q', '--schema', 'extended', '-r', p, *extra, '-o', csv)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(csv) as f:
                    outs.append(f.read())
            self.assertEqual(outs[0], outs[1], name)

    def test_the_reference_agrees(self):
        # tests/ref/afm_ref.py reads pcapng from the docs (METERING.md 0, COLUMNS.md interface)
        ref_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ref')
        files = dict(self.crafted())
        del files['cut'], files['badlen']	# damage: the reference reads what it can, the meter stops
        t = T0 * 10 ** 6
        files['names'] = (G.shb() + G.idb(1, name=b'a,\x01\xc3\xa9\xff', desc='d' * 200) + G.idb(1, name='x', desc='x') +
                          G.idb(101, tsresol=9, tsoffset=-5) + G.epb(0, t, G.ether(ip_udp('10.0.0.1', 1, 1))) +
                          G.epb(1, t, G.ether(ip_udp('10.0.0.1', 1, 2))) +
                          G.epb(2, t * 1000, ip_udp('10.0.0.1', 1, 3)))
        for name, data in files.items():
            p = self.path(name + '-ref.pcapng')
            with open(p, 'wb') as f:
                f.write(data)
            mine, ref = self.path(name + '-mine.csv'), self.path(name + '-ref.csv')
            r = self.run_meter('-q', '--schema', 'extended', '-r', p, '-o', mine)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = subprocess.run([sys.executable, os.path.join(ref_dir, 'afm_ref.py'), '--schema', 'extended', p,
                                '-o', ref], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = subprocess.run([sys.executable, os.path.join(ref_dir, 'compare.py'), ref, mine],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, name + ': ' + r.stdout + r.stderr)

    # -- the shared captures ---------------------------------------------------------
    def test_the_shared_pcapng_captures(self):
        import glob
        caps = sorted(glob.glob(os.path.join(PCAPS, '*.pcapng')))
        self.assertGreaterEqual(len(caps), 2)
        for cap in caps:
            want = packets_by_interface(cap)
            csv = self.path(os.path.basename(cap) + '.csv')
            r = self.run_meter('-q', '--schema', 'extended', '-r', cap, '-o', csv)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = {}
            for row in self.rows(csv):
                got[row['interface']] = got.get(row['interface'], 0) + int(row['packets_numbers'])
            self.assertEqual(got, want, os.path.basename(cap))
        multi = packets_by_interface(os.path.join(PCAPS, 'zeek_pcapng-multi-interface.pcapng'))
        self.assertEqual(sorted(multi), ['\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6} (Ethernet 2)', 'eth0'])


def packets_by_interface(path):
    """The test's own pcapng reading: the interface column's text (docs/COLUMNS.md) -> the
    IPv4/IPv6 packets on it (every packet of these captures is one)."""
    with open(path, 'rb') as f:
        data = f.read()
    pos, order, ifaces, count = 0, '<', [], {}
    while pos + 12 <= len(data):
        btype = struct.unpack('<I', data[pos:pos + 4])[0]
        if btype == 0x0A0D0D0A:
            order = '<' if data[pos + 8:pos + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            ifaces = []
        btype, blen = struct.unpack(order + 'II', data[pos:pos + 8])
        body = data[pos + 8:pos + blen - 4]
        if btype == 1:
            opts, name, desc, o = body[8:], None, None, 0
            while o + 4 <= len(opts):
                code, olen = struct.unpack(order + 'HH', opts[o:o + 4])
                if code == 0:
                    break
                value = opts[o + 4:o + 4 + olen].decode()
                if code == 2 and name is None:
                    name = value
                if code == 3 and desc is None:
                    desc = value
                o += 4 + (olen + 3) // 4 * 4
            if name and desc and name != desc:
                text = '%s (%s)' % (name, desc)
            else:
                text = name or desc or ('#%d' % len(ifaces) if ifaces else '-')
            ifaces.append(text)
        elif btype in (3, 6):
            text = ifaces[0 if btype == 3 else struct.unpack(order + 'I', body[:4])[0]]
            count[text] = count.get(text, 0) + 1
        pos += blen
    return count


if __name__ == '__main__':
    unittest.main()
