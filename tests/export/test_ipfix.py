"""--ipfix: every element of every record, the templates, the RFC 5610 type records and
the sequence numbers, read by an independent decoder (ipfix_decode.py) and held to the
CSV of the same run (ipfix_check.py); and the faults: a collector absent, killed and
restarted, stalled or slow (issue 11).

Run from the repository root: BIN=build/app-flow-meter PCAPS=../shared/pcaps /usr/bin/python3 -m unittest tests/export/test_ipfix.py
"""
import csv
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'cli'))
sys.path.insert(0, HERE)
import ipfix_check as C  # noqa: E402
import ipfix_decode as D  # noqa: E402
import pcapgen as G  # noqa: E402
from test_cli import BIN, Meter  # noqa: E402
from test_output import T0, udp  # noqa: E402

PCAPS = os.path.abspath(os.environ.get('PCAPS', '../shared/pcaps'))
PEN = 32473


class Collector:
    """collector.py in the background: its port, and what it kept."""

    def __init__(self, proto, out, *args, port=0):
        self.proto, self.out = proto, out
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, 'collector.py'), proto, out,
                                   '--port', str(port), *args], stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline())

    def url(self):
        return '%s://127.0.0.1:%d' % (self.proto, self.port)

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        self.p.wait(timeout=30)
        self.p.stdout.close()

    def messages(self, connection=1):
        if self.proto == 'udp':
            with open(self.out, 'rb') as f:
                return D.read_frames(f.read())
        with open('%s.%d' % (self.out, connection), 'rb') as f:
            return D.read_tcp_stream(f.read())

    def decode(self, connection=1):
        d = D.Decoder()
        for m in self.messages(connection):
            d.feed(m)
        return d


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_csv(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))


