#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The lab's judge, judged: every recorded guest output in lab/fixtures/
must get the verdict its case.json names, and the reports a CI system reads
must say the same. Runs on the host in seconds, before any VM (make check
runs it first; so does CI through make check).

Each fixture is a directory holding what one VM run left in its log
directory (results.log, and console.log and dmesg.log where they matter),
the list of programs the kernel had to run (programs), for the upstream
cases the differences list (differences), and case.json:

  {"args": {"status": N, "limit": S, "differences": true, "env": {...}},
   "expect": {"outcome": "...", "counts": [passed, failed, skipped] or
              [passed, expected, failed, skipped], "message": "substring
              of what the judge prints", "skipped": {"test": "reason"},
              "failed": ["test", ...]}}
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICT = os.path.join(HERE, 'verdict.py')
FIXTURES = os.path.join(HERE, 'fixtures')
BUILD = os.environ.get('BUILD', os.path.join(HERE, '..', 'build'))
PARSER = os.environ.get('KUNIT_PARSER_DIR', os.path.join(BUILD, 'ksft', 'kunit'))

# One line of each kernel report the judge must catch, in the kernel's own
# words (the format strings of lib/list_debug.c, lib/refcount.c,
# kernel/watchdog.c, kernel/rcu/tree_stall.h, arch/x86/kernel/dumpstack.c
# and traps.c, include/asm-generic/bug.h).
REPORT_LINES = [
    'kernel BUG at drivers/misc/cmisc/cmisc_main.c:212!',
    'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
    'rcu: INFO: rcu_preempt self-detected stall on CPU',
    'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:',
    'watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [stress_test:412]',
    'NMI watchdog: Watchdog detected hard LOCKUP on cpu 1',
    'list_add corruption. prev->next should be next (ffff8880041c3e10), '
    'but was 0000000000000000. (prev=ffff8880041c3e10).',
    'list_del corruption, ffff888004a1b000->next is LIST_POISON1 (dead000000000100)',
    'refcount_t: underflow; use-after-free.',
    'refcount_t: saturated; leaking memory.',
    'BUG: KASAN: slab-out-of-bounds in cmisc_read_iter+0x6e/0x120',
    'BUG: KCSAN: data-race in cmisc_ioctl / cmisc_ioctl',
    'WARNING: CPU: 0 PID: 77 at drivers/misc/cmisc/cmisc_main.c:90 cmisc_open+0x1/0x2',
    'INFO: task stress_test:91 blocked for more than 120 seconds.',
]


def judge(case_dir, outdir, extra_env=None):
    with open(os.path.join(case_dir, 'case.json')) as f:
        case = json.load(f)
    a = case['args']
    out = os.path.join(outdir, os.path.basename(case_dir) + '.json')
    cmd = [sys.executable, VERDICT, 'judge', case_dir, '--kernel', 'fixture', '--release', '6.1.0-57-amd64',
           '--arch', 'x86_64', '--status', str(a.get('status', 0)), '--limit', a.get('limit', '1500'),
           '--programs', os.path.join(case_dir, 'programs'), '--out', out, '--job', a.get('job', 'check')]
    if a.get('differences'):
        cmd += ['--differences', os.path.join(case_dir, 'differences')]
    env = dict(os.environ, KUNIT_PARSER_DIR=PARSER, TESTS='', STRICT_SKIPS='')
    env.update(a.get('env', {}))
    env.update(extra_env or {})
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    with open(out) as f:
        rec = json.load(f)
    return case['expect'], rec, p


