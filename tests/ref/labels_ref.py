"""Labels from rules (--labels FILE), from docs/COLUMNS.md, "Labels from rules".

Written from the docs, not from the C code: the times go through datetime, the
networks through ipaddress.
"""
import datetime
import ipaddress
import re

HEADER = 'start,end,src,dst,port,protocol,label'
PROTOCOLS = {'icmp': 1, 'igmp': 2, 'ipip': 4, 'tcp': 6, 'udp': 17, 'ipv6': 41,
             'gre': 47, 'esp': 50, 'ah': 51, 'icmpv6': 58, 'ipv6-icmp': 58,
             'ospf': 89, 'pim': 103, 'vrrp': 112, 'l2tp': 115, 'sctp': 132,
             'udplite': 136}
TIME = re.compile(r'(\d{4})-(\d{2})-(\d{2})'
                  r'(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
                  r'(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$')
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class RuleError(ValueError):
    pass


def parse_time(text):
    m = TIME.match(text)
    if not m:
        raise RuleError('time %r' % text)
    y, mo, d, h, mi, s, frac, _z, sign, oh, om = m.groups()
    tz = datetime.timezone.utc
    if sign:
        if int(oh) > 23 or int(om) > 59:
            raise RuleError('offset %r' % text)
        off = datetime.timedelta(hours=int(oh), minutes=int(om))
        tz = datetime.timezone(off if sign == '+' else -off)
    try:
        t = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0),
                              int(s or 0), tzinfo=tz)
    except ValueError as e:
        raise RuleError('time %r: %s' % (text, e))
    delta = t - EPOCH
    ns = (delta.days * 86400 + delta.seconds) * 10**9
    if frac:
        ns += int((frac + '0' * 9)[:9])
    if ns < 0 or int(y) < 1970:
        raise RuleError('time %r before 1970' % text)
    return ns


def parse_net(text):
    if text == '*':
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as e:
        raise RuleError('network %r: %s' % (text, e))


def parse_port(text):
    if text == '*':
        return (0, 65535)
    m = re.fullmatch(r'(\d+)(?:-(\d+))?', text)
    if not m:
        raise RuleError('port %r' % text)
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) else a
    if a > 65535 or b > 65535 or a > b:
        raise RuleError('port %r' % text)
    return (a, b)


def parse_proto(text):
    if text == '*':
        return None
    if text.lower() in PROTOCOLS:
        return PROTOCOLS[text.lower()]
    if re.fullmatch(r'\d+', text) and int(text) <= 255:
        return int(text)
    raise RuleError('protocol %r' % text)


def load(path):
    """The rules of a file, in order; RuleError('line N: ...') when one is wrong."""
    rules = []
    header = False
    with open(path, encoding='utf-8', newline='') as f:
        lines = f.read().split('\n')
    for n, line in enumerate(lines, 1):
        line = line.split('\r')[0].strip(' \t')
        if not line or line.startswith('#'):
            continue
        if not header:
            if line != HEADER:
                raise RuleError('line %d: header %r' % (n, line))
            header = True
            continue
        fields = [x.strip(' \t') for x in line.split(',')]
        if len(fields) != 7 or '"' in line:
            raise RuleError('line %d: %d fields' % (n, len(fields)))
        try:
            start = 0 if fields[0] == '*' else parse_time(fields[0])
            end = None if fields[1] == '*' else parse_time(fields[1])
            if end is not None and end <= start:
                raise RuleError('end not after start')
            src, dst = parse_net(fields[2]), parse_net(fields[3])
            port = parse_port(fields[4])
            proto = parse_proto(fields[5])
        except RuleError as e:
            raise RuleError('line %d: %s' % (n, e))
        label = fields[6]
        if not label or len(label.encode()) > 200:
            raise RuleError('line %d: label %r' % (n, label))
        rules.append((start, end, src, dst, port, proto, label))
    if not header:
        raise RuleError('no header')
    return rules


def _in(net, addr):
    return net is None or (net.version == addr.version and addr in net)


def label_of(rules, first_ns, a, b, pa, pb, proto):
    """The first rule's label that a flow matches, or None. a, b: its two addresses
    (ipaddress objects), pa, pb: their ports, first_ns: its first packet's time."""
    for start, end, src, dst, (lo, hi), p, label in rules:
        if first_ns < start or (end is not None and first_ns >= end):
            continue
        if p is not None and p != proto:
            continue
        if not (lo <= pa <= hi or lo <= pb <= hi):
            continue
        if (_in(src, a) and _in(dst, b)) or (_in(src, b) and _in(dst, a)):
            return label
    return None
