"""An IPFIX decoder for the tests, written from RFC 7011 (messages, sets, templates,
data records, variable-length fields), RFC 5103 (reverse elements, PEN 29305) and
RFC 5610 (information element type records), and from IANA's registry: it shares
no code or table with the meter (user/output/ipfix_elements.c).

    messages = read_tcp_stream(bytes) | [datagram, ...]
    d = Decoder(); d.feed(message) for each; d.records, d.types, d.problems
"""
import struct
import sys

NTP_UNIX = 2208988800
REVERSE_PEN = 29305

# IANA "IPFIX Information Elements" (https://www.iana.org/assignments/ipfix): the ones
# a flow meter's records may hold, id -> (name, abstract data type).
IANA = {
    4: ('protocolIdentifier', 'unsigned8'),
    6: ('tcpControlBits', 'unsigned16'),
    7: ('sourceTransportPort', 'unsigned16'),
    8: ('sourceIPv4Address', 'ipv4Address'),
    10: ('ingressInterface', 'unsigned32'),
    11: ('destinationTransportPort', 'unsigned16'),
    12: ('destinationIPv4Address', 'ipv4Address'),
    27: ('sourceIPv6Address', 'ipv6Address'),
    28: ('destinationIPv6Address', 'ipv6Address'),
    58: ('vlanId', 'unsigned16'),
    60: ('ipVersion', 'unsigned8'),
    82: ('interfaceName', 'string'),
    85: ('octetTotalCount', 'unsigned64'),
    86: ('packetTotalCount', 'unsigned64'),
    136: ('flowEndReason', 'unsigned8'),
    152: ('flowStartMilliseconds', 'dateTimeMilliseconds'),
    153: ('flowEndMilliseconds', 'dateTimeMilliseconds'),
    156: ('flowStartNanoseconds', 'dateTimeNanoseconds'),
    157: ('flowEndNanoseconds', 'dateTimeNanoseconds'),
    210: ('paddingOctets', 'octetArray'),
    245: ('dot1qCustomerVlanId', 'unsigned16'),
    303: ('informationElementId', 'unsigned16'),
    339: ('informationElementDataType', 'unsigned8'),
    340: ('informationElementDescription', 'string'),
    341: ('informationElementName', 'string'),
    342: ('informationElementRangeBegin', 'unsigned64'),
    343: ('informationElementRangeEnd', 'unsigned64'),
    344: ('informationElementSemantics', 'unsigned8'),
    345: ('informationElementUnits', 'unsigned16'),
    346: ('privateEnterpriseNumber', 'unsigned32'),
    353: ('layer2OctetTotalCount', 'unsigned64'),
}
# RFC 5610, 3.1: informationElementDataType values
DATA_TYPES = ['octetArray', 'unsigned8', 'unsigned16', 'unsigned32', 'unsigned64', 'signed8',
              'signed16', 'signed32', 'signed64', 'float32', 'float64', 'boolean', 'macAddress',
              'string', 'dateTimeSeconds', 'dateTimeMilliseconds', 'dateTimeMicroseconds',
              'dateTimeNanoseconds', 'ipv4Address', 'ipv6Address']


def read_tcp_stream(data):
    """Split a TCP stream into messages by their length fields."""
    out, i = [], 0
    while i + 16 <= len(data):
        version, length = struct.unpack_from('!HH', data, i)
        if version != 10 or length < 16 or i + length > len(data):
            raise ValueError('stream: bad message at byte %d (version %d, length %d)' % (i, version, length))
        out.append(data[i:i + length])
        i += length
    if i != len(data):
        raise ValueError('stream: %d bytes left after the last message' % (len(data) - i))
    return out


def read_frames(data):
    """The collector's file of datagrams: each as a 4-byte big-endian length, then it."""
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from('!I', data, i)
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def ipv6_text(b):
    import ipaddress
    return str(ipaddress.IPv6Address(b))


def decode_value(kind, b):
    if kind.startswith('unsigned') or kind == 'dateTimeMilliseconds':
        return int.from_bytes(b, 'big')       # reduced-size encoding allowed (RFC 7011, 6.2)
    if kind == 'float64':
        return struct.unpack('!d', b)[0]
    if kind == 'float32':
        return struct.unpack('!f', b)[0]
    if kind == 'string':
        return b.decode('utf-8')              # RFC 7011, 6.1.6: UTF-8
    if kind == 'ipv4Address':
        return '.'.join(str(x) for x in b)
    if kind == 'ipv6Address':
        return ipv6_text(b)
    if kind == 'dateTimeNanoseconds':         # RFC 7011, 6.1.10: NTP seconds, 2^-32 fractions
        sec, frac = struct.unpack('!II', b)
        return (sec - NTP_UNIX) * 10**9 + (frac * 10**9 + 2**31) // 2**32
    return b