class Export(Meter):
    def export(self, capture, proto, *args, collector_args=()):
        """One run to a collector: the CSV rows, the decoder, the counters, the meter's stderr."""
        col = Collector(proto, self.path('got.%s' % proto), *collector_args)
        out, stats = self.path('flows.csv'), self.path('stats.json')
        r = self.run_meter('-q', '-r', capture, '-o', out, '--ipfix', col.url(), '--stats-json', stats, *args)
        col.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(stats) as f:
            s = json.load(f)
        return read_csv(out), col.decode(), s, r.stderr, col

    def assert_records(self, rows, d, where, pen=PEN):
        self.assertEqual(d.problems, [], where)
        self.assertEqual(len(d.records), len(rows), where + ': one record a flow, none extra')
        for n, ((_, tid, rec), row) in enumerate(zip(d.records, rows)):   # in the order of the rows
            bad, _ = C.check(rec, row, d.types, pen)
            self.assertEqual(bad, [], '%s: flow %d (template %d)' % (where, n, tid))

    def test_every_shared_capture_over_tcp_every_column(self):
        captures = sorted(glob.glob(os.path.join(PCAPS, '*.pcap*')))
        self.assertGreater(len(captures), 20)
        for capture in captures:
            rows, d, s, _, _ = self.export(capture, 'tcp', '--schema', 'extended', '--precision', '17')
            where = os.path.basename(capture)
            self.assert_records(rows, d, where)
            self.assertEqual((s['export_sent'], s['export_lost']), (len(rows), 0), where)
            self.assertEqual(s['rows_written'], len(rows), where)

    def test_every_shared_capture_over_udp_the_default_schema(self):
        for capture in sorted(glob.glob(os.path.join(PCAPS, '*.pcap*'))):
            rows, d, s, _, col = self.export(capture, 'udp', '--precision', '17', '--label', 'BENIGN')
            where = os.path.basename(capture)
            self.assert_records(rows, d, where)
            self.assertEqual((s['export_sent'], s['export_lost']), (len(rows), 0), where)
            self.assertTrue(all(len(m) <= 1400 for m in col.messages()), where + ': a datagram within the MTU')

    def test_templates_and_type_records(self):
        # IPv4 and IPv6 flows in one run: both templates
        rows, d, _, _, col = self.export(os.path.join(PCAPS, "ndpi_http-ipv6.pcap"), "tcp", "--schema", "extended",
                                         '--precision', '17', '--ipfix-domain', '77', '-r',
                                         os.path.join(PCAPS, 'zeek_ssh.pcap'))
        self.assert_records(rows, d, 'ipv6')
        tids = {tid for (_, tid) in d.templates}
        self.assertEqual(tids, {256, 257, 258})
        self.assertEqual({dom for (dom, _) in d.templates}, {77}, '--ipfix-domain in every message')
        names = lambda tid: [D.IANA.get(ie, ('',))[0] if pen == 0 else (pen, ie) for pen, ie, _ in d.templates[(77, tid)][0]]
        self.assertEqual(names(256)[:2], ['sourceIPv4Address', 'destinationIPv4Address'])
        self.assertEqual(names(257)[:2], ['sourceIPv6Address', 'destinationIPv6Address'])
        self.assertTrue(any(tid == 257 for _, tid, _ in d.records) and any(tid == 256 for _, tid, _ in d.records))
        self.assertEqual(d.templates[(77, 258)][1], 2, 'the type template: two scope fields (RFC 5610)')
        # a type record for every enterprise element: the column's number, its name in camelCase
        numbers = C.column_numbers()
        enterprise = {(pen, ie) for pen, ie, _ in d.templates[(77, 256)][0] if pen == PEN}
        self.assertEqual(enterprise, {k for k in d.types if k[0] == PEN})
        for (pen, ie), t in d.types.items():
            column = C.snake(t['name'])
            self.assertEqual(numbers[column], ie, column)
            self.assertIn(column, t['description'])
            self.assertIn(t['type'], ('unsigned64', 'float64', 'string'), column)
        self.assertEqual(d.types[(PEN, numbers['packets_numbers'])]['type'], 'unsigned64')
        self.assertEqual(d.types[(PEN, numbers['mean_packets_len'])]['type'], 'float64')
        self.assertEqual(d.types[(PEN, numbers['label'])]['type'], 'string')
        # the templates come before the first data record of theirs, the type records before them
        first = col.messages()[0]
        self.assertEqual(D.struct.unpack_from('!I', first, 8)[0], 0, 'sequence numbers start at 0')

    def test_the_template_follows_columns_and_pen(self):
        cols = 'src_ip,dst_ip,packets_numbers,mean_packets_len,sending_bytes,label'
        rows, d, _, _, _ = self.export(os.path.join(PCAPS, 'zeek_ssh.pcap'), 'tcp', '--columns', cols,
                                       '--precision', '17', '--ipfix-pen', '4242', '--label', 'x')
        self.assert_records(rows, d, 'columns', pen=4242)
        fields = d.templates[(0, 256)][0]
        self.assertEqual(sorted((pen, ie) for pen, ie, _ in fields if pen == 4242),
                         [(4242, 9), (4242, 19), (4242, 113)])
        self.assertIn((D.REVERSE_PEN, 353), [(pen, ie) for pen, ie, _ in fields], 'sending_bytes: reverse layer 2')
        self.assertEqual(len(fields), 19 + 3, 'the identity, then what the columns need')

    def test_udp_messages_within_the_mtu(self):
        rows, d, _, _, col = self.export(os.path.join(PCAPS, 'ndpi_synscan.pcap'), 'udp', '--ipfix-mtu', '1000',
                                         '--precision', '17')
        self.assert_records(rows, d, 'mtu')
        self.assertTrue(all(len(m) <= 1000 for m in col.messages()))
        self.assertGreater(len(col.messages()), len(rows) // 2, 'records spread over many datagrams')
        out = self.path('keep.csv')
        with open(out, 'w') as f:
            f.write('precious')
        self.assert_error(self.run_meter('-r', os.path.join(PCAPS, 'zeek_ssh.pcap'), '--schema', 'extended', '-o', out,
                                         '--ipfix', 'udp://127.0.0.1:9', '--ipfix-mtu', '1000'), 2, '--ipfix-mtu 1000')
        with open(out) as f:
            self.assertEqual(f.read(), 'precious', 'a refused run leaves files as they were')

    def test_bad_collectors(self):
        cap = os.path.join(PCAPS, 'zeek_ssh.pcap')
        for url, what in (('http://x', 'udp://HOST[:PORT]'), ('udp://', 'names no host'),
                          ('udp://127.0.0.1:0', 'port must be'), ('tcp://[::1', 'brackets'),
                          ('udp://::1:4739', 'brackets'), ('udp://no.such.host.invalid', 'cannot resolve')):
            self.assert_error(self.run_meter('-r', cap, '--ipfix', url), 2, what)
        self.assert_error(self.run_meter('-r', cap, '--ipfix', 'udp://a', '--ipfix', 'udp://b'), 2, 'twice')
        self.assert_error(self.run_meter('-r', cap, '--ipfix-pen', '29305'), 2, 'reverse')
        self.assert_error(self.run_meter('-r', cap, '--ipfix-pen', '0'), 2, '--ipfix-pen')
        self.assert_error(self.run_meter('-r', cap, '--ipfix-mtu', '100'), 2, '--ipfix-mtu')

    def test_ipfix_alone_writes_no_file(self):
        col = Collector('tcp', self.path('got'))
        r = subprocess.run([BIN, '-r', os.path.join(PCAPS, 'zeek_ssh.pcap'), '--ipfix', col.url()],
                           capture_output=True, text=True, timeout=60, cwd=self.dir)
        col.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '', 'no rows on standard output')
        self.assertIn('25 exported to %s, 0 export lost' % col.url(), r.stderr)
        self.assertNotIn('rows written', r.stderr)
        self.assertEqual(len(col.decode().records), 25)


