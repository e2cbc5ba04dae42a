"""--format jsonl: one JSON object a flow, the CSV's column names as keys, numbers as
JSON numbers with the CSV's very digits, text as JSON strings (issue 11).

Run from the repository root: BIN=build/app-flow-meter PCAPS=../shared/pcaps /usr/bin/python3 -m unittest tests/export/test_jsonl.py
"""
import csv
import glob
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'cli'))
import pcapgen as G  # noqa: E402
from test_cli import BIN, Meter  # noqa: E402
from test_output import StreamingMeter, T0, udp  # noqa: E402

PCAPS = os.environ.get('PCAPS', '../shared/pcaps')
# A label with what JSON must escape or carry: a backslash, a tab, a control byte, UTF-8
LABEL = 'A\\B\tC\x01 caf\u00e9 \u2713'


class Number(str):
    """A JSON number, as its text."""


def strict_objects(path):
    """Every line one JSON object (RFC 8259): no NaN or Infinity, no key twice."""
    def no_constants(name):
        raise ValueError('%s is not JSON' % name)

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError('a key twice: %s' % keys)
        return dict(pairs)
    out = []
    with open(path, 'rb') as f:
        data = f.read()
    text = data.decode('utf-8')         # strict: JSON text is UTF-8
    assert text.endswith('\n') or not text, 'the last line ends'
    for line in text.splitlines():
        obj = json.loads(line, parse_constant=no_constants, object_pairs_hook=no_duplicates,
                         parse_float=Number, parse_int=Number)
        assert isinstance(obj, dict), line
        out.append(obj)
    return out


def csv_rows(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.reader(f))


class JsonLines(Meter):
    def both(self, capture, *args):
        """The rows of one capture as CSV and as JSON lines, same settings."""
        c, j = self.path('flows.csv'), self.path('flows.jsonl')
        r1 = self.run_meter('-q', '-r', capture, '-o', c, *args)
        r2 = self.run_meter('-q', '-r', capture, '-o', j, '--format', 'jsonl', *args)
        self.assertEqual(r1.returncode, r2.returncode, r1.stderr + r2.stderr)
        return csv_rows(c), strict_objects(j)

    def assert_same(self, rows, objs, where):
        header, rows = rows[0], rows[1:]
        self.assertEqual(len(objs), len(rows), where)
        for n, (row, obj) in enumerate(zip(rows, objs)):
            self.assertEqual(list(obj.keys()), header, '%s: row %d: the CSV columns, in order' % (where, n))
            for name, text in zip(header, row):
                v = obj[name]
                numeric = isinstance(v, Number)
                self.assertEqual(str(v), text, '%s row %d %s' % (where, n, name))
                # a number is a JSON number: text columns are strings, numbers never are
                is_text = not _looks_numeric(text) or name in TEXT_COLUMNS
                self.assertEqual(numeric, not is_text, '%s row %d %s: %r' % (where, n, name, v))

    def test_every_shared_capture_equals_its_csv(self):
        captures = sorted(glob.glob(os.path.join(PCAPS, '*.pcap*')))
        self.assertGreater(len(captures), 20)
        for capture in captures:
            for args in (('--schema', 'extended', '--label', LABEL), ('--precision', '17',)):
                rows, objs = self.both(capture, *args)
                self.assert_same(rows, objs, os.path.basename(capture) + ' ' + ' '.join(args[:2]))

    def test_rotation_and_parts(self):
        G.write(self.path('ten.pcap'), [(T0 + i * 10 * G.NS, udp(1000 + i)) for i in range(10)])
        r = self.run_meter('-q', '-r', self.path('ten.pcap'), '-o', self.path('flows.jsonl'), '--format', 'jsonl',
                           '--rotate-rows', '3', '--idle-timeout', '1')
        self.assertEqual(r.returncode, 0, r.stderr)
        files = sorted(glob.glob(self.path('flows.*')))
        self.assertEqual([os.path.basename(f) for f in files],
                         ['flows.%06d.jsonl' % i for i in (1, 2, 3, 4)])
        ports = [int(o['src_port']) for f in files for o in strict_objects(f)]	# no header line
        self.assertEqual(ports, list(range(1000, 1010)))

    def test_bad_format(self):
        self.assert_error(self.run_meter('-r', 'x.pcap', '--format', 'xml'), 2, "'xml' is not csv or jsonl")

    def test_label_must_be_utf8(self):
        r = subprocess.run([os.fsencode(BIN), b'-r', b'x.pcap', b'--label', b'caf\xe9'], capture_output=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b'UTF-8', r.stderr)


class JsonLinesStreaming(StreamingMeter):
    def test_sighup_reopens_jsonl(self):
        out = self.path('l.jsonl')
        fifo, p = self.start('-o', out, '--format', 'jsonl')

        def logrotate():
            import time
            time.sleep(0.2)
            os.rename(out, out + '.1')
            p.send_signal(signal.SIGHUP)
        th = self.feed(fifo, self.packets(10), 0.05, during=logrotate)
        th.join()
        self.assertEqual(p.wait(timeout=30), 0)
        p.stderr.close()
        old, new = strict_objects(out + '.1'), strict_objects(out)
        self.assertGreater(len(old), 0)
        self.assertGreater(len(new), 0)
        self.assertEqual([int(o['src_port']) for o in old + new], list(range(2000, 2010)))


# Columns whose values are text even when they look like numbers (docs/COLUMNS.md).
TEXT_COLUMNS = {'flow_id', 'timestamp', 'src_ip', 'dst_ip', 'protocol', 'vlan_ids', 'first_packet_time',
                'last_packet_time', 'end_reason', 'interface', 'label'}


def _looks_numeric(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


if __name__ == '__main__':
    unittest.main()
