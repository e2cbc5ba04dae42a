"""What an IPFIX record of a flow must say, column by column, against the CSV row of the
same flow: the contract of docs/EXPORT.md, written from the docs, not from the meter's
code. check(record, row, types) -> (problems, columns covered).
"""
import datetime
import ipaddress
import math
import os
import re
from decimal import Decimal

END_REASON = {'idle': 1, 'active': 2, 'fin': 3, 'rst': 3, 'eof': 4, 'shutdown': 4, 'evicted': 5}
FLAG_BITS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr']    # TCP header byte 13, bit 0 first
# IANA elements that carry a column exactly (RFC 5103: sending in the reverse ones)
IANA_COLUMNS = {
    'packetTotalCount': 'receiving_packets_numbers',
    'reversePacketTotalCount': 'sending_packets_numbers',
    'layer2OctetTotalCount': 'receiving_bytes',
    'reverseLayer2OctetTotalCount': 'sending_bytes',
    'octetTotalCount': 'receiving_ip_bytes',
    'reverseOctetTotalCount': 'sending_ip_bytes',
    'ipVersion': 'ip_version',
    'interfaceName': 'interface',
}
# In every record, whatever the columns (docs/EXPORT.md, "The identity")
IDENTITY = ['flowStartMilliseconds', 'flowEndMilliseconds', 'flowStartNanoseconds', 'flowEndNanoseconds',
            'sourceTransportPort', 'destinationTransportPort', 'protocolIdentifier', 'tcpControlBits',
            'reverseTcpControlBits', 'flowEndReason', 'ingressInterface', 'packetTotalCount',
            'reversePacketTotalCount', 'octetTotalCount', 'reverseOctetTotalCount', 'layer2OctetTotalCount',
            'reverseLayer2OctetTotalCount']
COLUMNS_MD = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs', 'COLUMNS.md')


def column_numbers():
    """docs/COLUMNS.md's numbering: name -> number."""
    out = {}
    with open(COLUMNS_MD) as f:
        for line in f:
            m = re.match(r'\| (\d+) \| `([a-z_]+)` \|', line)
            if m:
                out[m.group(2)] = int(m.group(1))
    return out


def snake(camel):
    return re.sub('([A-Z])', lambda m: '_' + m.group(1).lower(), camel)


def epoch_ns(text):
    sec, _, frac = text.partition('.')
    return int(sec) * 10**9 + int((frac + '000000000')[:9])


def utc_text(ns):
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    return t.strftime('%Y-%m-%d %H:%M:%S') + '.%06d' % (ns % 10**9 // 1000)


def close(a, b, rel=1e-9):
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def check(rec, row, types, pen, live=False):
    """rec: element name -> value; row: column -> CSV text; types: (pen, id) -> RFC 5610."""
    bad, covered = [], set()

    def expect(col, got, want, what):
        covered.add(col)
        if got != want:
            bad.append('%s: %s is %r, the CSV says %r' % (col, what, got, want))

    v6 = 'sourceIPv6Address' in rec
    src, dst = (rec.get('sourceIPv6Address'), rec.get('destinationIPv6Address')) if v6 else \
        (rec.get('sourceIPv4Address'), rec.get('destinationIPv4Address'))
    for name in IDENTITY:
        if name not in rec:
            bad.append('the identity element %s is missing' % name)
    if src is None or dst is None:
        return bad + ['no addresses'], covered
    start, end = rec.get('flowStartNanoseconds', 0), rec.get('flowEndNanoseconds', 0)
    if rec.get('flowStartMilliseconds') != start // 10**6 or rec.get('flowEndMilliseconds') != end // 10**6:
        bad.append('milliseconds %r/%r disagree with nanoseconds %d/%d' %
                   (rec.get('flowStartMilliseconds'), rec.get('flowEndMilliseconds'), start, end))
    for col, text in row.items():
        if col == 'src_ip':
            expect(col, ipaddress.ip_address(src), ipaddress.ip_address(text), 'the source address')
        elif col == 'dst_ip':
            expect(col, ipaddress.ip_address(dst), ipaddress.ip_address(text), 'the destination address')
        elif col == 'src_port':
            expect(col, rec.get('sourceTransportPort'), int(text), 'sourceTransportPort')
        elif col == 'dst_port':
            expect(col, rec.get('destinationTransportPort'), int(text), 'destinationTransportPort')
        elif col == 'ip_protocol':
            expect(col, rec.get('protocolIdentifier'), int(text), 'protocolIdentifier')
        elif col == 'timestamp':
            expect(col, utc_text(start), text, 'flowStartNanoseconds')
        elif col == 'flow_id':
            fid = '%s--%s--%d--%s--%d' % (utc_text(start), row.get('src_ip', src), rec.get('sourceTransportPort'),
                                          row.get('dst_ip', dst), rec.get('destinationTransportPort'))
            expect(col, fid, text, 'flow_id of the identity')
        elif col == 'first_packet_time':
            expect(col, start, epoch_ns(text), 'flowStartNanoseconds')
        elif col == 'last_packet_time':
            expect(col, end, epoch_ns(text), 'flowEndNanoseconds')
        elif col == 'end_reason':
            expect(col, rec.get('flowEndReason'), END_REASON.get(text), 'flowEndReason')
        elif col == 'vlan_ids':
            outer, _, inner = text.partition(':')
            expect(col, (rec.get('vlanId'), rec.get('dot1qCustomerVlanId')), (int(outer), int(inner or 0)),
                   'vlanId, dot1qCustomerVlanId')
        elif col == 'interface' and not live:
            expect('interface', rec.get('ingressInterface'), 0, 'ingressInterface (a capture)')
    for direction, element in (('receiving', 'tcpControlBits'), ('sending', 'reverseTcpControlBits')):
        if '%s_syn_flags' % direction in row:
            bits = sum(1 << i for i, f in enumerate(FLAG_BITS) if int(row['%s_%s_flags' % (direction, f)]) > 0)
            if rec.get(element) != bits:
                bad.append('%s %r, the flag columns say %r' % (element, rec.get(element), bits))
    for name, value in rec.items():
        if name in IANA_COLUMNS:
            col = IANA_COLUMNS[name]
            if col not in row:
                if name not in IDENTITY:
                    bad.append('%s carries %s, which is not a column of the run' % (name, col))
                continue
            want = row[col] if isinstance(value, str) else int(row[col])
            expect(col, value, want, name)
    described = {t['name']: (k, t) for k, t in types.items() if k[0] == pen}
    for name, value in rec.items():
        if name not in described:
            continue
        (_, ie), t = described[name]
        col = snake(name)
        if col not in row:
            bad.append('enterprise element %s: no column %s in the CSV' % (name, col))
            continue
        covered.add(col)
        text = row[col]
        if t['type'] == 'unsigned64':
            ok = value == int(text)
        elif t['type'] == 'float64':
            ok = close(value, float(text))
        elif t['type'] == 'string':
            ok = value == text
        else:
            ok = False
        if not ok:
            bad.append('%s (%s %d): %r, the CSV says %r' % (col, t['type'], ie, value, text))
    if 'duration' in row and Decimal(end - start) / 10**9 != Decimal(row['duration']):
        bad.append('flowEnd - flowStart = %d ns, the CSV duration %s' % (end - start, row['duration']))
    missing = [c for c in row if c not in covered]
    if missing:
        bad.append('columns no element carries: %s' % missing)
    return bad, covered