class Faults(Meter):
    def stream(self, *args, n=40, pause=0.05, during=None):
        """A capture fed through a pipe, n flows (each ended by the next's idle timeout)."""
        fifo = self.path('in.pcap')
        os.mkfifo(fifo)
        stats = self.path('stats.json')
        p = subprocess.Popen([BIN, '-r', fifo, '--idle-timeout', '1', '-o', self.path('f.csv'),
                              '--stats-json', stats, *args], stderr=subprocess.PIPE, text=True)

        def writer():
            with open(fifo, 'wb') as f:
                f.write(G.pcap_header())
                for i in range(n):
                    f.write(G.record(T0 + i * 2 * G.NS, udp(3000 + i)))
                    f.flush()
                    if during and i in during:
                        during[i]()
                    time.sleep(pause)
        th = threading.Thread(target=writer)
        th.start()
        th.join()
        err = p.communicate(timeout=120)[1]
        self.assertEqual(p.returncode, 0, err)
        with open(stats) as f:
            s = json.load(f)
        rows = read_csv(self.path('f.csv'))
        self.assertEqual(len(rows), n, 'the CSV is whole, whatever the collector did')
        self.assertEqual(s['export_sent'] + s['export_lost'], n, 'every record sent or counted lost')
        return s, err

    def test_tcp_collector_absent_at_start(self):
        s, err = self.stream('--ipfix', 'tcp://127.0.0.1:%d' % free_port(), n=10, pause=0.01)
        self.assertEqual(s['export_lost'], 10)
        self.assertIn('Connection refused; retrying', err)

    def test_udp_collector_absent(self):
        s, err = self.stream('--ipfix', 'udp://127.0.0.1:%d' % free_port(), n=10)
        self.assertGreater(s['export_lost'], 0)
        self.assertIn('Connection refused', err)

    def test_tcp_collector_killed_and_restarted(self):
        first = Collector('tcp', self.path('a'))
        port, box = first.port, {}

        def kill():
            first.stop(signal.SIGKILL)

        def restart():
            box['second'] = Collector('tcp', self.path('b'), port=port)
        s, err = self.stream('--ipfix', first.url(), n=60, during={15: kill, 30: restart})
        box['second'].stop()
        self.assertIn('reconnecting', err)
        self.assertIn('connected again', err)
        got = 0
        for col in (first, box['second']):
            d = col.decode()
            self.assertEqual(d.problems, [], 'every connection decodes on its own: templates first')
            msgs = col.messages()
            self.assertIn(D.struct.unpack_from('!H', msgs[0], 16)[0], (2, 3), 'a connection begins with templates')
            got += len(d.records)
        self.assertGreater(got, 30)
        self.assertLessEqual(got, s['export_sent'])
        ports = [r['sourceTransportPort'] for r in box['second'].decode().records for r in [r[2]]]
        self.assertIn(3000 + 58, ports, 'the flows after the restart reach the new collector')

    def test_udp_collector_restarted(self):
        first = Collector('udp', self.path('a'))
        port, box = first.port, {}

        def kill():
            first.stop(signal.SIGKILL)

        def restart():
            box['second'] = Collector('udp', self.path('b'), port=port)
        s, _ = self.stream('--ipfix', first.url(), '--ipfix-template-refresh', '0.5', n=60,
                           during={15: kill, 30: restart})
        box['second'].stop()
        d = box['second'].decode()
        # UDP: what came before the collector had the templates (and type records) is
        # lost to it; what comes after the next refresh decodes whole
        whole = [r for _, _, r in d.records if not any('/' in k for k in r)]
        self.assertGreater(len(whole), 10, 'records after the restart decode (templates sent again)')
        self.assertEqual([r['sourceTransportPort'] for r in whole[-5:]], [3000 + i for i in range(55, 60)])

    def test_templates_refresh_over_udp(self):
        col = Collector('udp', self.path('a'))
        self.stream('--ipfix', col.url(), '--ipfix-template-refresh', '0.3', n=30)
        col.stop()
        sets = sum(1 for m in col.messages() if D.struct.unpack_from('!H', m, 16)[0] in (2, 3))
        self.assertGreaterEqual(sets, 4, 'the templates went out again as the run went on')
        self.assertEqual(col.decode().problems, [])

    def test_a_stalled_collector_costs_counted_records(self):
        # a collector that accepts and never reads: its buffers fill, then the queue; the
        # run over a file waits a while, then counts the rest lost and ends
        col = Collector('tcp', self.path('a'), '--stall')
        recs = [(T0 + i * 1000, udp(i % 60000 + 1)) for i in range(20000)]
        G.write(self.path('many.pcap'), recs)
        stats = self.path('stats.json')
        r = self.run_meter('-q', '-r', self.path('many.pcap'), '--schema', 'extended', '-o', self.path('f.csv'),
                           '--ipfix', col.url(), '--ipfix-queue', '64', '--stats-json', stats)
        col.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(stats) as f:
            s = json.load(f)
        flows = len(read_csv(self.path('f.csv')))
        self.assertEqual(s['export_sent'] + s['export_lost'], flows)
        self.assertGreater(s['export_lost'], 0)
        self.assertIn('queue of 64 records is full', r.stderr)

    def test_a_slow_collector_gets_all_it_was_sent(self):
        col = Collector('tcp', self.path('a'), '--slow', '20000')
        s, _ = self.stream('--ipfix', col.url(), '--ipfix-queue', '4', n=40, pause=0.02)
        col.stop()
        d = col.decode()
        self.assertEqual(d.problems, [])
        self.assertEqual(len(d.records), s['export_sent'], 'what TCP took, the collector read')


if __name__ == '__main__':
    unittest.main()
