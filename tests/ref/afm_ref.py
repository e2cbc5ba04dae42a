#!/usr/bin/python3
"""Independent reference implementation of the app-flow-meter flow metering.

Written only from docs/COLUMNS.md (what every column means) and
docs/METERING.md (the detailed rules), first from the column contract they
define, without looking at the C meter, so that comparing both outputs finds
bugs in either; the CIC schemas from docs/CIC.md alone.  Standard library only.

Usage:
  afm_ref.py CAPTURE [--idle-timeout S] [--active-timeout S]
             [--close-linger S] [--dns-timeout S] [--precision P]
             [--schema appflowmeter|extended|cic|cic-ids2017|cic-ids2018]
             [--cic-activity-timeout S] [--label TEXT] [--labels FILE]
             [--first-packets N] [--first-packets-layout arrays|columns]
             [--tunnels decap|outer] [-o OUT]

Writes the CSV (78 columns, 118 with --schema extended, 94, 85 or 80 with the
CIC schemas; header, then one row per flow in the order flows end) to OUT or
stdout, and a one-line JSON summary to stderr.
"""

import argparse
import heapq
import ipaddress
import json
import math
import struct
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import labels_ref

NS = 10 ** 9
WIRE_LEN_MAX = 16 * 1024 * 1024  # a longer original length is skipped: oversized


class CaptureError(Exception):
    """The capture cannot be read (bad format, unsupported link type)."""


# ---------------------------------------------------------------------------
# Capture readers: yield (linktype, ts_ns, captured_bytes, wire_len, interface)
# interface: (key, column text), METERING.md sections 0 and 2, COLUMNS.md
# `interface`: a classic pcap's packets, and those of a pcapng section's unnamed
# first interface, are ('-', '-'); any other pcapng interface is keyed by its link
# type and its column text.
# ---------------------------------------------------------------------------

NO_IFACE = ('-', '-')
IFACE_TEXT_MAX = 111   # bytes of UTF-8
SNAP_MAX = 262144      # a snapshot length of 0 or above: this


def _clean_text(raw):
    """COLUMNS.md `interface`: valid UTF-8 kept, each byte of anything else, each
    control byte and each ',' or '"' as '_'."""
    out, i = '', 0
    while i < len(raw):
        b = raw[i]
        n = 1 if b < 0x80 else 2 if b >> 5 == 6 else 3 if b >> 4 == 14 else 4 if b >> 3 == 30 else 0
        try:
            ch = raw[i:i + n].decode('utf-8') if n > 1 and i + n <= len(raw) else None
        except UnicodeDecodeError:
            ch = None
        if ch is None:
            ch = '_' if b < 0x20 or b >= 0x7f or chr(b) in ',"' else chr(b)
            n = 1
        out += ch
        i += n
    return out


def _cut(text, nbytes):
    """The longest prefix of text of at most nbytes bytes of UTF-8."""
    while len(text.encode()) > nbytes:
        text = text[:-1]
    return text


def _iface_text(name, desc, index):
    if name and desc and name != desc:
        head = _cut(_clean_text(name), IFACE_TEXT_MAX)
        if len(head.encode()) + 3 > IFACE_TEXT_MAX:
            return head
        return head + ' (' + _cut(_clean_text(desc), IFACE_TEXT_MAX - len(head.encode()) - 3) + ')'
    if name or desc:
        return _cut(_clean_text(name or desc), IFACE_TEXT_MAX)
    return '#%d' % index if index else None

SUPPORTED_LINKTYPES = {1, 113, 276, 12, 14, 101, 228, 229, 0, 108}


def _check_linktype(lt):
    if lt not in SUPPORTED_LINKTYPES:
        raise CaptureError('unsupported link type %d' % lt)


def read_capture(path):
    """(linktype, ts_ns, captured_bytes, wire_len) of each packet."""
    for lt, ts, buf, wlen, _iface in read_capture_ifaces(path):
        yield lt, ts, buf, wlen


