"""Small pcap writers for the command-line tests (standard library only)."""

import struct

NS = 10 ** 9


def pcap_header(linktype=1, snaplen=65535, nano=True):
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    return struct.pack('<IHHiIII', magic, 2, 4, 0, 0, snaplen, linktype)


def record(ts_ns, frame, orig_len=None, nano=True):
    sec, frac = divmod(ts_ns, NS)
    if not nano:
        frac //= 1000
    return struct.pack('<IIII', sec, frac, len(frame),
                       len(frame) if orig_len is None else orig_len) + frame


def ip4(text):
    return bytes(int(x) for x in text.split('.'))


def checksumless_ipv4(src, dst, proto, payload, ident=1):
    return struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                       ip4(src), ip4(dst)) + payload


def tcp(sport, dport, flags, payload=b''):
    return struct.pack('>HHIIBBHHH', sport, dport, 1, 1, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload=b''):
    return struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload


def ether(payload, ethertype=0x0800):
    return b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02' + struct.pack('>H', ethertype) + payload


SYN, ACK, FIN, PSH, RST = 0x02, 0x10, 0x01, 0x08, 0x04


def tcp_conversation(t0_ns=1_600_000_000 * NS, cport=40000):
    """A complete HTTP exchange: 8 frames, client 10.0.0.2, server 10.0.0.1:80."""
    c, s = '10.0.0.2', '10.0.0.1'
    steps = [
        (c, s, SYN, b''), (s, c, SYN | ACK, b''), (c, s, ACK, b''),
        (c, s, PSH | ACK, b'GET / HTTP/1.1\r\n\r\n'),
        (s, c, PSH | ACK, b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
        (c, s, FIN | ACK, b''), (s, c, FIN | ACK, b''), (c, s, ACK, b''),
    ]
    out = []
    for i, (src, dst, flags, data) in enumerate(steps):
        sp, dp = (cport, 80) if src == c else (80, cport)
        frame = ether(checksumless_ipv4(src, dst, 6, tcp(sp, dp, flags, data)))
        out.append((t0_ns + i * 1_000_000, frame))
    return out


def write(path, records, linktype=1, tail=b''):
    with open(path, 'wb') as f:
        f.write(pcap_header(linktype))
        for ts, frame in records:
            f.write(record(ts, frame))
        f.write(tail)


# ---- pcapng ------------------------------------------------------------------
# Every writer takes the section's byte order: '<' little-endian, '>' big-endian.

def _block(btype, body, order='<'):
    body += b'\x00' * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(order + 'II', btype, n) + body + struct.pack(order + 'I', n)


def _option(code, value, order='<'):
    return struct.pack(order + 'HH', code, len(value)) + value + b'\x00' * (-len(value) % 4)


def shb(order='<', major=1, minor=0):
    return _block(0x0A0D0D0A, struct.pack(order + 'IHHq', 0x1A2B3C4D, major, minor, -1), order)


def idb(linktype=1, snaplen=65535, tsresol=None, name=None, desc=None, tsoffset=None, order='<'):
    """An Interface Description Block; name and desc are str or bytes (if_name, if_description)."""
    opts = b''
    for code, text in ((2, name), (3, desc)):
        if text is not None:
            opts += _option(code, text.encode() if isinstance(text, str) else text, order)
    if tsresol is not None:
        opts += _option(9, bytes([tsresol]), order)
    if tsoffset is not None:
        opts += _option(14, struct.pack(order + 'q', tsoffset), order)
    if opts:
        opts += struct.pack(order + 'HH', 0, 0)
    return _block(1, struct.pack(order + 'HHI', linktype, 0, snaplen) + opts, order)


def epb(iface, ts_units, frame, orig_len=None, order='<'):
    return _block(6, struct.pack(order + 'IIIII', iface, ts_units >> 32, ts_units & 0xffffffff, len(frame),
                                 len(frame) if orig_len is None else orig_len) + frame, order)


def spb(frame, orig_len=None, order='<'):
    """A Simple Packet Block: interface 0 of its section, no time."""
    return _block(3, struct.pack(order + 'I', len(frame) if orig_len is None else orig_len) + frame, order)


def pb(iface, ts_units, frame, order='<'):
    """The obsolete Packet Block (16-bit interface, drops count)."""
    return _block(2, struct.pack(order + 'HHIIII', iface, 0, ts_units >> 32, ts_units & 0xffffffff, len(frame),
                                 len(frame)) + frame, order)


def sll(payload, ethertype=0x0800):
    """A Linux cooked (SLL) header: incoming, Ethernet, 6-byte address."""
    return struct.pack('>HHH8sH', 0, 1, 6, b'\x02\x00\x00\x00\x00\x01\x00\x00', ethertype) + payload


def sll2(payload, ethertype=0x0800, ifindex=2):
    """A Linux cooked v2 (SLL2) header."""
    return struct.pack('>HHIHBB8s', ethertype, 0, ifindex, 1, 0, 6, b'\x02\x00\x00\x00\x00\x01\x00\x00') + payload


def raw_block(btype, body):
    return _block(btype, body)


def many_flows(n_records, t0_ns=1_600_000_000 * NS, seed=1):
    """A time-ordered capture of interleaved TCP and UDP flows with payloads of every
    size (some timestamps equal): n_records frames, about 800 bytes each."""
    import random
    rnd = random.Random(seed)
    out, t = [], t0_ns
    flows = [('10.1.%d.%d' % (i // 250, i % 250 + 1), 20000 + i, rnd.choice((6, 17))) for i in range(300)]
    for _ in range(n_records):
        client, cport, proto = rnd.choice(flows)
        to_server = rnd.random() < 0.6
        src, dst = (client, '10.9.0.1') if to_server else ('10.9.0.1', client)
        sp, dp = (cport, 443) if to_server else (443, cport)
        data = bytes(rnd.getrandbits(8) for _ in range(8)) * rnd.randrange(0, 180)
        l4 = tcp(sp, dp, ACK | PSH, data) if proto == 6 else udp(sp, dp, data)
        out.append((t, ether(checksumless_ipv4(src, dst, proto, l4))))
        t += rnd.choice((0, 1, 1000, 37000, 250000, 3_000_000))
    return out


# ---- finer packets (the CIC schemas' tests: sequence numbers, windows, options) ----

URG, ECE, CWR = 0x20, 0x40, 0x80


def tcp_segment(sport, dport, flags, payload=b'', seq=1, ack=1, window=65535, options=b'', urgent=0):
    """A TCP header with the given sequence, acknowledgement, window and options (a
    multiple of 4 bytes: data offset = 5 + len(options) / 4), then the payload."""
    assert len(options) % 4 == 0 and len(options) <= 40, len(options)
    offset = 5 + len(options) // 4
    return struct.pack('>HHIIBBHHH', sport, dport, seq, ack, offset << 4, flags, window, 0, urgent) \
        + options + payload


def ipv4_packet(src, dst, proto, payload, ident=1, total_length=None, options=b'', frag=0):
    """An IPv4 header (IHL = 5 + len(options) / 4) and payload. total_length: the field's
    value (default: the true length; 0 for a TSO super-frame). frag: the flags and
    fragment offset field (0x2000 = MF; offset in 8-byte units)."""
    assert len(options) % 4 == 0, len(options)
    ihl = 5 + len(options) // 4
    if total_length is None:
        total_length = ihl * 4 + len(payload)
    return struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0, total_length, ident, frag, 64, proto, 0,
                       ip4(src), ip4(dst)) + options + payload


def ipv6_packet(src, dst, next_header, payload):
    """An IPv6 header; payload holds any extension headers, next_header names the first."""
    import ipaddress
    return struct.pack('>IHBB', 6 << 28, len(payload), next_header, 64) \
        + ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + payload


def icmp_message(icmp_type, code, data=b''):
    """An ICMP or ICMPv6 message (checksum 0)."""
    return struct.pack('>BBH', icmp_type, code, 0) + data


# ---- tunnels (docs/METERING.md 1.1; the tunnels' tests) ------------------------------

def ether_tagged(payload, ethertype=0x0800, vlans=(), dst=b'\x02\x00\x00\x00\x00\x01',
                 src=b'\x02\x00\x00\x00\x00\x02'):
    """An Ethernet frame with 802.1Q tags (the first 0x88a8 when there are two)."""
    out = dst + src
    for i, vid in enumerate(vlans):
        tpid = 0x88a8 if (i == 0 and len(vlans) > 1) else 0x8100
        out += struct.pack('>HH', tpid, vid)
    return out + struct.pack('>H', ethertype) + payload


def vxlan(vni, frame, flags=0x08):
    """A VXLAN header (RFC 7348; I flag 0x08) and the Ethernet frame it carries."""
    return struct.pack('>BBHI', flags, 0, 0, vni << 8) + frame


def geneve(vni, ptype, payload, options=b'', version=0):
    """A Geneve header (RFC 8926): options a multiple of 4 bytes."""
    assert len(options) % 4 == 0
    return struct.pack('>BBHI', (version << 6) | (len(options) // 4), 0, ptype, vni << 8) + options + payload


def gre(ptype, payload, key=None, csum=False, seq=None, version=0, routing=False):
    """A GRE header (RFC 2784/2890): checksum, key, sequence number when given."""
    flags = (0x8000 if csum else 0) | (0x4000 if routing else 0) | (0x2000 if key is not None else 0) \
        | (0x1000 if seq is not None else 0) | version
    h = struct.pack('>HH', flags, ptype)
    if csum:
        h += b'\x00\x00\x00\x00'
    if key is not None:
        h += struct.pack('>I', key)
    if seq is not None:
        h += struct.pack('>I', seq)
    return h + payload


def erspan2(session, frame, vlan=0):
    """An ERSPAN type II header (version 1), then the mirrored Ethernet frame."""
    return struct.pack('>HHI', 0x1000 | vlan, session & 0x3ff, 0) + frame


def erspan3(session, payload, frame_type=0, platform=False):
    """An ERSPAN type III header (version 2), the platform sub-header when asked, then
    the mirrored frame (frame type 0: Ethernet, 2: an IP packet)."""
    w = (frame_type << 10) | (1 if platform else 0)
    h = struct.pack('>HHIHH', 0x2000, session & 0x3ff, 0x12345678, 0, w)
    if platform:
        h += struct.pack('>II', 0x0a000000, 0x0b0c0d0e)
    return h + payload


def gtpu(teid, payload, msg=255, ext=(), seq=None):
    """A GTP-U header (version 1, PT set). ext: extension headers as (type, content):
    each is padded to a multiple of 4 bytes with its length byte first and the next
    type last. seq: a sequence number (S flag)."""
    flags = 0x30
    opt = b''
    if ext or seq is not None:
        flags |= (0x04 if ext else 0) | (0x02 if seq is not None else 0)
        opt = struct.pack('>HBB', seq or 0, 0, ext[0][0] if ext else 0)
        for i, (_t, content) in enumerate(ext):
            nxt = ext[i + 1][0] if i + 1 < len(ext) else 0
            units = (len(content) + 2 + 3) // 4
            opt += bytes([units]) + content + b'\x00' * (units * 4 - 2 - len(content)) + bytes([nxt])
    return struct.pack('>BBHI', flags, msg, len(opt) + len(payload), teid) + opt + payload


def pdu_session_container(qfi=9, uplink=True):
    """The content of a PDU session container (extension type 0x85, TS 38.415)."""
    return bytes([0x10 if uplink else 0x00, qfi & 0x3f])


def mpls(labels, payload, control_word=False, ttl=64):
    """An MPLS label stack (the last entry bottom of stack), a pseudowire control word
    when asked, then the payload."""
    out = b''
    for i, lab in enumerate(labels):
        out += struct.pack('>I', (lab << 12) | (0x100 if i == len(labels) - 1 else 0) | ttl)
    return out + (b'\x00\x00\x00\x00' if control_word else b'') + payload


def write_records(path, records, linktype=1):
    """records: (ts_ns, frame) or (ts_ns, frame, captured bytes): a record cut to that
    many bytes keeps the whole frame's original length."""
    with open(path, 'wb') as f:
        f.write(pcap_header(linktype))
        for r in records:
            ts, frame = r[0], r[1]
            cap = r[2] if len(r) > 2 else len(frame)
            f.write(record(ts, frame[:cap], orig_len=len(frame)))
