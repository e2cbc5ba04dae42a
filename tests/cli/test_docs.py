"""The project explains its own columns: docs/COLUMNS.md defines every column of every
schema, in order, and its worked example is what the meter writes; --help, the man
page and the README point there, never outside the repository (issue 9, item 14).

Run from the repository root: BIN=build/app-flow-meter /usr/bin/python3 -m unittest tests/cli/test_docs.py
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as G  # noqa: E402
from test_cli import BIN, Meter  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


class Columns(Meter):
    def header(self, *args):
        G.write(self.path('c.pcap'), G.tcp_conversation())
        r = self.run_meter('-q', '-r', self.path('c.pcap'), '-o', self.path('c.csv'), *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return self.rows(self.path('c.csv'))

    def test_every_column_is_defined_in_order(self):
        table = re.findall(r'^\| (\d+) \| `([a-z_0-9]+)` \| [^|]+ \| [^|]+ \|$', read('docs/COLUMNS.md'), re.M)
        documented = [name for _n, name in table]
        self.assertEqual([int(n) for n, _ in table], list(range(1, len(table) + 1)))
        extended = list(self.header('--schema', 'extended')[0].keys())
        self.assertEqual(documented, extended)
        self.assertEqual(list(self.header()[0].keys()), documented[:78])

    def test_the_worked_example_is_what_the_meter_writes(self):
        doc = read('docs/COLUMNS.md')
        block = doc[doc.index('<!-- example -->'):doc.index('<!-- /example -->')]
        want = {}
        for line in block.splitlines():
            m = re.match(r'^\| (`[^|]+) \| (`[^|]+) \|$', line)
            if not m:
                continue
            names = re.findall(r'`([a-z_0-9]+)`', m.group(1))
            values = re.findall(r'`([^`]*)`', m.group(2))
            self.assertEqual(len(names), len(values), line)
            want.update(zip(names, values))
        self.assertGreater(len(want), 60)
        row = self.header('--schema', 'extended')[0]
        for name, value in want.items():
            self.assertEqual(row[name], value, name)


class PointsHome(unittest.TestCase):
    def test_help_man_and_readme_point_to_the_projects_docs(self):
        help_text = subprocess.run([BIN, '--help'], capture_output=True, text=True).stdout
        for name, text in (('--help', help_text), ('man page', read('docs/app-flow-meter.1')),
                           ('README', read('README.md'))):
            self.assertIn('COLUMNS.md', text, name)
            self.assertNotIn('shared/docs', text, name)	# the captures of the tests live there, not docs
            self.assertNotIn('FEATURES.md', text, name)
        self.assertIn('share/doc/app-flow-meter', help_text)


class Export(unittest.TestCase):
    """docs/EXPORT.md lists what --ipfix-elements prints; contrib/pmacct is what its
    generator makes of it (issue 11)."""

    def test_the_element_table_is_what_the_meter_exports(self):
        doc = read('docs/EXPORT.md')
        block = doc[doc.index('<!-- elements -->'):doc.index('<!-- /elements -->')]
        documented = []
        for line in block.splitlines()[3:]:
            cells = [c.strip() for c in line.strip('|').split('|')]
            column = cells[7]
            num, name = (column.split(' ', 1) if column != '-' else ('-', '-'))
            documented.append(cells[:1] + [cells[1].strip('`')] + cells[2:7] + [name.strip('`'), num])
        out = subprocess.run([BIN, '--ipfix-elements', '--schema', 'extended'], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        printed = [line.split('\t') for line in out.stdout.splitlines()[1:]]
        self.assertGreater(len(printed), 100)
        self.assertEqual(documented, printed)

    def test_contrib_pmacct_is_what_generate_makes(self):
        import shutil
        import tempfile
        src = os.path.join(ROOT, 'contrib', 'pmacct')
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(os.path.join(src, 'generate.sh'), tmp)
            r = subprocess.run(['sh', os.path.join(tmp, 'generate.sh'), BIN], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            made = sorted(os.listdir(tmp))
            self.assertEqual(made, sorted(os.listdir(src)))
            for name in made:
                with open(os.path.join(tmp, name)) as a, open(os.path.join(src, name)) as b:
                    self.assertEqual(a.read(), b.read(), name)

    def test_help_man_and_readme_point_to_the_export_page(self):
        help_text = subprocess.run([BIN, '--help'], capture_output=True, text=True).stdout
        for name, text in (('--help', help_text), ('man page', read('docs/app-flow-meter.1')),
                           ('README', read('README.md'))):
            self.assertIn('EXPORT.md', text, name)


if __name__ == '__main__':
    unittest.main()