class Fixtures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check_case(self, d):
        want, rec, p = judge(d, self.tmp)
        name = os.path.basename(d)
        self.assertEqual(rec['outcome'], want['outcome'], '%s: %s' % (name, p.stderr))
        self.assertEqual(p.returncode, 0 if want['outcome'] == 'passed' else 1, name)
        c = rec['counts']
        if 'counts' in want:
            if len(want['counts']) == 4:
                got = [c['passed'], c['expected'], c['failed'], c['skipped']]
            else:
                got = [c['passed'], c['failed'], c['skipped']]
            self.assertEqual(got, want['counts'], '%s: %s' % (name, p.stderr))
            self.assertEqual(p.stdout.split('\n')[-2].split(), [str(n) for n in got], name)
        if 'message' in want:
            self.assertIn(want['message'], p.stderr, name)
        tests = {t['name']: t for prog in rec['programs'] for t in prog['tests']}
        for t, reason in want.get('skipped', {}).items():
            self.assertEqual(tests[t]['status'], 'skipped', name)
            self.assertEqual(tests[t]['reason'], reason, name)
        for t in want.get('failed', []):
            self.assertEqual(tests[t]['status'], 'failed', name)
        # A total is a claim: what the kernel reports adds up to every test
        # the programs planned, and no skip hides among the passes.
        planned = sum(prog['plan'] or 0 for prog in rec['programs'])
        counted = sum(1 for prog in rec['programs'] for t in prog['tests']
                      if not t['name'].endswith('.(program)') and prog['plan'] is not None)
        self.assertGreaterEqual(counted, planned, name)

    def test_every_fixture(self):
        cases = sorted(glob.glob(os.path.join(FIXTURES, '*', 'case.json')))
        self.assertGreater(len(cases), 10)
        for c in cases:
            with self.subTest(fixture=os.path.basename(os.path.dirname(c))):
                self.check_case(os.path.dirname(c))

    def test_each_report_pattern_fires(self):
        for line in REPORT_LINES:
            with self.subTest(line=line):
                d = os.path.join(self.tmp, 'case')
                shutil.rmtree(d, ignore_errors=True)
                shutil.copytree(os.path.join(FIXTURES, 'pass'), d)
                with open(os.path.join(d, 'dmesg.log'), 'a') as f:
                    f.write('[   12.345678] %s\n' % line)
                _, rec, p = judge(d, self.tmp)
                self.assertEqual(rec['outcome'], 'kernel report', line)
                self.assertIn(line[:20], p.stderr)

    def test_reports_read_by_a_junit_consumer(self):
        from junitparser import JUnitXml, Failure, Skipped
        recs = []
        for name in ('pass', 'skip', 'killed-halfway', 'difference-by-assertion'):
            _, rec, _ = judge(os.path.join(FIXTURES, name), self.tmp)
            recs.append(os.path.join(self.tmp, name + '.json'))
        skipped = os.path.join(self.tmp, 'experimental.json')
        subprocess.run([sys.executable, VERDICT, 'outcome', '--kernel', 'experimental', '--outcome', 'skipped',
                        '--reason', "7.3-rc7 is not newer than sid's 7.3.0", '--out', skipped], check=True)
        recs.append(skipped)
        out = os.path.join(self.tmp, 'results')
        p = subprocess.run([sys.executable, VERDICT, 'report', out] + recs, capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout)    # killed-halfway fails
        lines = p.stdout.strip().split('\n')
        # pass 28; skip 27, 1 skipped; killed 15, 13 failed;
        # upstream 27, 1 expected, 1 skipped ([oops]); experimental 1 skipped
        self.assertEqual(lines[-1], '97 passed, 13 failed, 3 skipped')
        self.assertIn("kernel experimental: skipped: 7.3-rc7 is not newer than sid's 7.3.0", p.stdout)
        xml = JUnitXml.fromfile(os.path.join(out, 'junit.xml'))
        fails = skips = cases = 0
        for suite in xml:
            for case in suite:
                cases += 1
                for r in case.result:
                    fails += isinstance(r, Failure)
                    skips += isinstance(r, Skipped)
        self.assertEqual((fails, skips), (13, 3))
        self.assertEqual(cases, 97 + 13 + 3 + 1)    # + the expected difference
        with open(os.path.join(out, 'results.json')) as f:
            data = json.load(f)
        self.assertEqual([k['outcome'] for k in data['kernels']],
                         ['passed', 'passed', 'test failures', 'passed', 'skipped'])
        t = data['kernels'][1]['programs'][0]['tests'][2]
        self.assertEqual((t['name'], t['status'], t['reason']),
                         ('ioctl_test.dev.set_then_get_round_trips', 'skipped', 'the lab has no such device'))
        self.assertIsInstance(data['kernels'][0]['programs'][0]['tests'][0]['duration'], float)

    def test_a_stale_cache_fails_ci(self):
        _, rec, _ = judge(os.path.join(FIXTURES, 'pass'), self.tmp)
        cmd = [sys.executable, VERDICT, 'report', os.path.join(self.tmp, 'r'),
               os.path.join(self.tmp, 'pass.json'), '--warning', 'fetch kernel: sid unreachable']
        p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, CI=''))
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn('warning: fetch kernel: sid unreachable', p.stdout)
        p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, CI='true'))
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertTrue(p.stdout.strip().endswith('28 passed, 1 failed, 0 skipped'), p.stdout)

    def test_an_unreadable_record_is_a_failure(self):
        bad = os.path.join(self.tmp, 'bad.json')
        with open(bad, 'w') as f:
            f.write('{"kernel": ')
        p = subprocess.run([sys.executable, VERDICT, 'report', os.path.join(self.tmp, 'r'), bad],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stdout.strip().endswith('0 passed, 1 failed, 0 skipped'), p.stdout)


class Progress(unittest.TestCase):
    """lab/progress.sh and lab/gaps.py: long work shows that it is alive."""

    def run_progress(self, cmd, every='1'):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        env = dict(os.environ, BUILD=tmp, PROGRESS_EVERY=every)
        return subprocess.run([os.path.join(HERE, 'progress.sh'), 'work', os.path.join(tmp, 'log'), '', '',
                               '--', 'bash', '-c', cmd], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)

    def test_plain_lines_without_a_terminal(self):
        p = self.run_progress('for i in 1 2 3 4; do echo "  CC      a$i.o"; sleep 1; done')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn('\r', p.stderr)
        self.assertGreaterEqual(p.stderr.count('[lab] work: '), 3, p.stderr)
        self.assertIn('steps', p.stderr)

    def test_a_failure_shows_the_end_of_its_log(self):
        p = self.run_progress('echo first; echo the-last-line; exit 3')
        self.assertEqual(p.returncode, 3)
        self.assertIn('the-last-line', p.stderr)

    def test_gaps_fails_a_silent_stretch(self):
        gaps = os.path.join(HERE, 'gaps.py')
        q = subprocess.run([gaps, '--limit', '1'], input='a\n', capture_output=True, text=True)
        self.assertEqual(q.returncode, 0, q.stdout)
        q = subprocess.run('(echo a; sleep 2; echo b) | %s --limit 1' % gaps, shell=True,
                           capture_output=True, text=True)
        self.assertEqual(q.returncode, 1, q.stdout)
        self.assertIn('over the 1 s limit', q.stdout)


if __name__ == '__main__':
    if not os.path.isfile(os.path.join(PARSER, 'kunit_parser.py')):
        sys.exit('verdict_test: no kunit_parser.py in %s (make userspace extracts it)' % PARSER)
    unittest.main(verbosity=1)