def read_capture_ifaces(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 4:
        raise CaptureError('file too short')
    head = data[:4]
    if head == b'\x0a\x0d\x0d\x0a':
        return _read_pcapng(data)
    le = struct.unpack('<I', head)[0]
    be = struct.unpack('>I', head)[0]
    for bo, magic in (('<', le), ('>', be)):
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            return _read_pcap(data, bo, magic == 0xa1b23c4d)
    raise CaptureError('not a pcap or pcapng file')


def _read_pcap(data, bo, nano):
    if len(data) < 24:
        raise CaptureError('truncated pcap file header')
    lt = struct.unpack_from(bo + 'I', data, 20)[0] & 0xFFFF
    _check_linktype(lt)
    return _pcap_records(data, bo, nano, lt)


def _pcap_records(data, bo, nano, lt):
    mult = 1 if nano else 1000
    rec = struct.Struct(bo + 'IIII')
    off = 24
    end = len(data)
    while off + 16 <= end:
        sec, frac, incl, orig = rec.unpack_from(data, off)
        off += 16
        if off + incl > end:
            break  # record cut by the end of the file
        yield lt, sec * NS + frac * mult, data[off:off + incl], orig, NO_IFACE
        off += incl


def _read_pcapng(data):
    # Parse eagerly up to the first packet so that an unsupported link type
    # is refused when the capture is opened.
    gen = _pcapng_records(data)
    first = []
    for item in gen:
        first.append(item)
        break

    def chain():
        yield from first
        yield from gen
    return chain()


def _pcapng_options(data, bo, start, end):
    """Yield (code, value bytes) of an options area."""
    off = start
    while off + 4 <= end:
        code, length = struct.unpack_from(bo + 'HH', data, off)
        off += 4
        if code == 0:
            return
        val = data[off:off + length]
        off += (length + 3) & ~3
        yield code, val


def _pcapng_records(data):
    end = len(data)
    off = 0
    bo = '<'
    ifaces = []  # (linktype, tsresol denominator, tsoffset seconds, snaplen)
    while off + 12 <= end:
        btype_raw = data[off:off + 4]
        if btype_raw == b'\x0a\x0d\x0d\x0a':
            bom = data[off + 8:off + 12]
            if bom == b'\x4d\x3c\x2b\x1a':
                bo = '<'
            elif bom == b'\x1a\x2b\x3c\x4d':
                bo = '>'
            else:
                raise CaptureError('bad pcapng byte-order magic')
            ifaces = []
        btype, blen = struct.unpack_from(bo + 'II', data, off)
        if blen < 12 or off + blen > end:
            break
        body = off + 8
        bend = off + blen - 4
        if btype == 1 and bend - body >= 8:  # Interface Description Block
            lt, _res, snap = struct.unpack_from(bo + 'HHI', data, body)
            _check_linktype(lt)
            den = 10 ** 6
            tsoff = 0
            name = desc = None
            for code, val in _pcapng_options(data, bo, body + 8, bend):
                if code == 9 and len(val) >= 1:
                    v = val[0]
                    den = (2 ** (v & 0x7f)) if v & 0x80 else 10 ** v
                elif code == 14 and len(val) >= 8:
                    tsoff = struct.unpack_from(bo + 'q', val, 0)[0]
                elif code == 2 and name is None and val:
                    name = val
                elif code == 3 and desc is None and val:
                    desc = val
            text = _iface_text(name, desc, len(ifaces))
            iface = NO_IFACE if text is None else ((lt, text), text)
            if snap == 0 or snap > SNAP_MAX:
                snap = SNAP_MAX
            ifaces.append((lt, den, tsoff, snap, iface))
        elif btype == 6 and bend - body >= 20:  # Enhanced Packet Block
            ifid, tsh, tsl, caplen, orig = struct.unpack_from(bo + 'IIIII', data, body)
            if ifid >= len(ifaces):
                raise CaptureError('packet on undeclared interface %d' % ifid)
            lt, den, tsoff, _snap, iface = ifaces[ifid]
            raw = (tsh << 32) | tsl
            ts = min(max(0, (raw * NS) // den + tsoff * NS), 2 ** 64 - 2)   # before 1970: 0
            pstart = body + 20
            pkt = data[pstart:min(pstart + caplen, bend)]
            yield lt, ts, pkt, orig, iface
        elif btype == 3 and bend - body >= 4:  # Simple Packet Block
            if not ifaces:
                raise CaptureError('simple packet block without interface')
            orig = struct.unpack_from(bo + 'I', data, body)[0]
            lt, _den, tsoff, snap, iface = ifaces[0]
            caplen = min(orig, snap)
            pstart = body + 4
            pkt = data[pstart:min(pstart + caplen, bend)]
            yield lt, max(0, tsoff * NS), pkt, orig, iface  # SPB has no timestamp: 0 + if_tsoffset
        off += blen


# ---------------------------------------------------------------------------
# Frame parsing (METERING.md section 1)
# ---------------------------------------------------------------------------

TRUNC = 'truncated'
MALF = 'malformed'
NOT_IP = 'not_ip'
EXT_CHAIN = 'ipv6_ext_chain'
VLAN_DEPTH = 'vlan_depth'

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86dd
VLAN_TYPES = (0x8100, 0x88a8, 0x9100)
IPV6_EXT = {0, 43, 44, 60, 51, 135, 139, 140}
MAX_EXT = 8

# fields of a packet record
class Pkt:
    __slots__ = ('ts', 'wlen', 'iface_key', 'iface_text', 'v0', 'v1', 'ver', 'src', 'dst', 'sport', 'dport',
                 'proto', 'flags', 'dnsid', 'http', 'frag', 'ipid', 'tpay', 'l3off', 'ipdecl',
                 # docs/CIC.md: IP header length (IPv6: with the extension headers),
                 # transport header length (TCP data offset * 4, UDP 8, else 0),
                 # TCP sequence, acknowledgement and window (None: no TCP header),
                 # ICMP/ICMPv6 type and code (0 when not there)
                 'iphl', 'thl', 'seq', 'ack', 'win', 'ityp', 'icode',
                 # METERING.md 1.1: where the innermost frame starts in the captured
                 # frame, the tunnels' kinds (outermost first), the tunnel key, the
                 # innermost tunnel's identifier (None: none) and its carrier's
                 # (source, destination) addresses (None: no IP carrier)
                 'fstart', 'tkinds', 'tkey', 'tid', 'tcar')


def parse_frame(lt, buf, decap=True):
    """Return a Pkt (without ts/wlen) or a skip-reason string.

    decap: --tunnels decap (METERING.md 1.1): a packet carried in a tunnel is
    the frame inside it (up to 3 tunnels); False: --tunnels outer.
    """
    n = len(buf)
    if n == 0:
        return TRUNC
    if lt == 1:
        if n < 14:
            return TRUNC
        et = (buf[12] << 8) | buf[13]
        off = 14
    elif lt == 113:
        if n < 16:
            return TRUNC
        et = (buf[14] << 8) | buf[15]
        off = 16
    elif lt == 276:
        if n < 20:
            return TRUNC
        et = (buf[0] << 8) | buf[1]
        off = 20
    elif lt in (12, 14, 101, 228, 229):
        if n < 1:
            return TRUNC
        v = buf[0] >> 4
        if v == 4:
            et = ETH_IPV4
        elif v == 6:
            et = ETH_IPV6
        else:
            return NOT_IP
        off = 0
    elif lt in (0, 108):
        if n < 4:
            return TRUNC
        fams = (struct.unpack_from('<I', buf, 0)[0], struct.unpack_from('>I', buf, 0)[0])
        if 2 in fams:
            et = ETH_IPV4
        elif 24 in fams or 28 in fams or 30 in fams:
            et = ETH_IPV6
        else:
            return NOT_IP
        off = 4
    else:  # refused when opening; kept for safety
        return NOT_IP

    # The frame loop (METERING.md 1.1, "Nesting"): each frame is parsed as a whole
    # frame; a tunnel found after its headers gives the next frame.
    #   nxt: 'link' (et read from a link header: VLAN tags, then the EtherType),
    #        'l3' (et known, no tags: raw-IP and BSD loopback link types),
    #        'eth' (an Ethernet frame at off), 'ip' (an IP packet at off, version
    #        from its first nibble), 'mpls' (a label stack at off)
    nxt = 'link' if lt in (1, 113, 276) else 'l3'
    tun = []          # (kind, v, identifier or None, carrier (src, dst) or None)
    fstart = 0        # where the current (at the end: the innermost) frame starts
    # the last IP header parsed (src, dst): what carries the next tunnel, in this
    # frame or an outer one (COLUMNS.md 115: "the IP header that carries its
    # innermost tunnel"); None only before the first IP header (MPLS on the link)
    carrier = None
    vlans = [0, 0]
    while True:
        if nxt in ('eth', 'ip'):
            # a tunnel's frame: its start past byte 1023 is `tunnel`
            if off > INNER_START_MAX:
                return TUNNEL
            fstart = off
            vlans = [0, 0]
            if nxt == 'eth':
                if n - off < 14:
                    return TRUNC
                et = (buf[off + 12] << 8) | buf[off + 13]
                off += 14
                nxt = 'link'
            else:
                if n - off < 1:
                    return TRUNC
                v = buf[off] >> 4
                if v == 4:
                    et = ETH_IPV4
                elif v == 6:
                    et = ETH_IPV6
                else:
                    return NOT_IP
                nxt = 'l3'
        if nxt == 'link':
            ntags = 0
            while et in VLAN_TYPES:
                if ntags == 2:
                    return VLAN_DEPTH
                if n - off < 4:
                    return TRUNC
                vlans[ntags] = ((buf[off] << 8) | buf[off + 1]) & 0x0fff
                ntags += 1
                et = (buf[off + 2] << 8) | buf[off + 3]
                off += 4
            nxt = 'l3'
            if decap and et in ETH_MPLS:
                nxt = 'mpls'      # MPLS on a link
        if nxt == 'mpls':
            if len(tun) == MAX_TUNNELS:
                return TUNNEL
            r = _mpls(buf, off)
            if isinstance(r, str):
                return r
            label, nxt, off = r
            tun.append(('mpls', 0, label, carrier))
            continue
        # nxt == 'l3': the IP header of this frame
        r = _ip_header(buf, off, et)
        if isinstance(r, str):
            return r
        p, l4, ip_end, decl_l4 = r
        p.v0, p.v1 = vlans
        p.l3off = off - fstart
        if decap and p.frag is None:
            t = _tunnel_after_ip(buf, p, l4, len(tun))
            if t is not None:
                if isinstance(t, str):
                    return t
                kind, v, ident, nxt, off = t
                carrier = (p.src, p.dst)
                if v is None:
                    v = addr_digest(p.src, p.dst)
                tun.append((kind, v, ident, carrier))
                continue
        break

    p.fstart = fstart
    p.tkinds = tuple(t[0] for t in tun)
    p.tkey = tunnel_key(tun)
    if tun:
        p.tid = tun[-1][2]
        p.tcar = tun[-1][3]
    else:
        p.tid = p.tcar = None
    return _transport(p, buf, l4, ip_end, decl_l4)


def _ip_header(buf, off, et):
    """The IP header at off (et: its EtherType): (Pkt, l4, ip_end, decl_l4) or a
    skip reason.  METERING.md section 1."""
    n = len(buf)
    p = Pkt()
    p.frag = None
    p.ipid = None
    if et == ETH_IPV4:
        if n - off < 20:
            return TRUNC
        b0 = buf[off]
        if b0 >> 4 != 4:
            return MALF
        ihl = (b0 & 15) * 4
        if ihl < 20:
            return MALF
        tot = (buf[off + 2] << 8) | buf[off + 3]
        if tot != 0 and tot < ihl:
            return MALF
        if n - off < ihl:
            return TRUNC
        ff = (buf[off + 6] << 8) | buf[off + 7]
        fo = ff & 0x1fff
        if fo > 0:
            p.frag = 'later'
        elif ff & 0x2000:
            p.frag = 'first'
        p.ipid = (buf[off + 4] << 8) | buf[off + 5]
        p.ver = 4
        p.proto = buf[off + 9]
        p.src = bytes(buf[off + 12:off + 16])
        p.dst = bytes(buf[off + 16:off + 20])
        l4 = off + ihl
        p.iphl = ihl
        ip_end = min(n, off + tot) if tot else n
        p.ipdecl = tot
        # declared length left for the transport header and payload (None: 0 declared)
        decl_l4 = (tot - ihl) if tot else None
    elif et == ETH_IPV6:
        if n - off < 40:
            return TRUNC
        if buf[off] >> 4 != 6:
            return MALF
        plen = (buf[off + 4] << 8) | buf[off + 5]
        nh = buf[off + 6]
        p.ver = 6
        p.src = bytes(buf[off + 8:off + 24])
        p.dst = bytes(buf[off + 24:off + 40])
        q = off + 40
        count = 0
        while nh in IPV6_EXT:
            if count == MAX_EXT:
                return EXT_CHAIN
            if nh == 44:
                if n - q < 8:
                    return TRUNC
                fo = ((buf[q + 2] << 8) | buf[q + 3]) >> 3
                more = buf[q + 3] & 1
                fid = struct.unpack_from('>I', buf, q + 4)[0]
                nh = buf[q]
                q += 8
                count += 1
                if p.frag is None:
                    if fo > 0:
                        p.frag = 'later'
                        p.ipid = fid
                        break  # the rest is fragment data, not headers
                    if more:
                        p.frag = 'first'
                        p.ipid = fid
                continue
            if n - q < 2:
                return TRUNC
            if nh == 51:
                hl = (buf[q + 1] + 2) * 4
            else:
                hl = (buf[q + 1] + 1) * 8
            if n - q < hl:
                return TRUNC
            nh = buf[q]
            q += hl
            count += 1
        p.proto = nh
        l4 = q
        p.iphl = q - off   # 40 bytes and the extension headers walked
        ip_end = min(n, off + 40 + plen) if plen else n
        p.ipdecl = 40 + plen if plen else 0
        decl_l4 = (plen - (q - (off + 40))) if plen else None
    else:
        return NOT_IP
    return p, l4, ip_end, decl_l4


def _transport(p, buf, l4, ip_end, decl_l4):
    """The transport header of the (innermost) packet: ports, flags, DNS ID, HTTP."""
    n = len(buf)
    p.sport = p.dport = 0
    p.flags = 0
    p.dnsid = None
    p.http = None
    p.tpay = False
    p.thl = 0
    p.seq = p.ack = p.win = None
    p.ityp = p.icode = 0
    if p.frag == 'later':
        return p
    if p.proto == 6:
        if n - l4 < 20:
            return TRUNC
        doff = (buf[l4 + 12] >> 4) * 4
        if doff < 20:
            return MALF
        p.sport = (buf[l4] << 8) | buf[l4 + 1]
        p.dport = (buf[l4 + 2] << 8) | buf[l4 + 3]
        p.flags = buf[l4 + 13]
        p.thl = doff
        p.seq, p.ack = struct.unpack_from('>II', buf, l4 + 4)
        p.win = (buf[l4 + 14] << 8) | buf[l4 + 15]
        # COLUMNS.md: TCP payload when declared length - IP headers - TCP header > 0;
        # a declared length of 0 (TSO super-frames) counts as payload
        p.tpay = decl_l4 is None or decl_l4 - doff > 0
        ps = l4 + doff
        if ip_end - ps >= 12:
            head = bytes(buf[ps:ps + 12])
            if head[:9] in (b'HTTP/1.0 ', b'HTTP/1.1 ') and head[9:12].isdigit():
                p.http = int(head[9:12])
    elif p.proto == 17:
        if n - l4 < 8:
            return TRUNC
        p.sport = (buf[l4] << 8) | buf[l4 + 1]
        p.dport = (buf[l4 + 2] << 8) | buf[l4 + 3]
        p.thl = 8
        if p.sport == 53 or p.dport == 53:
            if min(n, ip_end) - (l4 + 8) >= 2:
                p.dnsid = (buf[l4 + 8] << 8) | buf[l4 + 9]
            else:
                p.dnsid = 0
    elif p.proto == 1 or p.proto == 58:
        # CIC.md columns 88, 89: the ICMP header's type and code bytes, each when
        # captured and within the IP packet's declared length (else 0)
        if ip_end > l4:
            p.ityp = buf[l4]
        if ip_end > l4 + 1:
            p.icode = buf[l4 + 1]
    return p


# ---------------------------------------------------------------------------
# Tunnels (METERING.md 1.1) and the tunnel key (section 2)
# ---------------------------------------------------------------------------

TUNNEL = 'tunnel'
MAX_TUNNELS = 3          # a fourth is `tunnel`
INNER_START_MAX = 1023   # the innermost frame may start at byte 1023, not later
ETH_MPLS = (0x8847, 0x8848)
ETH_TEB = 0x6558         # transparent Ethernet bridging
VXLAN_PORTS = (4789, 8472)
GENEVE_PORT = 6081
GTPU_PORT = 2152
GRE_KNOWN = (ETH_TEB, ETH_IPV4, ETH_IPV6, 0x8847, 0x8848, 0x88be, 0x22eb)
MPLS_MAX = 8
GAL = 13
GTPU_EXT_MAX = 4         # extension headers in a chain ("at most 4"; "more than 4" is damage)
M32 = 0xffffffff
FNV_PRIME = 16777619
GOLDEN = 0x9e3779b9


def fmix32(x):
    """MurmurHash3's finalizer, on a 32-bit value (METERING.md section 2)."""
    x ^= x >> 16
    x = (x * 0x85ebca6b) & M32
    x ^= x >> 13
    x = (x * 0xc2b2ae35) & M32
    x ^= x >> 16
    return x


def addr_digest(a, b):
    """The order-independent digest of a carrier's two addresses: the sum mod 2^32,
    over both addresses, of fmix32(w_i + i * 0x9e3779b9) for the four big-endian
    32-bit words w_0..w_3 of each (an IPv4 address is w_0, the others 0)."""
    total = 0
    for addr in (a, b):
        words = struct.unpack('>4I', addr) if len(addr) == 16 else (struct.unpack('>I', addr)[0], 0, 0, 0)
        for i, w in enumerate(words):
            total += fmix32((w + i * GOLDEN) & M32)
    return total & M32


def tunnel_key(tun):
    """0, then key * 16777619 + v for each tunnel from the outermost in, mod 2^32."""
    key = 0
    for t in tun:
        key = (key * FNV_PRIME + t[1]) & M32
    return key


def _tunnel_after_ip(buf, p, l4, depth):
    """A tunnel after the (non-fragment) IP header of p, its transport at l4.

    None: not a tunnel (the packet is metered as it is); a skip reason; or
    (kind, v, identifier, what follows, where it starts) with v None for the
    carrier's address digest."""
    n = len(buf)
    proto = p.proto
    if proto in (4, 41):
        if depth == MAX_TUNNELS:
            return TUNNEL
        return ('ipip', None, None, 'ip', l4)
    if proto == 47:
        return _gre(buf, l4, depth)
    if proto == 17:
        if n - l4 < 8:
            return TRUNC            # the carrier's own UDP header
        dport = (buf[l4 + 2] << 8) | buf[l4 + 3]
        h = l4 + 8
        if dport in VXLAN_PORTS:
            if depth == MAX_TUNNELS:
                return TUNNEL
            if n - h < 8 or not buf[h] & 0x08:
                return TUNNEL
            vni = (buf[h + 4] << 16) | (buf[h + 5] << 8) | buf[h + 6]
            return ('vxlan', vni, vni, 'eth', h + 8)
        if dport == GENEVE_PORT:
            if depth == MAX_TUNNELS:
                return TUNNEL
            if n - h < 8 or buf[h] >> 6 != 0:
                return TUNNEL
            hl = 8 + 4 * (buf[h] & 0x3f)
            if n - h < hl:
                return TUNNEL
            pt = (buf[h + 2] << 8) | buf[h + 3]
            vni = (buf[h + 4] << 16) | (buf[h + 5] << 8) | buf[h + 6]
            if pt == ETH_TEB:
                what = 'eth'
            elif pt in (ETH_IPV4, ETH_IPV6):
                what = 'ip'
            elif pt in ETH_MPLS:
                what = 'mpls'
            else:
                return NOT_IP
            return ('geneve', vni, vni, what, h + hl)
        if dport == GTPU_PORT:
            if n - h < 2:
                return TUNNEL       # too short to tell a G-PDU from another message
            if buf[h + 1] != 255:
                return None         # echo, error indication, end marker: not a tunnel
            if depth == MAX_TUNNELS:
                return TUNNEL
            return _gtpu(buf, h)
    return None


def _gre(buf, h, depth):
    n = len(buf)
    if n - h < 4:
        return TUNNEL               # too short to tell its version and protocol type
    fl = (buf[h] << 8) | buf[h + 1]
    ver = fl & 0x0007
    pt = (buf[h + 2] << 8) | buf[h + 3]
    # "Not a tunnel": version 1 (PPTP), a protocol type not in the list (WCCP, PPP,
    # ...), whatever the version and flags: the damage rules (version 2-7, routing)
    # are for a GRE header that is a tunnel's
    if ver == 1 or pt not in GRE_KNOWN:
        return None
    if depth == MAX_TUNNELS:
        return TUNNEL
    if ver != 0 or fl & 0x4000:
        return TUNNEL               # version 2-7, or routing
    q = h + 4
    if fl & 0x8000:                 # checksum (and reserved)
        q += 4
    key = None
    if fl & 0x2000:
        if n - q < 4:
            return TUNNEL
        key = struct.unpack_from('>I', buf, q)[0]
        q += 4
    seq = bool(fl & 0x1000)
    if seq:
        q += 4
    if n - q < 0:
        return TUNNEL
    if pt == 0x88be:
        if not seq:                 # ERSPAN type I: no identifier
            return ('erspan', None, None, 'eth', q)
        if n - q < 8 or buf[q] >> 4 != 1:
            return TUNNEL
        sid = ((buf[q + 2] << 8) | buf[q + 3]) & 0x03ff
        return ('erspan', sid, sid, 'eth', q + 8)
    if pt == 0x22eb:                # ERSPAN type III
        if n - q < 12 or buf[q] >> 4 != 2:
            return TUNNEL
        sid = ((buf[q + 2] << 8) | buf[q + 3]) & 0x03ff
        w = (buf[q + 10] << 8) | buf[q + 11]
        e = q + 12
        if w & 0x0001:
            e += 8
            if n - e < 0:
                return TUNNEL
        ft = (w & 0x7c00) >> 10
        if ft == 0:
            what = 'eth'
        elif ft == 2:
            what = 'ip'
        else:
            return NOT_IP
        return ('erspan', sid, sid, what, e)
    if pt == ETH_TEB:
        what = 'eth'
    elif pt in ETH_MPLS:
        what = 'mpls'
    else:
        what = 'ip'
    return ('gre', key, key, what, q)


def _gtpu(buf, h):
    """A G-PDU at h (its message type already 255)."""
    n = len(buf)
    if n - h < 8:
        return TUNNEL
    b0 = buf[h]
    if b0 >> 5 != 1 or not b0 & 0x10:
        return TUNNEL               # version, protocol type
    length = (buf[h + 2] << 8) | buf[h + 3]
    teid = struct.unpack_from('>I', buf, h + 4)[0]
    q = h + 8
    if b0 & 0x07:                   # E, S, PN: 4 more bytes
        if n - q < 4:
            return TUNNEL
        nxt = buf[q + 3] if b0 & 0x04 else 0
        q += 4
        count = 0
        while nxt != 0:
            if count == GTPU_EXT_MAX:
                return TUNNEL
            if n - q < 1:
                return TUNNEL
            el = buf[q]
            if el == 0:
                return TUNNEL           # "(0 is damage)"; any other length is taken
            if n - q < el * 4:
                return TUNNEL
            nxt = buf[q + el * 4 - 1]
            q += el * 4
            count += 1
    if length < q - (h + 8):
        return TUNNEL               # the length field too small
    return ('gtpu', None, teid, 'ip', q)


def _mpls(buf, off):
    """A label stack at off: (bottom label, what follows, where) or a reason."""
    n = len(buf)
    gal = False
    count = 0
    while True:
        if count == MPLS_MAX or n - off < 4:
            return TUNNEL
        e = struct.unpack_from('>I', buf, off)[0]
        off += 4
        count += 1
        if e >> 12 == GAL:
            gal = True
        if e & 0x100:
            label = e >> 12
            break
    if gal:
        return NOT_IP
    if n - off >= 1 and buf[off] >> 4 == 0:
        if n - off < 4:
            return TUNNEL           # the pseudowire control word cut short
        return label, 'eth', off + 4
    return label, 'ip', off


# ---------------------------------------------------------------------------
# Statistics (docs/COLUMNS.md, the nine statistics), exact on integers
# ---------------------------------------------------------------------------

ZERO9 = (Fraction(0), Fraction(0), 0.0, Fraction(0), Fraction(0), 0.0, 0.0, 0.0, 0.0)


def stats9(values, scale=1):
    """Nine statistics of a list of integers, each divided by `scale`.

    Returns (min, max, mean, median, mode, std, variance, cv, skewness):
    min, max, median and mode as exact Fractions (they are sample values, or
    the mean of two: METERING.md section 5 prints them from their exact
    decimal value); the others as floats, computed exactly (integer power
    sums / Fractions) and rounded once at the end.
    """
    n = len(values)
    if n == 0:
        return ZERO9
    s1 = s2 = s3 = 0
    for x in values:
        xx = x * x
        s1 += x
        s2 += xx
        s3 += xx * x
    srt = sorted(values)
    vmin = Fraction(srt[0], scale)
    vmax = Fraction(srt[-1], scale)
    mean = float(Fraction(s1, n * scale))
    if n % 2:
        median = Fraction(srt[n // 2], scale)
    else:
        median = Fraction(srt[n // 2 - 1] + srt[n // 2], 2 * scale)
    cnt = Counter(values)
    best = max(cnt.values())
    mode = Fraction(min(v for v, c in cnt.items() if c == best), scale)
    b = n * s2 - s1 * s1           # n^2 * m2   (exact, >= 0)
    var = float(Fraction(b, n * n * scale * scale))
    std = math.sqrt(var)
    cv = (math.sqrt(b) / s1) if s1 != 0 else 0.0      # std/mean, scale free
    a = n * n * s3 - 3 * n * s1 * s2 + 2 * s1 ** 3  # n^3 * m3 (exact)
    skew = (float(Fraction(a, b)) / math.sqrt(b)) if b != 0 else 0.0
    return (vmin, vmax, mean, median, mode, std, var, cv, skew)


def rate(count, span_ns):
    if count < 2 or span_ns <= 0:
        return 0.0
    return float(Fraction(count * NS, span_ns))


def byte_rate(count, nbytes, span_ns):
    """Bytes per second of a set of `count` packets, by the rate rule."""
    if count < 2 or span_ns <= 0:
        return 0.0
    return float(Fraction(nbytes * NS, span_ns))


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

def civil_from_days(z):
    """Days since 1970-01-01 -> (year, month, day), proleptic Gregorian."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def ts_text(ns):
    sec, rem = divmod(ns, NS)
    days, sod = divmod(sec, 86400)
    y, mo, d = civil_from_days(days)
    return '%04d-%02d-%02d %02d:%02d:%02d.%06d' % (
        y, mo, d, sod // 3600, sod // 60 % 60, sod % 60, rem // 1000)


def ip_text(addr):
    if len(addr) == 4:
        return '%d.%d.%d.%d' % tuple(addr)
    if addr[:10] == b'\x00' * 10 and addr[10:12] == b'\xff\xff':
        return '::ffff:%d.%d.%d.%d' % tuple(addr[12:])
    groups = struct.unpack('>8H', addr)
    # longest run of >= 2 zero groups, the first one on a tie
    best_start, best_len = -1, 0
    i = 0
    while i < 8:
        if groups[i] == 0:
            j = i
            while j < 8 and groups[j] == 0:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    hexs = ['%x' % g for g in groups]
    if best_len >= 2:
        left = ':'.join(hexs[:best_start])
        right = ':'.join(hexs[best_start + best_len:])
        return left + '::' + right
    return ':'.join(hexs)


def secs_text(ns):
    """Integer nanoseconds -> exact `SECONDS.NNNNNNNNN` (sign-magnitude)."""
    sec, rem = divmod(abs(ns), NS)
    return '%s%d.%09d' % ('-' if ns < 0 else '', sec, rem)


def vlan_text(v0, v1):
    """`0` untagged, `42` one tag, `10:20` QinQ (from the key's VLAN IDs)."""
    return '%d:%d' % (v0, v1) if v1 else '%d' % v0


def protocol_text(sport, dport):
    if sport == 80 or dport == 80:
        return 'HTTP'
    if sport == 443 or dport == 443:
        return 'HTTPS'
    if sport == 53 or dport == 53:
        return 'DNS'
    return 'Others'


def _stat_names(sample, order):
    return [s + '_' + sample for s in order]


LEN_ORDER = ['min', 'max', 'mean', 'median', 'mode', 'standard_deviation',
             'variance', 'coefficient_of_variation', 'skewness']
DELTA_ORDER = ['min', 'max', 'mean', 'median', 'standard_deviation', 'variance',
               'mode', 'coefficient_of_variation', 'skewness']

COLUMNS = (
    ['flow_id', 'timestamp', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol',
     'duration', 'packets_numbers', 'receiving_packets_numbers',
     'sending_packets_numbers', 'success_packets_numbers', 'success_packets_rate',
     'packets_rate', 'receiving_packets_rate', 'sending_packets_rate']
    + _stat_names('packets_len', LEN_ORDER)
    + _stat_names('receiving_packets_len', LEN_ORDER)
    + _stat_names('sending_packets_len', LEN_ORDER)
    + _stat_names('receiving_packets_delta_len', DELTA_ORDER)
    + _stat_names('sending_packets_delta_len', DELTA_ORDER)
    + ['max_receiving_packets_delta_time', 'mean_receiving_packets_delta_time',
       'median_receiving_packets_delta_time',
       'standard_deviation_receiving_packets_delta_time',
       'variance_receiving_packets_delta_time', 'mode_receiving_packets_delta_time',
       'coefficient_of_variation_receiving_packets_delta_time',
       'skewness_sreceiving_packets_delta_time']
    + _stat_names('sending_packets_delta_time', DELTA_ORDER)
)
assert len(COLUMNS) == 78

# TCP flag columns of the extended schema: (name, bit)
FLAG_BITS = [('syn', 0x02), ('fin', 0x01), ('rst', 0x04), ('psh', 0x08),
             ('ack', 0x10), ('urg', 0x20), ('ece', 0x40), ('cwr', 0x80)]
FLAG_COLUMNS = (['receiving_%s_flags' % f for f, _b in FLAG_BITS]
                + ['sending_%s_flags' % f for f, _b in FLAG_BITS])

# COLUMNS.md 114-118 (METERING.md 1.1)
TUNNEL_COLUMNS = ['tunnel', 'tunnel_src_ip', 'tunnel_dst_ip', 'receiving_tunnel_id',
                  'sending_tunnel_id']

EXT_COLUMNS = (
    ['min_receiving_packets_delta_time', 'total_bytes', 'receiving_bytes',
     'sending_bytes', 'receiving_ip_bytes', 'sending_ip_bytes',
     'packets_len_rate', 'receiving_packets_len_rate',
     'sending_packets_len_rate', 'handshake_duration', 'delta_start',
     'ip_version', 'ip_protocol', 'vlan_ids']
    + FLAG_COLUMNS
    + ['first_packet_time', 'last_packet_time', 'end_reason', 'interface', 'label']
    + TUNNEL_COLUMNS
)
EXT_COLUMNS_ALL = COLUMNS + EXT_COLUMNS
assert len(EXT_COLUMNS_ALL) == 118

# ---------------------------------------------------------------------------
# The CIC schemas (docs/CIC.md)
# ---------------------------------------------------------------------------

# `cic`: the 94 columns, in order (CIC.md, "Every column of `cic`")
CIC_COLUMNS = [
    'Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol', 'Timestamp',
    'Flow Duration', 'Total Fwd Packet', 'Total Bwd packets',
    'Total Length of Fwd Packet', 'Total Length of Bwd Packet',
    'Fwd Packet Length Max', 'Fwd Packet Length Min', 'Fwd Packet Length Mean',
    'Fwd Packet Length Std',
    'Bwd Packet Length Max', 'Bwd Packet Length Min', 'Bwd Packet Length Mean',
    'Bwd Packet Length Std',
    'Flow Bytes/s', 'Flow Packets/s',
    'Flow IAT Mean', 'Flow IAT Std', 'Flow IAT Max', 'Flow IAT Min',
    'Fwd IAT Total', 'Fwd IAT Mean', 'Fwd IAT Std', 'Fwd IAT Max', 'Fwd IAT Min',
    'Bwd IAT Total', 'Bwd IAT Mean', 'Bwd IAT Std', 'Bwd IAT Max', 'Bwd IAT Min',
    'Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags', 'Bwd URG Flags',
    'Fwd RST Flags', 'Bwd RST Flags',
    'Fwd Header Length', 'Bwd Header Length', 'Fwd Packets/s', 'Bwd Packets/s',
    'Packet Length Min', 'Packet Length Max', 'Packet Length Mean',
    'Packet Length Std', 'Packet Length Variance',
    'FIN Flag Count', 'SYN Flag Count', 'RST Flag Count', 'PSH Flag Count',
    'ACK Flag Count', 'URG Flag Count', 'CWR Flag Count', 'ECE Flag Count',
    'Down/Up Ratio', 'Average Packet Size', 'Fwd Segment Size Avg',
    'Bwd Segment Size Avg',
    'Fwd Bytes/Bulk Avg', 'Fwd Packet/Bulk Avg', 'Fwd Bulk Rate Avg',
    'Bwd Bytes/Bulk Avg', 'Bwd Packet/Bulk Avg', 'Bwd Bulk Rate Avg',
    'Subflow Fwd Packets', 'Subflow Fwd Bytes', 'Subflow Bwd Packets',
    'Subflow Bwd Bytes',
    'FWD Init Win Bytes', 'Bwd Init Win Bytes', 'Fwd Act Data Pkts',
    'Bwd Act Data Pkts', 'Fwd Seg Size Min', 'Bwd Seg Size Min',
    'Active Mean', 'Active Std', 'Active Max', 'Active Min',
    'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min',
    'ICMP Code', 'ICMP Type',
    'Fwd TCP Retrans. Count', 'Bwd TCP Retrans. Count', 'Total TCP Retrans. Count',
    'Total Connection Flow Time', 'Label',
]
assert len(CIC_COLUMNS) == 94

# `cic-ids2017`: (published name, `cic` column number), CIC.md's table; a
# leading space is part of the name; `Fwd Header Length` twice (43)
CIC2017 = [
    ('Flow ID', 1), (' Source IP', 2), (' Source Port', 3), (' Destination IP', 4),
    (' Destination Port', 5), (' Protocol', 6), (' Timestamp', 7),
    (' Flow Duration', 8), (' Total Fwd Packets', 9), (' Total Backward Packets', 10),
    ('Total Length of Fwd Packets', 11), (' Total Length of Bwd Packets', 12),
    (' Fwd Packet Length Max', 13), (' Fwd Packet Length Min', 14),
    (' Fwd Packet Length Mean', 15), (' Fwd Packet Length Std', 16),
    ('Bwd Packet Length Max', 17), (' Bwd Packet Length Min', 18),
    (' Bwd Packet Length Mean', 19), (' Bwd Packet Length Std', 20),
    ('Flow Bytes/s', 21), (' Flow Packets/s', 22), (' Flow IAT Mean', 23),
    (' Flow IAT Std', 24), (' Flow IAT Max', 25), (' Flow IAT Min', 26),
    ('Fwd IAT Total', 27), (' Fwd IAT Mean', 28), (' Fwd IAT Std', 29),
    (' Fwd IAT Max', 30), (' Fwd IAT Min', 31),
    ('Bwd IAT Total', 32), (' Bwd IAT Mean', 33), (' Bwd IAT Std', 34),
    (' Bwd IAT Max', 35), (' Bwd IAT Min', 36),
    ('Fwd PSH Flags', 37), (' Bwd PSH Flags', 38), (' Fwd URG Flags', 39),
    (' Bwd URG Flags', 40), (' Fwd Header Length', 43), (' Bwd Header Length', 44),
    ('Fwd Packets/s', 45), (' Bwd Packets/s', 46), (' Min Packet Length', 47),
    (' Max Packet Length', 48), (' Packet Length Mean', 49), (' Packet Length Std', 50),
    (' Packet Length Variance', 51), ('FIN Flag Count', 52), (' SYN Flag Count', 53),
    (' RST Flag Count', 54), (' PSH Flag Count', 55), (' ACK Flag Count', 56),
    (' URG Flag Count', 57), (' CWE Flag Count', 58), (' ECE Flag Count', 59),
    (' Down/Up Ratio', 60), (' Average Packet Size', 61), (' Avg Fwd Segment Size', 62),
    (' Avg Bwd Segment Size', 63), (' Fwd Header Length', 43),
    ('Fwd Avg Bytes/Bulk', 64), (' Fwd Avg Packets/Bulk', 65), (' Fwd Avg Bulk Rate', 66),
    (' Bwd Avg Bytes/Bulk', 67), (' Bwd Avg Packets/Bulk', 68), ('Bwd Avg Bulk Rate', 69),
    ('Subflow Fwd Packets', 70), (' Subflow Fwd Bytes', 71), (' Subflow Bwd Packets', 72),
    (' Subflow Bwd Bytes', 73), ('Init_Win_bytes_forward', 74),
    (' Init_Win_bytes_backward', 75), (' act_data_pkt_fwd', 76),
    (' min_seg_size_forward', 78),
    ('Active Mean', 80), (' Active Std', 81), (' Active Max', 82), (' Active Min', 83),
    ('Idle Mean', 84), (' Idle Std', 85), (' Idle Max', 86), (' Idle Min', 87),
    (' Label', 94),
]
assert len(CIC2017) == 85

# `cic-ids2018`: (published name, `cic` column number)
CIC2018 = [
    ('Dst Port', 5), ('Protocol', 6), ('Timestamp', 7), ('Flow Duration', 8),
    ('Tot Fwd Pkts', 9), ('Tot Bwd Pkts', 10), ('TotLen Fwd Pkts', 11),
    ('TotLen Bwd Pkts', 12), ('Fwd Pkt Len Max', 13), ('Fwd Pkt Len Min', 14),
    ('Fwd Pkt Len Mean', 15), ('Fwd Pkt Len Std', 16), ('Bwd Pkt Len Max', 17),
    ('Bwd Pkt Len Min', 18), ('Bwd Pkt Len Mean', 19), ('Bwd Pkt Len Std', 20),
    ('Flow Byts/s', 21), ('Flow Pkts/s', 22), ('Flow IAT Mean', 23),
    ('Flow IAT Std', 24), ('Flow IAT Max', 25), ('Flow IAT Min', 26),
    ('Fwd IAT Tot', 27), ('Fwd IAT Mean', 28), ('Fwd IAT Std', 29),
    ('Fwd IAT Max', 30), ('Fwd IAT Min', 31), ('Bwd IAT Tot', 32),
    ('Bwd IAT Mean', 33), ('Bwd IAT Std', 34), ('Bwd IAT Max', 35),
    ('Bwd IAT Min', 36), ('Fwd PSH Flags', 37), ('Bwd PSH Flags', 38),
    ('Fwd URG Flags', 39), ('Bwd URG Flags', 40), ('Fwd Header Len', 43),
    ('Bwd Header Len', 44), ('Fwd Pkts/s', 45), ('Bwd Pkts/s', 46),
    ('Pkt Len Min', 47), ('Pkt Len Max', 48), ('Pkt Len Mean', 49),
    ('Pkt Len Std', 50), ('Pkt Len Var', 51), ('FIN Flag Cnt', 52),
    ('SYN Flag Cnt', 53), ('RST Flag Cnt', 54), ('PSH Flag Cnt', 55),
    ('ACK Flag Cnt', 56), ('URG Flag Cnt', 57), ('CWE Flag Count', 58),
    ('ECE Flag Cnt', 59), ('Down/Up Ratio', 60), ('Pkt Size Avg', 61),
    ('Fwd Seg Size Avg', 62), ('Bwd Seg Size Avg', 63), ('Fwd Byts/b Avg', 64),
    ('Fwd Pkts/b Avg', 65), ('Fwd Blk Rate Avg', 66), ('Bwd Byts/b Avg', 67),
    ('Bwd Pkts/b Avg', 68), ('Bwd Blk Rate Avg', 69), ('Subflow Fwd Pkts', 70),
    ('Subflow Fwd Byts', 71), ('Subflow Bwd Pkts', 72), ('Subflow Bwd Byts', 73),
    ('Init Fwd Win Byts', 74), ('Init Bwd Win Byts', 75), ('Fwd Act Data Pkts', 76),
    ('Fwd Seg Size Min', 78), ('Active Mean', 80), ('Active Std', 81),
    ('Active Max', 82), ('Active Min', 83), ('Idle Mean', 84), ('Idle Std', 85),
    ('Idle Max', 86), ('Idle Min', 87), ('Label', 94),
]
assert len(CIC2018) == 80

CIC_SCHEMAS = ('cic', 'cic-ids2017', 'cic-ids2018')
# for each CIC schema, the `cic` column numbers (1-based) it writes, in order
CIC_SELECT = {'cic': list(range(1, 95)),
              'cic-ids2017': [c for _n, c in CIC2017],
              'cic-ids2018': [c for _n, c in CIC2018]}
CIC_NAMES = {'cic': list(CIC_COLUMNS),
             'cic-ids2017': [n for n, _c in CIC2017],
             'cic-ids2018': [n for n, _c in CIC2018]}
# `cic` column numbers of the text and integer columns (the rest are numbers
# compared within a tolerance)
CIC_TEXT = {1, 2, 4, 7, 94}
CIC_INT = ({3, 5, 6, 9, 10, 11, 12, 13, 14, 17, 18} | set(range(37, 45)) | {47, 48}
           | set(range(52, 60)) | set(range(74, 80)) | {88, 89, 90, 91, 92})

SCHEMAS = ('appflowmeter', 'extended') + CIC_SCHEMAS


def columns_for(schema):
    if schema in CIC_SCHEMAS:
        return list(CIC_NAMES[schema])
    return list(EXT_COLUMNS_ALL if schema == 'extended' else COLUMNS)


INT_COLUMNS = {'src_port', 'dst_port', 'packets_numbers', 'receiving_packets_numbers',
               'sending_packets_numbers', 'success_packets_numbers',
               'total_bytes', 'receiving_bytes', 'sending_bytes', 'ip_version',
               'receiving_ip_bytes', 'sending_ip_bytes',
               'ip_protocol'} | set(FLAG_COLUMNS)
TEXT_COLUMNS = {'flow_id', 'timestamp', 'src_ip', 'dst_ip', 'protocol',
                'vlan_ids', 'end_reason', 'interface', 'label',
                'first_packet_time', 'last_packet_time'} | set(TUNNEL_COLUMNS)


WHOLE_LIMIT = 2 ** 53


def _layout_g(neg, digits, x, prec):
    """C's %g layout of the significant digits `digits` (no trailing zero)
    times 10^(x - len(digits) + 1): exponent form when x < -4 or x >= prec."""
    sign = '-' if neg else ''
    if x < -4 or x >= prec:
        mant = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '')
        return '%s%se%s%02d' % (sign, mant, '-' if x < 0 else '+', abs(x))
    if x < 0:
        return sign + '0.' + '0' * (-x - 1) + digits
    if len(digits) <= x + 1:
        return sign + digits + '0' * (x + 1 - len(digits))
    return sign + digits[:x + 1] + '.' + digits[x + 1:]


def fmt_exact(q, prec):
    """METERING.md section 5: an exact decimal quantity, rounded from its
    exact value to `prec` significant digits, ties to even; whole numbers
    below 2^53 with all their digits."""
    q = Fraction(q)
    if q == 0:
        return '0'
    if q.denominator == 1 and abs(q) < WHOLE_LIMIT:
        return str(q.numerator)
    neg = q < 0
    a = abs(q)
    # decimal exponent x of the first digit: 10^x <= a < 10^(x+1)
    x = len(str(a.numerator // a.denominator)) - 1 if a >= 1 else -1
    while a < Fraction(10) ** x:
        x -= 1
    # n = a / 10^(x - prec + 1), rounded half to even
    scaled = a / Fraction(10) ** (x - prec + 1)
    n = scaled.numerator // scaled.denominator
    rest = scaled - n
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2 == 1):
        n += 1
    if n == 10 ** prec:   # 9.99.. rounded up to 10.0..
        n //= 10
        x += 1
    digits = str(n).rstrip('0') or '0'
    return _layout_g(neg, digits, x, prec)


def fmt_num(x, prec):
    """A number for the CSV: Fractions are exact decimal quantities; floats
    are computed values, printed as C's %.{prec}g prints the double, except
    that a whole number below 2^53 prints with all its digits."""
    if isinstance(x, Fraction):
        return fmt_exact(x, prec)
    if x == int(x) and abs(x) < WHOLE_LIMIT:
        return str(int(x))
    s = '%.*g' % (prec, x)
    if s == '-0':
        s = '0'
    return s


def _len_order(st):
    # stats9 order is (min, max, mean, median, mode, std, var, cv, skew)
    return list(st)


def _delta_order(st):
    mn, mx, mean, med, mode, std, var, cv, sk = st
    return [mn, mx, mean, med, std, var, mode, cv, sk]


# ---------------------------------------------------------------------------
# Flows (METERING.md sections 2-4)
# ---------------------------------------------------------------------------

class Flow:
    __slots__ = ('seq', 'key', 'iface', 'src', 'sport', 'dst', 'dport', 'proto', 'dns',
                 'first', 'last', 'closed', 'close', 'fin_rx', 'fin_tx',
                 'deadline', 'rx', 'tx', 'success', 'ended',
                 # extended schema
                 'ver', 'v0', 'v1', 'close_reason', 'end_reason', 'by_synack',
                 'hs_syn', 'hs_synack', 'hs_ack', 'hs_data', 'rx_flags', 'tx_flags',
                 'rx_ip', 'tx_ip',
                 # --first-packets: every packet as (time, arrival, direction, length)
                 'pk',
                 # CIC schemas: every packet in the taken order (cic_values), the
                 # first packet's ICMP (type, code), the connection chain this
                 # flow may continue: (chain's first time, ended flow's last time)
                 'ck', 'icmp', 'chain',
                 # tunnels (METERING.md 1.1; COLUMNS.md 114-118): kinds, the
                 # innermost carrier's src-side and dst-side addresses (None: none),
                 # the innermost identifier's text on the first receiving and the
                 # first sending packet (None: no such packet yet)
                 'tkinds', 'tsrc', 'tdst', 'rx_tid', 'tx_tid')


def first_packets_columns(n, layout):
    """COLUMNS.md, "The first packets": the names --first-packets N adds."""
    if not n:
        return []
    names = ('splt_direction', 'splt_ps', 'splt_piat')
    if layout == 'arrays':
        return list(names)
    return ['%s_%d' % (b, i) for b in names for i in range(1, n + 1)]


def first_packets_values(fl, n, layout, prec, unit=NS):
    """The first n packets by time (equal times in arrival order): direction,
    wire length, time since the one before in seconds (in microseconds with a
    CIC schema: unit=US, CIC.md "With the other options"); -1 past the last."""
    pk = sorted(fl.pk)[:n]
    dirs = [str(d) for _t, _i, d, _l in pk] + ['-1'] * (n - len(pk))
    lens = [str(ln) for _t, _i, _d, ln in pk] + ['-1'] * (n - len(pk))
    piat = [fmt_num(Fraction(pk[i][0] - pk[i - 1][0], unit) if i else 0, prec) for i in range(len(pk))]
    piat += ['-1'] * (n - len(pk))
    if layout == 'arrays':
        return ['"[%s]"' % ','.join(v) for v in (dirs, lens, piat)]
    return dirs + lens + piat


def flow_row(fl, prec, schema='appflowmeter', label=None):
    rx = sorted(fl.rx, key=lambda e: e[0])  # stable: ties keep arrival order
    tx = sorted(fl.tx, key=lambda e: e[0])
    rx_len = [e[1] for e in rx]
    tx_len = [e[1] for e in tx]
    all_len = rx_len + tx_len
    npk = len(all_len)
    dur = fl.last - fl.first
    first_txt = ts_text(fl.first)
    src_txt = ip_text(fl.src)
    dst_txt = ip_text(fl.dst)
    f = lambda x: fmt_num(x, prec)  # noqa: E731

    def span(d):
        return (d[-1][0] - d[0][0]) if d else 0

    out = [
        '%s--%s--%d--%s--%d' % (first_txt, src_txt, fl.sport, dst_txt, fl.dport),
        first_txt, src_txt, str(fl.sport), dst_txt, str(fl.dport),
        protocol_text(fl.sport, fl.dport),
        f(Fraction(dur, NS)),
        str(npk), str(len(rx)), str(len(tx)), str(fl.success),
        f(rate(fl.success, dur)),
        f(rate(npk, dur)),
        f(rate(len(rx), span(rx))),
        f(rate(len(tx), span(tx))),
    ]
    out += [f(v) for v in _len_order(stats9(all_len))]
    out += [f(v) for v in _len_order(stats9(rx_len))]
    out += [f(v) for v in _len_order(stats9(tx_len))]
    rx_dl = [rx_len[i] - rx_len[i - 1] for i in range(1, len(rx_len))]
    tx_dl = [tx_len[i] - tx_len[i - 1] for i in range(1, len(tx_len))]
    out += [f(v) for v in _delta_order(stats9(rx_dl))]
    out += [f(v) for v in _delta_order(stats9(tx_dl))]
    rx_dt = [rx[i][0] - rx[i - 1][0] for i in range(1, len(rx))]
    tx_dt = [tx[i][0] - tx[i - 1][0] for i in range(1, len(tx))]
    rx_dt_st = _delta_order(stats9(rx_dt, NS))
    out += [f(v) for v in rx_dt_st[1:]]  # no min
    out += [f(v) for v in _delta_order(stats9(tx_dt, NS))]
    assert len(out) == 78
    if schema != 'extended':
        return ','.join(out)

    # COLUMNS.md
    rx_bytes = sum(rx_len)
    tx_bytes = sum(tx_len)
    tot_bytes = rx_bytes + tx_bytes
    if fl.proto == 6 and not fl.by_synack and fl.hs_ack is not None:
        hs = Fraction(fl.hs_ack - fl.hs_syn, NS)
        ds = Fraction(fl.hs_data - fl.hs_ack, NS) if fl.hs_data is not None else 0
    else:
        hs = ds = Fraction(0)
    out += [
        f(rx_dt_st[0]),                       # min_receiving_packets_delta_time
        str(tot_bytes), str(rx_bytes), str(tx_bytes), str(fl.rx_ip), str(fl.tx_ip),
        f(byte_rate(npk, tot_bytes, dur)),
        f(byte_rate(len(rx), rx_bytes, span(rx))),
        f(byte_rate(len(tx), tx_bytes, span(tx))),
        f(hs), f(ds),
        str(fl.ver), str(fl.proto), vlan_text(fl.v0, fl.v1),
    ]
    out += [str(c) for c in fl.rx_flags]
    out += [str(c) for c in fl.tx_flags]
    out += [secs_text(fl.first), secs_text(fl.last), fl.end_reason, fl.iface,
            label if label is not None else '-']
    # COLUMNS.md 114-118: the tunnels, the innermost tunnel's carrier (src's side
    # first, from the flow's first packet), its identifier on the first packet of
    # each direction
    out += ['+'.join(fl.tkinds) if fl.tkinds else '-',
            ip_text(fl.tsrc) if fl.tsrc is not None else '-',
            ip_text(fl.tdst) if fl.tdst is not None else '-',
            fl.rx_tid if fl.rx_tid is not None else '-',
            fl.tx_tid if fl.tx_tid is not None else '-']
    assert len(out) == 118
    return ','.join(out)


# ---------------------------------------------------------------------------
# The CIC columns (docs/CIC.md), computed at the flow's end from every packet
# kept in the taken order (the order of the capture's records)
# ---------------------------------------------------------------------------

US = 1000  # nanoseconds per microsecond: the CIC schemas' time unit


def cic_ts_text(ns):
    """CIC.md column 7: UTC, as Java's Instant prints it, `T` a space, no `Z`:
    no fraction when it is 0, else 3, 6 or 9 digits (whole ms, whole us, else)."""
    sec, rem = divmod(ns, NS)
    days, sod = divmod(sec, 86400)
    y, mo, d = civil_from_days(days)
    text = '%04d-%02d-%02d %02d:%02d:%02d' % (y, mo, d, sod // 3600, sod // 60 % 60, sod % 60)
    if rem == 0:
        return text
    if rem % 1000000 == 0:
        return text + '.%03d' % (rem // 1000000)
    if rem % 1000 == 0:
        return text + '.%06d' % (rem // 1000)
    return text + '.%09d' % rem


def sample_stats(values, scale=1):
    """CIC.md "Sample statistics" of integers, each divided by `scale`:
    (mean, std, variance, max, min).  Mean and the sample variance (n - 1) come
    from exact integer sums, rounded once to double (std = its square root);
    max and min are exact Fractions.  Empty: all 0; one value: std 0."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0, 0.0, Fraction(0), Fraction(0)
    s1 = sum(values)
    mean = s1 / (n * scale)                      # int / int: correctly rounded
    if n > 1:
        s2 = sum(x * x for x in values)
        var = (n * s2 - s1 * s1) / (n * (n - 1) * scale * scale)
    else:
        var = 0.0
    return mean, math.sqrt(var), var, Fraction(max(values), scale), Fraction(min(values), scale)


def per_second(count, span_ns):
    """count / (span in seconds), 0 when the span is 0 (CIC.md: never -1)."""
    return count * NS / span_ns if span_ns else 0.0


def cic_bulks(ck):
    """CIC.md "Bulks": per direction (0 forward, 1 backward) the totals
    [bulks, bulk packets, bulk bytes, bulk duration in ns], following the
    four numbered steps for every packet in the taken order."""
    cand = [None, None]       # candidate run: [start, last, packets, bytes]
    lastpay = [None, None]    # time of the direction's latest packet with a payload
    tot = [[0, 0, 0, 0], [0, 0, 0, 0]]
    for e in ck:
        ts, d, pay = e[0], e[1], e[2]
        c = cand[d]
        # 1. the other direction's latest payload came strictly after the start
        if c is not None:
            lo = lastpay[1 - d]
            if lo is not None and lo > c[0]:
                cand[d] = c = None
        # 2. no payload: nothing more
        if pay == 0:
            continue
        # 3. a new candidate: none, or more than 1 s after d's previous payload
        if c is None or ts - lastpay[d] > NS:
            cand[d] = [ts, ts, 1, pay]
        else:
            # 4. the packet joins the candidate
            c[2] += 1
            c[3] += pay
            t = tot[d]
            if c[2] == 4:
                t[0] += 1
                t[1] += 4
                t[2] += c[3]
                t[3] += ts - c[0]
            elif c[2] > 4:
                t[1] += 1
                t[2] += pay
                t[3] += ts - c[1]
            c[1] = ts
        lastpay[d] = ts
    return tot


def cic_active_idle(times, timeout_ns):
    """CIC.md "Active and idle periods": (active periods, idle periods) in ns."""
    active, idle = [], []
    if not times:
        return active, idle
    start = end = times[0]
    for ts in times[1:]:
        if ts - end > timeout_ns:
            if end - start > 0:
                active.append(end - start)
            idle.append(ts - end)
            start = end = ts
        else:
            end = ts
    return active, idle


def cic_values(fl, prec, activity_ns, cft_ns, label):
    """The 94 `cic` values of a flow, as text, in `cic` order (CIC.md)."""
    f = lambda x: fmt_num(x, prec)  # noqa: E731  floats: rounded once; Fractions: exact
    us = lambda ns: fmt_exact(Fraction(ns, US), prec)  # noqa: E731  exact microseconds
    # ck: (time, 0 forward / 1 backward, payload, header length, TCP flags,
    #      window or None, sequence or None, acknowledgement or None)
    ck = fl.ck
    fw = [e for e in ck if e[1] == 0]
    bw = [e for e in ck if e[1] == 1]
    nf, nb, na = len(fw), len(bw), len(ck)
    pay_f = [e[2] for e in fw]
    pay_b = [e[2] for e in bw]
    pay_a = [e[2] for e in ck]
    sum_f, sum_b = sum(pay_f), sum(pay_b)
    sum_a = sum_f + sum_b
    dur = fl.last - fl.first
    src_txt, dst_txt = ip_text(fl.src), ip_text(fl.dst)
    proto = fl.proto
    out = ['%s-%s-%d-%d-%d' % (src_txt, dst_txt, fl.sport, fl.dport, proto),
           src_txt, str(fl.sport), dst_txt, str(fl.dport), str(proto),
           cic_ts_text(fl.first), us(dur), str(nf), str(nb), str(sum_f), str(sum_b)]
    # 13-20: payload statistics of F, then B (max, min, mean, std)
    for pays in (pay_f, pay_b):
        mean, std, _var, mx, mn = sample_stats(pays)
        out += [f(mx), f(mn), f(mean), f(std)]
    # 21, 22
    out += [f(per_second(sum_a, dur)), f(per_second(na, dur))]
    # 23-26: flow inter-arrival times, taken order, both directions
    times = [e[0] for e in ck]
    iat = [times[i] - times[i - 1] for i in range(1, na)]
    mean, std, _var, mx, mn = sample_stats(iat, US)
    out += [f(mean), f(std), f(mx), f(mn)]
    # 27-36: per direction: total (exact), mean, std, max, min
    for d in (fw, bw):
        di = [d[i][0] - d[i - 1][0] for i in range(1, len(d))]
        mean, std, _var, mx, mn = sample_stats(di, US)
        out += [us(sum(di)), f(mean), f(std), f(mx), f(mn)]
    # 37-42: PSH, URG, RST per direction; 43, 44: header lengths
    cnt = lambda d, bit: sum(1 for e in d if e[4] & bit)  # noqa: E731
    out += [str(cnt(fw, 0x08)), str(cnt(bw, 0x08)), str(cnt(fw, 0x20)), str(cnt(bw, 0x20)),
            str(cnt(fw, 0x04)), str(cnt(bw, 0x04)),
            str(sum(e[3] for e in fw)), str(sum(e[3] for e in bw))]
    # 45, 46
    out += [f(per_second(nf, dur)), f(per_second(nb, dur))]
    # 47-51: payloads of A, each packet once
    mean, std, var, mx, mn = sample_stats(pay_a)
    out += [f(mn), f(mx), f(mean), f(std), f(var)]
    # 52-59: FIN SYN RST PSH ACK URG CWR ECE over A
    for bit in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x80, 0x40):
        out.append(str(cnt(ck, bit)))
    # 60-63
    out += [f(nb / nf if nf else 0.0), f(sum_a / na),
            f(sum_f / nf if nf else 0.0), f(sum_b / nb if nb else 0.0)]
    # 64-69: bulks
    for bulks, bpk, bbytes, bdur in cic_bulks(ck):
        out += [f(bbytes / bulks if bulks else 0.0), f(bpk / bulks if bulks else 0.0),
                f(per_second(bbytes, bdur))]
    # 70-73: subflows, cut at gaps of more than 1 s (taken order)
    nsub = 1 + sum(1 for g in iat if g > NS)
    out += [f(nf / nsub), f(sum_f / nsub), f(nb / nsub), f(sum_b / nsub)]
    # 74, 75: the first packet of each direction's window (TCP only)
    def init_win(d):
        if proto != 6 or not d or d[0][5] is None:
            return 0
        return d[0][5]
    out += [str(init_win(fw)), str(init_win(bw))]
    # 76-79
    out += [str(sum(1 for p in pay_f if p >= 1)), str(sum(1 for p in pay_b if p >= 1)),
            str(min(e[3] for e in fw) if fw else 0), str(min(e[3] for e in bw) if bw else 0)]
    # 80-87: active and idle periods
    active, idle = cic_active_idle(times, activity_ns)
    for per in (active, idle):
        mean, std, _var, mx, mn = sample_stats(per, US)
        out += [f(mean), f(std), f(mx), f(mn)]
    # 88, 89: the first packet's ICMP code and type
    if proto in (1, 58):
        out += [str(fl.icmp[1]), str(fl.icmp[0])]
    else:
        out += ['0', '0']
    # 90-92: retransmissions, per direction of this flow
    rf = rb = 0
    if proto == 6:
        for d in (0, 1):
            seen = set()
            n = 0
            for e in (fw if d == 0 else bw):
                if e[6] is None:
                    continue   # a later fragment: no TCP header, not a segment
                k = (e[6], e[7], e[2], e[5])
                if k in seen:
                    n += 1
                else:
                    seen.add(k)
            if d == 0:
                rf = n
            else:
                rb = n
    out += [str(rf), str(rb), str(rf + rb)]
    # 93, 94
    out += [us(cft_ns) if proto in (6, 17) else '0', label if label is not None else '-']
    assert len(out) == 94
    return out


class Meter:
    def __init__(self, idle_ns, active_ns, linger_ns, prec, emit, dns_idle_ns=30 * NS,
                 schema='appflowmeter', label=None, rules=None):
        self.idle = idle_ns
        self.dns_idle = dns_idle_ns
        self.active = active_ns
        self.linger = linger_ns
        self.prec = prec
        self.emit = emit
        self.clock = None
        self.open = {}
        self.heap = []
        self.seq = 0
        self.frags = {}
        self.nflows = 0
        self.schema = schema
        self.label = label
        self.rules = rules
        self.cic = schema in CIC_SCHEMAS
        # CIC.md "Total Connection Flow Time": key -> (first time of the chain's
        # first flow, last time of the flow the active timeout ended)
        self.chains = {}

    first_packets = 0
    first_layout = 'arrays'
    activity_ns = 5 * NS   # --cic-activity-timeout

    def _cic_row(self, fl, reason, label):
        """The CIC row of a flow ending now with `reason`; records the chain a
        next flow of its key may continue (CIC.md, column 93)."""
        idle = self.dns_idle if fl.dns else self.idle
        prev = fl.chain
        if prev is not None and fl.first - prev[1] <= idle:
            chain_first = prev[0]      # continues the connection split by active
        else:
            chain_first = fl.first
        if reason == 'active':
            self.chains[fl.key] = (chain_first, fl.last)
        vals = cic_values(fl, self.prec, self.activity_ns, fl.last - chain_first, label)
        return ','.join(vals[c - 1] for c in CIC_SELECT[self.schema])

    def _end(self, fl, reason):
        fl.ended = True
        fl.end_reason = reason
        del self.open[fl.key]
        self.nflows += 1
        label = self.label
        if self.rules is not None:   # COLUMNS.md, "Labels from rules"
            hit = labels_ref.label_of(self.rules, fl.first, ipaddress.ip_address(fl.src),
                                      ipaddress.ip_address(fl.dst), fl.sport, fl.dport, fl.proto)
            label = hit if hit is not None else label
        if self.cic:
            row = self._cic_row(fl, reason, label)
        else:
            row = flow_row(fl, self.prec, self.schema, label)
        if self.first_packets:
            row += ',' + ','.join(first_packets_values(fl, self.first_packets, self.first_layout,
                                                       self.prec, US if self.cic else NS))
        self.emit(row)

    def _deadline_reason(self, fl):
        """(deadline, end reason if the flow ends by it).

        The deadline is the earliest of idle, active and linger (METERING.md
        section 3).  A connection closed by FIN or RST ends as fin or rst,
        whichever deadline comes first; otherwise, on equal deadlines, active
        wins over idle.
        """
        d, why = fl.last + (self.dns_idle if fl.dns else self.idle), 'idle'
        a = fl.first + self.active
        if a <= d:
            d, why = a, 'active'
        if fl.closed:
            d = min(d, fl.close + self.linger)
            why = fl.close_reason
        return d, why

    def _deadline(self, fl):
        return self._deadline_reason(fl)[0]

    def take(self, p):
        ts = p.ts
        if self.clock is None or ts > self.clock:
            self.clock = ts
        clock = self.clock

        # fragments (section 1)
        if p.frag is not None:
            # the match is on the interface, VLAN IDs, addresses, protocol,
            # identification and the tunnels with their tunnel key (METERING.md 1,
            # "Fragments"; 2)
            fkey = (p.iface_key, p.v0, p.v1, p.ver, p.src, p.dst, p.proto, p.ipid, p.tkinds, p.tkey)
            if p.frag == 'first':
                self.frags[fkey] = (clock, p.sport, p.dport, p.dnsid)
            else:
                ent = self.frags.get(fkey)
                if ent is not None and clock - ent[0] <= 30 * NS:
                    _t, p.sport, p.dport, p.dnsid = ent

        # end flows whose deadline is strictly earlier than the clock
        heap = self.heap
        while heap and heap[0][0] < clock:
            d, _s, fl = heapq.heappop(heap)
            if fl.ended or fl.deadline != d:
                continue  # stale entry
            self._end(fl, self._deadline_reason(fl)[1])

        ea = (p.src, p.sport)
        eb = (p.dst, p.dport)
        dns = p.proto == 17 and (p.sport == 53 or p.dport == 53)
        key = (p.iface_key, p.v0, p.v1, p.ver, p.proto) + ((ea, eb) if ea <= eb else (eb, ea)) \
            + ((p.dnsid,) if dns else (None,)) + (p.tkinds, p.tkey)
        fl = self.open.get(key)
        is_tcp = p.proto == 6
        if fl is not None and fl.closed and is_tcp and (p.flags & 0x12) == 0x02:
            self._end(fl, fl.close_reason)  # a new SYN on a lingering flow
            fl = None
        if fl is None:
            fl = Flow()
            fl.seq = self.seq
            self.seq += 1
            fl.key = key
            fl.iface = p.iface_text
            if is_tcp and (p.flags & 0x12) == 0x12:
                fl.src, fl.sport, fl.dst, fl.dport = p.dst, p.dport, p.src, p.sport
            else:
                fl.src, fl.sport, fl.dst, fl.dport = p.src, p.sport, p.dst, p.dport
            fl.proto = p.proto
            fl.dns = dns
            fl.first = fl.last = ts
            fl.closed = False
            fl.close = None
            fl.fin_rx = fl.fin_tx = False
            fl.deadline = None
            fl.rx = []
            fl.tx = []
            fl.pk = []
            fl.success = 0
            fl.ended = False
            fl.ver, fl.v0, fl.v1 = p.ver, p.v0, p.v1
            fl.close_reason = fl.end_reason = None
            fl.by_synack = is_tcp and (p.flags & 0x12) == 0x12
            fl.hs_syn = fl.hs_synack = fl.hs_ack = fl.hs_data = None
            fl.rx_flags = [0] * 8
            fl.rx_ip = fl.tx_ip = 0
            fl.tx_flags = [0] * 8
            fl.tkinds = p.tkinds
            fl.tsrc = fl.tdst = fl.rx_tid = fl.tx_tid = None
            if p.tcar is not None:
                # the flow's first packet: receiving unless it is a SYN-ACK (src is
                # then its destination); the carrier's source is src's side if so
                first_rx = p.src == fl.src and p.sport == fl.sport
                fl.tsrc, fl.tdst = p.tcar if first_rx else (p.tcar[1], p.tcar[0])
            if self.cic:
                fl.ck = []
                fl.icmp = (p.ityp, p.icode)   # the flow's first packet (taken order)
                # the next flow of a key whose last flow the active timeout ended
                fl.chain = self.chains.pop(key, None)
            self.open[key] = fl

        receiving = p.src == fl.src and p.sport == fl.sport
        (fl.rx if receiving else fl.tx).append((ts, p.wlen))
        tid = str(p.tid) if p.tid is not None else '-'
        if receiving:
            if fl.rx_tid is None:
                fl.rx_tid = tid
        elif fl.tx_tid is None:
            fl.tx_tid = tid
        fl.pk.append((ts, len(fl.pk), 0 if receiving else 1, p.wlen))
        # METERING.md section 1: the IP octets, the declared length unless the frame
        # holds less after its link header and tags (or it declares none)
        avail = max(0, p.wlen - p.l3off)
        ipo = p.ipdecl if 0 < p.ipdecl < avail else avail
        if receiving:
            fl.rx_ip += ipo
        else:
            fl.tx_ip += ipo
        if self.cic:
            # CIC.md "Terms": the payload from the IP octets (declared lengths);
            # a later fragment has no transport header (thl 0); other protocols 0
            if p.proto == 6 or p.proto == 17:
                pay = ipo - p.iphl - p.thl
                if pay < 0:
                    pay = 0
            else:
                pay = 0
            fl.ck.append((ts, 0 if receiving else 1, pay, p.thl, p.flags, p.win, p.seq, p.ack))
        if ts < fl.first:
            fl.first = ts
        if ts > fl.last:
            fl.last = ts
        if p.http is not None and 200 <= p.http <= 299:
            fl.success += 1
        if is_tcp:
            fg = p.flags  # 0 for a later fragment (no TCP header)
            cnt = fl.rx_flags if receiving else fl.tx_flags
            for i, (_name, bit) in enumerate(FLAG_BITS):
                if fg & bit:
                    cnt[i] += 1
            # the handshake, in the order packets are taken (COLUMNS.md)
            if fl.hs_syn is None:
                if receiving and (fg & 0x12) == 0x02:
                    fl.hs_syn = ts
            elif fl.hs_synack is None:
                if not receiving and (fg & 0x12) == 0x12:
                    fl.hs_synack = ts
            elif fl.hs_ack is None:
                if receiving and (fg & 0x12) == 0x10:
                    fl.hs_ack = ts
            if fl.hs_ack is not None and fl.hs_data is None and p.tpay:
                fl.hs_data = ts  # the ACK itself included
        if is_tcp and not fl.closed:
            if p.flags & 0x04:  # RST
                fl.closed = True
                fl.close = ts
                fl.close_reason = 'rst'
            elif p.flags & 0x01:  # FIN
                if receiving:
                    fl.fin_rx = True
                else:
                    fl.fin_tx = True
                if fl.fin_rx and fl.fin_tx:
                    fl.closed = True
                    fl.close = ts
                    fl.close_reason = 'fin'
        d = self._deadline(fl)
        if d != fl.deadline:
            fl.deadline = d
            heapq.heappush(heap, (d, fl.seq, fl))

    def finish(self):
        # a closed flow still lingering keeps its fin/rst; the others: eof
        for fl in sorted(self.open.values(), key=lambda x: x.seq):
            self._end(fl, fl.close_reason if fl.closed else 'eof')


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def seconds_to_ns(text):
    try:
        v = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError('not a number: %r' % text)
    if not v.is_finite() or v < 0:
        raise argparse.ArgumentTypeError('bad duration: %r' % text)
    return int(v * NS)


def run(path, idle_ns=120 * NS, active_ns=1800 * NS, linger_ns=5 * NS, prec=9,
        out=None, dns_idle_ns=30 * NS, schema='appflowmeter', label=None, rules=None,
        first_packets=0, first_layout='arrays', activity_ns=5 * NS, decap=True):
    """Meter one capture; write CSV lines to `out` (a file); return summary."""
    lines = []
    emit = lines.append
    skipped = {'not_ip': 0, 'truncated': 0, 'malformed': 0,
               'ipv6_ext_chain': 0, 'vlan_depth': 0, 'oversized': 0, 'tunnel': 0}
    npk = metered = 0
    meter = Meter(idle_ns, active_ns, linger_ns, prec, emit, dns_idle_ns, schema, label, rules)
    meter.first_packets, meter.first_layout = first_packets, first_layout
    meter.activity_ns = activity_ns
    for lt, ts, buf, wlen, iface in read_capture_ifaces(path):
        npk += 1
        if wlen > WIRE_LEN_MAX:   # METERING.md section 1: damage, not a frame
            skipped['oversized'] += 1
            continue
        p = parse_frame(lt, buf, decap)
        if isinstance(p, str):
            skipped[p] += 1
            continue
        metered += 1
        p.ts = ts
        # METERING.md 1.1: less the bytes before the innermost frame, never below 0
        p.wlen = max(0, wlen - p.fstart)
        p.iface_key, p.iface_text = iface
        meter.take(p)
    meter.finish()
    if out is not None:
        out.write(','.join(columns_for(schema) + first_packets_columns(first_packets, first_layout)) + '\n')
        for line in lines:
            out.write(line + '\n')
    return {'packets': npk, 'metered': metered, 'skipped': skipped,
            'flows': meter.nflows}, lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('capture')
    ap.add_argument('--idle-timeout', type=seconds_to_ns, default=120 * NS)
    ap.add_argument('--active-timeout', type=seconds_to_ns, default=1800 * NS)
    ap.add_argument('--close-linger', type=seconds_to_ns, default=5 * NS)
    ap.add_argument('--dns-timeout', type=seconds_to_ns, default=30 * NS)
    ap.add_argument('--precision', type=int, default=9)
    ap.add_argument('--schema', choices=SCHEMAS, default='appflowmeter')
    ap.add_argument('--label', help='text of the extended `label` column')
    ap.add_argument('--labels', help='label flows by the rules of this file (COLUMNS.md)')
    ap.add_argument('--first-packets', type=int, default=0, choices=range(0, 256), metavar='N')
    ap.add_argument('--first-packets-layout', choices=('arrays', 'columns'), default='arrays')
    ap.add_argument('--cic-activity-timeout', type=seconds_to_ns, default=None,
                    help='activity timeout of the CIC active/idle columns (s > 0, default 5)')
    ap.add_argument('--tunnels', choices=('decap', 'outer'), default='decap',
                    help='decap: meter the frame inside tunnels (METERING.md 1.1); outer: as on the wire')
    ap.add_argument('-o', '--output')
    a = ap.parse_args(argv)
    if a.precision < 1:
        ap.error('--precision must be >= 1')
    if a.label is not None and (a.label == '' or any(c in a.label for c in ',"\r\n')):
        ap.error('--label must be non-empty, without commas, quotes or line breaks')
    # CIC.md "With the other options": CIC schemas only, seconds above 0
    if a.cic_activity_timeout is not None:
        if a.schema not in CIC_SCHEMAS:
            ap.error('--cic-activity-timeout applies to the CIC schemas only')
        if a.cic_activity_timeout <= 0:
            ap.error('--cic-activity-timeout must be above 0')
    else:
        a.cic_activity_timeout = 5 * NS
    # With --schema appflowmeter the label is not written by the reference
    # (the meter then appends a label column; not modelled here).
    kw = dict(schema=a.schema, label=a.label, first_packets=a.first_packets,
              first_layout=a.first_packets_layout, activity_ns=a.cic_activity_timeout,
              decap=a.tunnels == 'decap')
    if a.labels:
        try:
            kw['rules'] = labels_ref.load(a.labels)
        except (labels_ref.RuleError, OSError) as e:
            print('afm_ref: --labels %s: %s' % (a.labels, e), file=sys.stderr)
            return 2
    try:
        if a.output:
            with open(a.output, 'w', newline='') as out:
                summary, _ = run(a.capture, a.idle_timeout, a.active_timeout,
                                 a.close_linger, a.precision, out, a.dns_timeout, **kw)
        else:
            summary, _ = run(a.capture, a.idle_timeout, a.active_timeout,
                             a.close_linger, a.precision, sys.stdout, a.dns_timeout, **kw)
    except (CaptureError, OSError) as e:
        print('afm_ref: %s: %s' % (a.capture, e), file=sys.stderr)
        return 2
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