class Decoder:
    def __init__(self):
        self.templates = {}     # (domain, tid) -> [(pen, id, length)], scope count
        self.types = {}         # (pen, id) -> dict(name, type, semantics, units, description)
        self.records = []       # (domain, tid, {name: value})
        self.expected_seq = {}  # domain -> next sequence number
        self.data_records = {}  # domain -> data records seen
        self.problems = []
        self.messages = 0
        self.template_sets = 0

    def name_type(self, pen, ie):
        if pen == 0 and ie in IANA:
            return IANA[ie]
        if pen == REVERSE_PEN and ie in IANA:
            n, t = IANA[ie]
            return 'reverse' + n[0].upper() + n[1:], t
        if (pen, ie) in self.types:
            t = self.types[(pen, ie)]
            return t['name'], t['type']
        return None, None

    def feed(self, msg):
        version, length, export_time, seq, domain = struct.unpack_from('!HHIII', msg, 0)
        if version != 10 or length != len(msg):
            self.problems.append('message %d: version %d, length %d of %d' % (self.messages, version, length, len(msg)))
            return
        want = self.expected_seq.get(domain)
        if want is not None and seq != want:
            self.problems.append('message %d: sequence number %d, expected %d' % (self.messages, seq, want))
        self.messages += 1
        i, n_data = 16, 0
        while i < length:
            if i + 4 > length:
                self.problems.append('a set header cut short')
                break
            set_id, set_len = struct.unpack_from('!HH', msg, i)
            if set_len < 4 or i + set_len > length:
                self.problems.append('set %d: bad length %d' % (set_id, set_len))
                break
            body = msg[i + 4:i + set_len]
            if set_id in (2, 3):
                self.template_sets += 1
                self.read_templates(domain, set_id, body)
            elif set_id >= 256:
                n = self.read_data(domain, set_id, body)
                n_data = None if n is None or n_data is None else n_data + n
            else:
                self.problems.append('reserved set ID %d' % set_id)
            i += set_len
        # RFC 7011, 3.1: the sequence number counts the data records sent before this message
        # (after a set it could not read, the count is unknown)
        self.expected_seq[domain] = None if n_data is None else (seq + n_data) % 2**32

    def read_templates(self, domain, set_id, b):
        i = 0
        while i + 4 <= len(b):
            tid, count = struct.unpack_from('!HH', b, i)
            i += 4
            scope = 0
            if set_id == 3:
                (scope,) = struct.unpack_from('!H', b, i)
                i += 2
            if tid < 256:
                self.problems.append('template ID %d below 256' % tid)
            fields = []
            for _ in range(count):
                ie, flen = struct.unpack_from('!HH', b, i)
                i += 4
                pen = 0
                if ie & 0x8000:
                    (pen,) = struct.unpack_from('!I', b, i)
                    i += 4
                    ie &= 0x7fff
                fields.append((pen, ie, flen))
                if self.name_type(pen, ie)[0] is None:
                    self.problems.append('template %d: element %d/%d before its type record (RFC 5610)' % (tid, pen, ie))
            self.templates[(domain, tid)] = (fields, scope)
            if len(b) - i < 4:      # padding
                break

    def read_data(self, domain, tid, b):
        if (domain, tid) not in self.templates:
            self.problems.append('data set %d before its template' % tid)
            return None
        fields, scope = self.templates[(domain, tid)]
        minimum = sum(1 if f == 65535 else f for _, _, f in fields)  # RFC 7011, 3.3.1: padding < a record
        i, n = 0, 0
        while len(b) - i >= max(minimum, 1):
            rec = {}
            for pen, ie, flen in fields:
                if flen == 65535:           # RFC 7011, 7: one byte, or 255 and two more
                    flen = b[i]
                    i += 1
                    if flen == 255:
                        (flen,) = struct.unpack_from('!H', b, i)
                        i += 2
                value = b[i:i + flen]
                i += flen
                name, kind = self.name_type(pen, ie)
                if name is None:
                    self.problems.append('element %d/%d in template %d is not described (RFC 5610)' % (pen, ie, tid))
                    name, kind = '%d/%d' % (pen, ie), 'octetArray'
                rec[name] = decode_value(kind, value)
            n += 1
            if scope and 'informationElementName' in rec:
                self.types[(rec['privateEnterpriseNumber'], rec['informationElementId'])] = {
                    'name': rec['informationElementName'],
                    'type': DATA_TYPES[rec['informationElementDataType']],
                    'semantics': rec['informationElementSemantics'],
                    'units': rec['informationElementUnits'],
                    'description': rec.get('informationElementDescription', ''),
                }
            else:
                self.records.append((domain, tid, rec))
        return n


def decode_file(path, tcp):
    data = open(path, 'rb').read()
    d = Decoder()
    for m in (read_tcp_stream(data) if tcp else read_frames(data)):
        d.feed(m)
    return d


if __name__ == '__main__':
    d = decode_file(sys.argv[1], sys.argv[2] == 'tcp')
    for p in d.problems:
        print('problem:', p)
    for r in d.records[:int(sys.argv[3]) if len(sys.argv) > 3 else 3]:
        print(r)
    print('%d messages, %d records, %d types' % (d.messages, len(d.records), len(d.types)))
