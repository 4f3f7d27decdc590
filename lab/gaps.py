#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Never a silent minute: copy stdin to stdout line by line, and at the end
say how long the longest silence between two lines was, and before which
line. Exits 1 if it was longer than --limit seconds (default 60).

  make check 2>&1 | lab/gaps.py --limit 60

.ci/run pipes every target through it, so a step that goes quiet for a
minute turns CI red with the step named.
"""

import argparse
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--limit', type=float, default=60.0)
    ap.add_argument('--label', default='output')
    args = ap.parse_args()
    start = last = time.monotonic()
    longest, before, lines = 0.0, '(no output)', 0
    for raw in sys.stdin.buffer:
        now = time.monotonic()
        if now - last > longest:
            longest, before = now - last, raw.decode('utf-8', 'replace').strip()[:160]
        last = now
        lines += 1
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
    now = time.monotonic()
    if now - last > longest:
        longest, before = now - last, '(the end of the output)'
    verdict = 'over' if longest > args.limit else 'within'
    print('gaps: %s: %d lines in %.0f s; the longest silence was %.1f s, %s the %.0f s limit, before: %s'
          % (args.label, lines, now - start, longest, verdict, args.limit, before))
    return 1 if longest > args.limit else 0


if __name__ == '__main__':
    sys.exit(main())
