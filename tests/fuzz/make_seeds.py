#!/usr/bin/python3
"""Seeds for the fuzzers from the shared captures: the first frames of each capture in
fuzz_packets' record format, a frame of each tunnel kind for fuzz_parse (and as one
fuzz_packets stream), and the first 32 KiB of each capture file, also gzip-, xz- and
zstd-compressed; crafted pcapng files (mixed link types, sections of both byte
orders, named interfaces, SPB and PB, time options) for fuzz_pcapng and fuzz_capture
(read mapped and as a stream); and a few --labels rule files for fuzz_labels.

Usage: make_seeds.py PCAPS_DIR OUT_DIR
"""
import gzip
import lzma
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'cli'))
import pcapgen as G  # noqa: E402

LINKS = {1: 0, 113: 1, 276: 2, 12: 3, 14: 3, 101: 3, 228: 3, 229: 3, 0: 4, 108: 4}


def pcap_frames(path, limit):
    """(link, ts_ns, frame, wire_len) of the first frames of a classic pcap; [] for pcapng."""
    with open(path, 'rb') as f:
        head = f.read(24)
        if len(head) < 24:
            return []
        magic = struct.unpack('<I', head[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            e = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            e = '>'
        else:
            return []
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        link = struct.unpack(e + 'I', head[20:24])[0] & 0xffff
        out = []
        while len(out) < limit:
            rh = f.read(16)
            if len(rh) < 16:
                break
            sec, frac, caplen, wire = struct.unpack(e + 'IIII', rh)
            data = f.read(caplen)
            out.append((LINKS.get(link, 0), sec * 10**9 + frac * (1 if nano else 1000), data, wire))
        return out


def ipv4(proto, src, dst, payload, frag=0):
    return struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def eth(ethertype, payload):
    return b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01' + struct.pack('>H', ethertype) + payload


def udp(sport, dport, payload):
    return struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload


def tunnel_frames():
    """One Ethernet frame of each tunnel kind of docs/METERING.md 1.1, and a nesting."""
    tcp = struct.pack('>HHIIBBHHH', 40000, 80, 1, 2, 0x50, 0x18, 65535, 0, 0) + b'hello'
    inner = ipv4(6, [10, 0, 0, 2], [10, 0, 0, 1], tcp)
    a, b = [192, 168, 1, 1], [192, 168, 1, 2]
    gtp_ext = struct.pack('>BBHIHBB', 0x34, 255, 8 + len(inner), 7, 0, 0, 0x85) + b'\x01\0\0\0' + inner
    return {
        'vxlan': eth(0x0800, ipv4(17, a, b, udp(5, 4789, b'\x08\0\0\0\0\0\x64\0' + eth(0x0800, inner)))),
        'geneve': eth(0x0800, ipv4(17, a, b, udp(5, 6081, b'\x01\0\x65\x58\0\0\x64\0' + b'\0' * 4
                                                   + eth(0x0800, inner)))),
        'gre-key': eth(0x0800, ipv4(47, a, b, b'\xb0\0\x08\0' + b'\0' * 12 + inner)),
        'erspan2': eth(0x0800, ipv4(47, a, b, b'\x10\0\x88\xbe\0\0\0\1' + b'\x10\0\0\x05\0\0\0\0'
                                      + eth(0x0800, inner))),
        'erspan3': eth(0x0800, ipv4(47, a, b, b'\x10\0\x22\xeb\0\0\0\1' + b'\x20\0\0\x05' + b'\0' * 6
                                      + b'\x08\x01' + b'\0' * 8 + inner)),
        'gtpu': eth(0x0800, ipv4(17, a, b, udp(2152, 2152, gtp_ext))),
        'mpls': eth(0x8847, struct.pack('>II', 16 << 12 | 64, 1000 << 12 | 0x100 | 64) + inner),
        'ipip': eth(0x0800, ipv4(4, a, b, inner)),
        'nested': eth(0x0800, ipv4(47, a, b, b'\x20\0\x08\0\0\0\0\5' + ipv4(
            17, [172, 16, 0, 1], [172, 16, 0, 2], udp(5, 4789, b'\x08\0\0\0\0\0\x09\0' + eth(
                0x0800, ipv4(4, [100, 64, 0, 1], [100, 64, 0, 2], inner)))))),
    }


def compressed(data):
    """(extension, bytes) of data in each codec that this machine can make."""
    out = [('.gz', gzip.compress(data)), ('.xz', lzma.compress(data, lzma.FORMAT_XZ))]
    try:
        out.append(('.zst', subprocess.run(['zstd', '-q', '-c', '-'], input=data, capture_output=True,
                                           check=True).stdout))
    except (OSError, subprocess.CalledProcessError):
        pass
    return out


# --labels rule files (docs/COLUMNS.md, "Labels from rules"): every form of each field.
LABEL_SEEDS = {
    'cic.csv': 'start,end,src,dst,port,protocol,label\n'
               '2017-07-07T15:28:00Z,2017-07-07T15:29:00Z,172.16.0.1,192.168.10.50,80,tcp,DDoS\n'
               '2017-07-07T12:00:00-03:00,*,172.16.0.0/12,*,21-22,tcp,Patator\n'
               '*,*,*,*,53,udp,DNS\n',
    'forms.csv': '# comment\r\nstart,end,src,dst,port,protocol,label\r\n\r\n'
                 ' 2020-02-29 23:59:59.123456789+0530 , 2021-01-01 ,2001:db8::/32,::/0,0-65535,ICMPv6,v6 \r\n'
                 '2020-01-01T00:00,*,0.0.0.0/0,10.0.0.0/8,443,6,étiquette\n'
                 '*,2038-01-19T03:14:08z,::ffff:10.0.0.1,fe80::1/128,*,255,x\n',
    'bad.csv': 'start,end,src,dst,port,protocol,label\n*,*,10.0.0.1/8,*,80-22,tcpp,"q"\n',
}


def crafted_pcapng():
    """name -> bytes: pcapng files with what the reader must honour."""
    t = 1_600_000_000 * 10**6

    def ip(i, proto=17):
        l4 = G.udp(1000 + i, 53, b'q' * i) if proto == 17 else G.tcp(2000 + i, 80, G.SYN)
        return G.checksumless_ipv4('10.0.0.%d' % (i % 200 + 1), '10.9.0.1', proto, l4)
    mixed = (G.shb() + G.idb(1, name='eth0') + G.idb(101, name='tun0', desc='VPN') + G.idb(276, desc='any') +
             G.idb(113) + G.epb(0, t, G.ether(ip(1))) + G.epb(1, t + 1, ip(2)) + G.epb(2, t + 2, G.sll2(ip(3))) +
             G.epb(3, t + 3, G.sll(ip(4, 6))) + G.raw_block(5, b'\0' * 16))
    sections = (G.shb('<') + G.idb(1, name='a', tsresol=9) + G.epb(0, t * 1000, G.ether(ip(5))) +
                G.shb('>') + G.idb(101, order='>', tsoffset=-3600) + G.idb(1, order='>', name='b') +
                G.epb(1, t + 7, G.ether(ip(6)), order='>') + G.epb(0, t + 8, ip(7), order='>') +
                G.spb(ip(8), order='>') + G.pb(1, t + 9, G.ether(ip(9)), order='>'))
    options = (G.shb(minor=2) + G.idb(1, snaplen=64, tsresol=0x80 | 20, tsoffset=5, name=b'\xff,"\x01x', desc='d') +
               G.spb(G.ether(ip(10)) + b'z' * 100) + G.epb(0, (t << 20) // 10**6, G.ether(ip(11))[:64], 200))
    return {'mixed.pcapng': mixed, 'sections.pcapng': sections, 'options.pcapng': options}


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out, 'packets'), exist_ok=True)
    os.makedirs(os.path.join(out, 'capture'), exist_ok=True)
    os.makedirs(os.path.join(out, 'labels'), exist_ok=True)
    os.makedirs(os.path.join(out, 'parse'), exist_ok=True)
    # tunnels: fuzz_parse's frames (link 0, details on) and one fuzz_packets stream
    stream = bytearray()
    for name, frame in tunnel_frames().items():
        with open(os.path.join(out, 'parse', name), 'wb') as f:
            f.write(b'\0\1' + frame)
        stream += struct.pack('<BBHH', 0, 2, len(frame), 0) + frame
    with open(os.path.join(out, 'packets', 'tunnels.rec'), 'wb') as f:
        f.write(stream)
    os.makedirs(os.path.join(out, 'pcapng'), exist_ok=True)
    for name, data in crafted_pcapng().items():
        with open(os.path.join(out, 'pcapng', name), 'wb') as f:
            f.write(data)
        for mode in (b'\x00', b'\x81'):	# fuzz_capture: whole (and, by size, mapped or streamed), halves
            for pad in (b'', b'\0\0'):
                with open(os.path.join(out, 'capture', 'crafted-%02x-%d-%s' % (mode[0], len(pad), name)), 'wb') as f:
                    f.write(mode + data + pad)
    for name, text in LABEL_SEEDS.items():
        with open(os.path.join(out, 'labels', name), 'w', encoding='utf-8') as f:
            f.write(text)
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if not name.endswith(('.pcap', '.pcapng')):
            continue
        with open(path, 'rb') as f:
            head = f.read(32768)
        if name.endswith('.pcapng'):
            with open(os.path.join(out, 'pcapng', name), 'wb') as f:
                f.write(head)
        # fuzz_capture's first byte: even, the capture as it is; odd, cut in two halves
        with open(os.path.join(out, 'capture', name), 'wb') as f:
            f.write(b'\x00' + head)
        with open(os.path.join(out, 'capture', name + '.halves'), 'wb') as f:
            f.write(b'\x81' + head)
        # and compressed (the reader knows gzip, zstd and xz by their magic bytes)
        for ext, data in compressed(head):
            with open(os.path.join(out, 'capture', name + ext), 'wb') as f:
                f.write(b'\x00' + data)
        frames = pcap_frames(path, 64)
        if not frames:
            continue
        rec = bytearray()
        prev = frames[0][1]
        for link, ts, data, wire in frames:
            step = max(0, min(255, (ts - prev) // 10**7)) & ~1	# forward steps only
            prev = ts
            data = data[:512]
            rec += struct.pack('<BBHH', link, step, len(data), max(0, min(65535, wire - len(data)))) + data
            if len(rec) > 4000:
                break
        with open(os.path.join(out, 'packets', name + '.rec'), 'wb') as f:
            f.write(rec)


if __name__ == '__main__':
    main()
