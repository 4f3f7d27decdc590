#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Judge lab VM runs and report them.

  verdict.py judge LOGDIR --kernel NAME --release R --arch A --status N
             --programs FILE [--limit S] [--differences FILE] [--out JSON]
      One VM run: parse every program's section of LOGDIR/results.log as
      KTAP with the kernel's own parser (tools/testing/kunit/kunit_parser.py
      from Debian's linux-source-6.1, found through $KUNIT_PARSER_DIR), hold
      each against its plan, its exit status and the list of programs the
      kernel must run (--programs), scan the console and the kernel log for
      reports, and name the run's outcome. Writes the kernel's record
      (JSON), prints what failed or was skipped on stderr, and prints
      "PASSED FAILED SKIPPED" (with --differences: "PASSED EXPECTED FAILED
      SKIPPED") as its last line on stdout. Exits 1 unless the outcome is
      "passed".

  verdict.py outcome --kernel NAME --outcome OUTCOME --reason TEXT
             [--release R] [--arch A] [--log PATH] --out JSON
      A kernel whose job ended before a VM could judge it (kernel
      unavailable, module build failed), or that was skipped.

  verdict.py report OUTDIR RECORD.json...
      The whole run: OUTDIR/results.json, OUTDIR/junit.xml, the matrix of
      kernels and outcomes, the skip reasons, the warnings, and the total
      "N passed, N failed, N skipped" as the last line. Exits 1 if any
      kernel's outcome is not "passed" or "skipped", or, with CI=true, if
      any kernel came from a stale cache.

Environment: STRICT_SKIPS=1 makes every skipped test a failure.
"""

import argparse
import io
import json
import os
import re
import signal
import sys
import xml.etree.ElementTree as ET

OUTCOMES = ('passed', 'test failures', 'kernel report', 'timeout', 'guest died',
            'boot failed', 'module build failed', 'kernel unavailable', 'skipped')

# Kernel reports that fail a run wherever they appear in the console or the
# kernel log. Allocation-failure warnings (warn_alloc) are expected under
# fault injection and say neither BUG nor WARNING. kmemleak is judged in the
# guest (lab/guest/debug/kmemleak.sh), which attributes each leak first.
REPORTS = [
    r'Oops', r'BUG:', r'WARNING:', r'Kernel panic', r'KASAN', r'UBSAN',
    r'KCSAN', r'general protection fault', r'kernel BUG at', r'invalid opcode',
    r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'DEBUG_LOCKS_WARN_ON', r'bad unlock balance',
    r'held lock freed', r'suspicious RCU usage', r'blocked for more than',
    r'Unable to handle kernel', r'rcu: INFO: rcu_\w+ (self-)?detected stall',
    r'rcu_\w+ detected stalls', r'soft lockup', r'hard LOCKUP',
    r'list_add corruption', r'list_del corruption', r'refcount_t: ',
]
REPORT_RE = re.compile('|'.join('(?:%s)' % r for r in REPORTS))

# Taint flags a lab run may carry: O (out-of-tree), E (unsigned), N (KUnit).
TAINT_ALLOWED = (1 << 12) | (1 << 13) | (1 << 18)

STAMP_RE = re.compile(r'^\|([0-9.]+)\|(.*)$')
BEGIN_RE = re.compile(r'^lab-program-begin (\S+) ([0-9.]+)$')
END_RE = re.compile(r'^lab-program-end (\S+) status=(\d+) timeout=([01]) secs=([0-9.]+)$')
RESULT_RE = re.compile(r'^(\s*)(ok|not ok) ([0-9]+)( - | |$)(.*)$')
# kselftest's harness in 6.1 prints a skip without the test's name
# ("ok 3 # SKIP reason"), which kunit_parser does not take for a result
# line; the name is restored from the harness's "#  RUN  name ..." line.
NAMELESS_SKIP_RE = re.compile(r'^(\s*)(ok|not ok) ([0-9]+) # SKIP ?(.*)$')
RUN_RE = re.compile(r'^#\s+RUN\s+(\S+) \.\.\.$')
ASSERT_RE = re.compile(r'^# \S+:\d+:\S+:')
CRASH_RE = re.compile(r'Test terminated (unexpectedly by signal \d+|by timeout)')


TESTS_FILTER = ''


class BadInput(Exception):
    """A results file that cannot be parsed: names the file and the line."""


def load_parser():
    """The kernel's KTAP parser, its printing kept for our error list."""
    d = os.environ.get('KUNIT_PARSER_DIR')
    if not d or not os.path.isfile(os.path.join(d, 'kunit_parser.py')):
        sys.exit('verdict: set KUNIT_PARSER_DIR to tools/testing/kunit of a '
                 'linux-source tree (the Makefile extracts it into build/ksft/kunit)')
    sys.path.insert(0, d)
    import kunit_parser  # noqa: E402
    import kunit_printer  # noqa: E402
    return kunit_parser, kunit_printer


def signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return 'signal %d' % n


class Program:
    def __init__(self, name, lineno):
        self.name = name
        self.short = name[:-3] if name.endswith('.sh') else name
        self.lineno = lineno
        self.start = None
        self.lines = []          # (results.log line number, uptime, text)
        self.end = None          # (status, timeout, secs)
        self.tests = []
        self.problems = []       # program-level failures, each one sentence
        self.plan = None


def read_results(path, strict=True):
    """Split results.log into its frame: guest lines, programs, taint.
    strict: every line outside a program must be a frame line (make check);
    a bench or run job also sends its own lines (tables, JSON)."""
    programs, order, info = {}, [], {'taint': None, 'guest_up': False}
    cur = None
    if not os.path.exists(path):
        return programs, order, info
    with open(path, 'rb') as f:
        raw = f.read().decode('utf-8', 'replace')
    for no, line in enumerate(raw.split('\n'), 1):
        line = line.rstrip('\r')
        if cur is not None:
            m = STAMP_RE.match(line)
            if m:
                cur.lines.append((no, float(m.group(1)), m.group(2)))
                continue
            m = END_RE.match(line)
            if m and m.group(1) == cur.name:
                cur.end = (int(m.group(2)), m.group(3) == '1', float(m.group(4)))
                cur = None
                continue
            if line == '':
                continue
            # A section cut short (the guest died inside it) ends here.
            cur = None
        m = BEGIN_RE.match(line)
        if m:
            name = m.group(1)
            if name in programs:
                raise BadInput('%s:%d: program %s reported twice' % (path, no, name))
            cur = programs[name] = Program(name, no)
            cur.start = float(m.group(2))
            order.append(name)
            continue
        if line.startswith('lab-guest-up'):
            info['guest_up'] = True
            continue
        m = re.match(r'^lab-taint (\d+)$', line)
        if m:
            info['taint'] = int(m.group(1))
            continue
        if line == '' or line.startswith('# '):
            continue
        if line.startswith('lab-program-end'):
            raise BadInput('%s:%d: "%s" without its begin' % (path, no, line))
        if not strict:
            continue
        raise BadInput('%s:%d: not a line of the results channel: %r' % (path, no, line[:120]))
    return programs, order, info


def parse_program(prog, kp, kprinter, path):
    """Parse one program's lines with kunit_parser; fill prog.tests."""
    texts, meta = [], []
    run_name = ''
    for no, t, text in prog.lines:
        m = RUN_RE.match(text)
        if m:
            run_name = m.group(1)
        m = NAMELESS_SKIP_RE.match(text)
        if m:
            text = '%s%s %s %s # SKIP %s' % (m.group(1), m.group(2), m.group(3),
                                             run_name or '(unnamed)', m.group(4))
        texts.append(text)
        meta.append((no, t))

    errors = io.StringIO()
    kp.stdout = kprinter.Printer(errors)
    seen = []
    orig = kp.parse_test_result

    def recording(lines, test, expected_num):
        idx = lines.line_number() - 1
        ok = orig(lines, test, expected_num)
        if ok:
            test.lab_index = idx
            seen.append(test)
        return ok

    kp.parse_test_result = recording
    try:
        lines = kp.extract_tap_lines(texts)
        if not lines:
            prog.problems.append('printed no TAP')
            return
        top = kp.parse_test(lines, 0, [], False)
        leftover = []
        while lines:
            n = lines.line_number()
            text = lines.pop()
            if RESULT_RE.match(text):
                leftover.append(n)
    finally:
        kp.parse_test_result = orig
    prog.plan = top.expected_count
    for e in errors.getvalue().splitlines():
        if '[ERROR]' not in e:
            continue
        msg = e.split('[ERROR]', 1)[1].strip()
        if 'missing expected subtest' in msg or '0 tests run' in msg:
            continue       # counted below, against the plan
        prog.problems.append('KTAP: %s' % msg)
    for n in leftover:
        prog.problems.append('a result line past the plan, %s:%d' % (path, meta[n - 1][0]))
    if prog.plan is None:
        prog.problems.append('printed no plan')

    prev = prog.start

    def walk(test, names):
        nonlocal prev
        if test.subtests:
            for sub in test.subtests:
                walk(sub, names + [test.name] if test is not top else names)
            # A suite that reports not ok although none of its cases failed
            # (a failing suite init or exit) fails on its own line.
            if (test is not top and test.status.name == 'FAILURE'
                    and not any(s.status.name in ('FAILURE', 'TEST_CRASHED') for s in test.subtests)):
                prog.tests.append({'name': '.'.join(names + [test.name, '(suite)']), 'status': 'failed',
                                   'duration': None, 'reason': 'the suite reports not ok, though no case failed',
                                   'log': test.log[-40:]})
            return
        if test is top:
            return
        full = '.'.join(names + [test.name]) if test.name else ''
        idx = getattr(test, 'lab_index', None)
        rec = {'name': full, 'status': None, 'duration': None, 'reason': '', 'log': test.log[-40:]}
        if idx is not None:
            no, t = meta[idx]
            rec['line'] = no
            rec['duration'] = round(max(0.0, t - prev), 3) if prev is not None else None
            prev = t
            m = re.search(r' # (SKIP|TIMEOUT|TODO)\s*(.*)$', texts[idx])
            if m:
                rec['reason'] = m.group(2).strip()
        st = test.status.name
        if idx is None or st == 'TEST_CRASHED':
            rec['status'] = 'unreported'
        elif st == 'SKIPPED':
            rec['status'] = 'skipped'
        elif st == 'SUCCESS':
            rec['status'] = 'passed'
        else:
            rec['status'] = 'failed'
            crash = [line for line in test.log if CRASH_RE.search(line)]
            if crash:
                rec['reason'] = crash[-1].lstrip('# ')
                rec['crashed'] = True
            elif any(ASSERT_RE.match(line) for line in test.log):
                rec['assertion'] = True
        prog.tests.append(rec)

    walk(top, [])
    for i, rec in enumerate(prog.tests, 1):
        base = rec['name'] or '#%d' % i
        rec['name'] = base if base.startswith(prog.short + '.') else prog.short + '.' + base
    names = [r['name'] for r in prog.tests]
    dups = sorted({n for n in names if names.count(n) > 1})
    for d in dups:
        prog.problems.append('test %s reported more than once' % d)


def judge_program(prog, kp, kprinter, path):
    if prog.end is None:
        prog.problems.append('never finished: its section ends without an exit status')
    parse_program(prog, kp, kprinter, path)
    reported = sum(1 for t in prog.tests if t['status'] != 'unreported')
    why = ''
    if prog.end is not None:
        status, timeout, secs = prog.end
        if timeout:
            why = 'timed out after %.0f s' % secs
        elif status > 128:
            why = 'killed by %s' % signame(status - 128)
        elif status != 0 and not any(t['status'] == 'failed' for t in prog.tests):
            why = 'exited with status %d' % status
    if prog.plan is not None and reported < prog.plan:
        prog.problems.append('%d of %d tests reported%s' % (reported, prog.plan, ', then ' + why if why else ''))
    elif why:
        prog.problems.append(why)
    if prog.plan == 0 and not prog.tests and not TESTS_FILTER:
        # A program that skips as a whole, not one that TESTS filtered out.
        skip = [t for _, _, t in prog.lines if re.match(r'^1\.\.0\s*#\s*SKIP', t)]
        if skip:
            prog.tests.append({'name': prog.short + '.(all)', 'status': 'skipped', 'duration': None,
                               'reason': re.sub(r'^1\.\.0\s*#\s*SKIP\s*', '', skip[0]), 'log': []})
        else:
            prog.problems.append('planned no tests (1..0)')


def judge(args):
    global TESTS_FILTER
    TESTS_FILTER = args.tests_filter
    kp, kprinter = load_parser()
    logdir = args.logdir
    results = os.path.join(logdir, 'results.log')
    rec = {'kernel': args.kernel, 'release': args.release, 'arch': args.arch,
           'driver': 'upstream' if args.differences else 'cmisc',
           'logdir': logdir, 'problems': [], 'programs': [], 'warnings': []}
    problems = rec['problems']
    try:
        programs, order, info = read_results(results, strict=args.job in ('check', 'upstream'))
    except BadInput as e:
        programs, order, info = {}, [], {'taint': None, 'guest_up': True}
        problems.append('unparsable results: %s' % e)

    expected = []
    if args.programs:
        with open(args.programs) as f:
            expected = [line.strip() for line in f if line.strip() and not line.startswith('#')]
    for name in order:
        judge_program(programs[name], kp, kprinter, results)
    started = info['guest_up'] or bool(order)
    for name in expected:
        if name not in programs:
            programs[name] = Program(name, 0)
            programs[name].problems.append('never reported: missing from the guest, or the run ended before it')
            order.append(name)
    for name in order:
        if expected and name not in expected:
            programs[name].problems.append('ran, but is not in the list of programs this kernel must run')

    diffs, oops = {}, {}
    if args.differences:
        with open(args.differences) as f:
            for line in f:
                if line.startswith('#') or not line.strip():
                    continue
                name, _, reason = line.strip().partition(' ')
                (oops if '[oops]' in reason else diffs)[name] = reason.strip()

    strict = os.environ.get('STRICT_SKIPS') == '1'
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'expected': 0}
    for name in order:
        prog = programs[name]
        prec = {'name': name, 'status': prog.end[0] if prog.end else None,
                'timeout': bool(prog.end and prog.end[1]),
                'duration': prog.end[2] if prog.end else None,
                'plan': prog.plan, 'problems': prog.problems, 'tests': prog.tests}
        for i, t in enumerate(prog.tests, 1):
            if t['status'] == 'unreported':
                t['status'] = 'failed'
                t['reason'] = 'not reported (%s)' % '; '.join(prog.problems) if prog.problems else 'not reported'
                if not t['name'] or t['name'].endswith('.'):
                    t['name'] = '%s.#%d' % (prog.short, i)
            if t['name'] in oops:
                t['status'] = 'failed'
                t['reason'] = 'ran, but it is marked [oops] in the differences list'
            elif t['name'] in diffs:
                if t['status'] == 'passed':
                    t['status'] = 'failed'
                    t['reason'] = 'passes, but the differences list expects it to fail: ' + diffs[t['name']]
                elif t['status'] == 'failed' and t.get('assertion') and not t.get('crashed') and not prog.problems:
                    t['status'] = 'expected'
                    t['reason'] = diffs[t['name']]
                elif t['status'] == 'failed':
                    t['reason'] = ('listed as a difference, but did not fail by assertion (%s)'
                                   % (t.get('reason') or 'no assertion in its log'))
            if t['status'] == 'skipped' and strict:
                t['status'] = 'failed'
                t['reason'] = 'skipped under STRICT_SKIPS=1: ' + t['reason']
            counts[t['status']] = counts.get(t['status'], 0) + 1
        # A program's own failure with no test to carry it still counts once.
        if prog.problems and not any(t['status'] == 'failed' for t in prog.tests):
            counts['failed'] += 1
            prog.tests.append({'name': prog.short + '.(program)', 'status': 'failed',
                               'duration': None, 'reason': '; '.join(prog.problems), 'log': []})
        rec['programs'].append(prec)
        # Summary lines a program prints for people (make compare's count).
        rec.setdefault('notes', []).extend(
            t for _, _, t in prog.lines if re.match(r'^compare: \d+ calls', t))
    if args.differences:
        for name, reason in sorted(oops.items()):
            if not any(t['name'] == name for p in rec['programs'] for t in p['tests']):
                status, why = 'skipped', 'not run on upstream\'s driver: ' + reason
                if strict:
                    status, why = 'failed', 'skipped under STRICT_SKIPS=1: ' + why
                counts[status] += 1
                rec['programs'].append({'name': name.split('.')[0], 'status': None, 'timeout': False,
                                        'duration': None, 'plan': None, 'problems': [],
                                        'tests': [{'name': name, 'status': status, 'duration': None,
                                                   'reason': why, 'log': []}]})
        listed = set(diffs)
        seen = {t['name'] for p in rec['programs'] for t in p['tests']}
        for name in sorted(listed - seen):
            if not args.tests_filter:
                problems.append('%s is in the differences list but never ran' % name)

    # The VM's own fate.
    status = args.status
    outcome = None
    if status == 124:
        outcome = 'timeout'
        problems.append('the VM did not finish within its TIMEOUT of %s s, so it was stopped' % args.limit)
    elif status == 125:
        if started:
            outcome = 'guest died'
            problems.append('the guest died without reporting a status (panic?)')
        else:
            outcome = 'boot failed'
            problems.append('the guest never started: no line on the results channel')
    elif not started and status != 0:
        outcome = 'boot failed'
        problems.append('the guest reported status %d before starting' % status)

    report = None
    for log in ('console.log', 'dmesg.log'):
        p = os.path.join(logdir, log)
        if not os.path.exists(p):
            continue
        with open(p, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        for i, line in enumerate(lines):
            if REPORT_RE.search(line):
                report = (log, i + 1, line.strip())
                break
        if report:
            break
    if report:
        problems.append('kernel report in %s:%d: %s' % report)
        outcome = outcome or 'kernel report'
        rec['report'] = {'file': report[0], 'line': report[1], 'text': report[2]}
    taint = info['taint']
    if taint is not None and taint & ~TAINT_ALLOWED:
        problems.append('kernel tainted: %d (allowed: O, E, N)' % taint)
        outcome = outcome or 'kernel report'
    if (args.job == 'check' and status not in (0, 124, 125) and not problems
            and counts['failed'] == 0):
        problems.append("the guest's job exited with status %d" % status)
    if args.job not in ('check', 'upstream'):
        if status not in (0, 124, 125):
            problems.append("the guest's %s job failed (status %d): see %s"
                            % (args.job, status, os.path.join(logdir, 'console.log')))
    elif counts['passed'] + counts['failed'] + counts['expected'] + counts['skipped'] == 0 and not problems:
        problems.append('no test ran%s' % (' (TESTS=%s matches none?)' % args.tests_filter
                                           if args.tests_filter else ''))
    if problems and counts['failed'] == 0:
        counts['failed'] = 1     # a run's own failure counts once
    if outcome is None:
        outcome = 'test failures' if counts['failed'] else 'passed'
    rec.update(outcome=outcome, counts=counts)

    label = 'kernel %s %s' % (args.kernel, args.release)
    if args.differences:
        label = "upstream rust_misc_device on %s %s" % (args.kernel, args.release)
    label = args.label or label
    for p in problems:
        print('[verdict] %s: %s' % (label, p), file=sys.stderr)
    for prog in rec['programs']:
        for p in prog['problems']:
            print('[verdict] %s: %s: %s' % (label, prog['name'], p), file=sys.stderr)
        for t in prog['tests']:
            if t['status'] in ('failed', 'skipped'):
                print('[verdict] %s: %s %s%s' % (label, t['status'], t['name'],
                                                 ' # ' + t['reason'] if t['reason'] else ''),
                      file=sys.stderr)
    rec['label'] = label
    if args.out:
        write_json(args.out, rec)
    if args.differences:
        print('%d %d %d %d' % (counts['passed'], counts['expected'], counts['failed'], counts['skipped']))
    else:
        print('%d %d %d' % (counts['passed'], counts['failed'], counts['skipped']))
    return 0 if outcome == 'passed' else 1


def write_json(path, obj):
    tmp = path + '.tmp'
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')
    os.replace(tmp, path)


def outcome_cmd(args):
    if args.outcome not in OUTCOMES:
        sys.exit('verdict: unknown outcome %r (one of: %s)' % (args.outcome, ', '.join(OUTCOMES)))
    rec = {'kernel': args.kernel, 'release': args.release or '?', 'arch': args.arch or '?',
           'driver': args.driver, 'logdir': args.log or '', 'outcome': args.outcome,
           'problems': [args.reason], 'programs': [], 'warnings': [],
           'counts': {'passed': 0, 'failed': 0 if args.outcome == 'skipped' else 1,
                      'skipped': 1 if args.outcome == 'skipped' else 0, 'expected': 0}}
    rec['label'] = 'kernel %s%s' % (args.kernel, ' ' + args.release if args.release and args.release != '?' else '')
    write_json(args.out, rec)
    return 0


def report(args):
    records = []
    for p in args.records:
        try:
            with open(p) as f:
                records.append(json.load(f))
        except (OSError, ValueError) as e:
            records.append({'kernel': os.path.basename(p), 'release': '?', 'arch': '?',
                            'driver': '?', 'logdir': p, 'outcome': 'test failures',
                            'problems': ['unreadable record %s: %s' % (p, e)], 'programs': [],
                            'warnings': [], 'counts': {'passed': 0, 'failed': 1, 'skipped': 0,
                                                       'expected': 0}, 'label': p})
    warnings = []
    for w in args.warning or []:
        warnings.append(w)
    os.makedirs(args.outdir, exist_ok=True)
    write_json(os.path.join(args.outdir, 'results.json'),
               {'kernels': records, 'warnings': warnings})
    write_junit(os.path.join(args.outdir, 'junit.xml'), records)

    tot = {'passed': 0, 'failed': 0, 'skipped': 0, 'expected': 0}
    print('')
    print('%-10s %-36s %-9s %-26s %s' % ('KERNEL', 'RELEASE', 'DRIVER', 'OUTCOME', 'LOG'))
    bad = False
    for r in records:
        c = r['counts']
        for k in tot:
            tot[k] += c.get(k, 0)
        out = r['outcome']
        if out == 'test failures':
            out = 'test failures (%d)' % c['failed']
        bad |= r['outcome'] not in ('passed', 'skipped')
        print('%-10s %-36s %-9s %-26s %s' % (r['kernel'], r['release'], r['driver'], out, r['logdir']))
    print('')
    for r in records:
        c = r['counts']
        if r['outcome'] == 'skipped':
            print('%s: skipped: %s' % (r['label'], '; '.join(r['problems'])))
            if os.environ.get('STRICT_SKIPS') == '1':
                print('%s: a skipped kernel fails under STRICT_SKIPS=1' % r['label'])
                bad = True
        elif r['driver'] == 'upstream':
            print('%s: %d passed, %d expected differences, %d failed, %d skipped'
                  % (r['label'], c['passed'], c['expected'], c['failed'], c['skipped']))
        else:
            print('%s: %d passed, %d failed, %d skipped' % (r['label'], c['passed'], c['failed'], c['skipped']))
        for note in r.get('notes', []):
            print('  %s' % note)
    reasons = {}
    for r in records:
        for p in r['programs']:
            for t in p['tests']:
                if t['status'] == 'skipped':
                    reasons.setdefault(t['reason'] or '(no reason given)', []).append(
                        '%s:%s' % (r['kernel'], t['name']))
    if reasons:
        print('\nskipped tests, by reason:')
        for why, names in sorted(reasons.items()):
            print('  %s (%d): %s' % (why, len(names), ', '.join(names[:6]) + (' ...' if len(names) > 6 else '')))
    for w in warnings:
        print('warning: %s' % w)
    if warnings and os.environ.get('CI') == 'true':
        print('warning: CI=true, and a stale cache fails CI')
        bad = True
    print('results: %s, %s' % (os.path.join(args.outdir, 'results.json'),
                               os.path.join(args.outdir, 'junit.xml')))
    print('%d passed, %d failed, %d skipped' % (tot['passed'], tot['failed'] + (1 if bad and tot['failed'] == 0 else 0),
                                               tot['skipped']))
    return 1 if bad or tot['failed'] else 0


def write_junit(path, records):
    root = ET.Element('testsuites')
    for r in records:
        kname = '%s %s' % (r['kernel'], r['release'])
        if r['driver'] == 'upstream':
            kname += ' upstream'
        if not r['programs']:
            s = ET.SubElement(root, 'testsuite', name=kname, tests='1',
                              failures='0' if r['outcome'] == 'skipped' else '1',
                              skipped='1' if r['outcome'] == 'skipped' else '0')
            tc = ET.SubElement(s, 'testcase', classname=kname, name='kernel')
            if r['outcome'] == 'skipped':
                ET.SubElement(tc, 'skipped', message='; '.join(r['problems']))
            else:
                ET.SubElement(tc, 'failure', message=r['outcome'], type=r['outcome']).text = '\n'.join(r['problems'])
            continue
        extra = list(r['problems'])
        for p in r['programs']:
            tests = p['tests']
            fails = sum(1 for t in tests if t['status'] == 'failed')
            skips = sum(1 for t in tests if t['status'] == 'skipped')
            s = ET.SubElement(root, 'testsuite', name='%s: %s' % (kname, p['name']),
                              tests=str(len(tests)), failures=str(fails), skipped=str(skips),
                              time='%.3f' % (p['duration'] or 0))
            for t in tests:
                tc = ET.SubElement(s, 'testcase', classname='%s.%s' % (kname, p['name']),
                                   name=t['name'], time='%.3f' % (t['duration'] or 0))
                if t['status'] == 'failed':
                    ET.SubElement(tc, 'failure', message=t['reason'] or 'failed').text = '\n'.join(t['log'])
                elif t['status'] == 'skipped':
                    ET.SubElement(tc, 'skipped', message=t['reason'] or 'skipped')
                elif t['status'] == 'expected':
                    ET.SubElement(tc, 'system-out').text = 'expected difference: ' + t['reason']
        if extra:
            s = ET.SubElement(root, 'testsuite', name='%s: the run' % kname, tests='1', failures='1', skipped='0')
            tc = ET.SubElement(s, 'testcase', classname=kname, name='run')
            ET.SubElement(tc, 'failure', message=r['outcome'], type=r['outcome']).text = '\n'.join(extra)
    tmp = path + '.tmp'
    ET.ElementTree(root).write(tmp, encoding='utf-8', xml_declaration=True)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    j = sub.add_parser('judge')
    j.add_argument('logdir')
    j.add_argument('--kernel', required=True)
    j.add_argument('--release', default='?')
    j.add_argument('--arch', default='?')
    j.add_argument('--status', type=int, default=0)
    j.add_argument('--job', default='check')
    j.add_argument('--limit', default='?')
    j.add_argument('--programs')
    j.add_argument('--differences')
    j.add_argument('--tests-filter', default=os.environ.get('TESTS', ''))
    j.add_argument('--out')
    j.add_argument('--label', help='how the summary names this run')
    o = sub.add_parser('outcome')
    o.add_argument('--kernel', required=True)
    o.add_argument('--outcome', required=True)
    o.add_argument('--reason', required=True)
    o.add_argument('--release')
    o.add_argument('--arch')
    o.add_argument('--driver', default='cmisc')
    o.add_argument('--log')
    o.add_argument('--out', required=True)
    r = sub.add_parser('report')
    r.add_argument('outdir')
    r.add_argument('records', nargs='*')
    r.add_argument('--warning', action='append')
    args = ap.parse_args()
    return {'judge': judge, 'outcome': outcome_cmd, 'report': report}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main())
