#!/usr/bin/env bash
# Judge one VM run from its logs and print "PASSED FAILED" test counts.
#
# usage: lab/verdict.sh LOGDIR [VM_STATUS] [LABEL] [TIMEOUT] [EXPECTED]
#
# Counts the TAP lines the guest sent on its results channel, then adds a
# failure for each of: a VM that timed out or reported no status, a test
# binary that died, any kernel splat (oops, BUG, WARNING, lockdep, KASAN,
# UBSAN, kmemleak, hung task) in the console or the full dmesg, and any
# taint other than O (out-of-tree), E (unsigned) and N (KUnit ran).
# Exits non-zero if anything failed.
#
# With EXPECTED (a file of "<program>.<fixture>.<test> reason" lines, as
# tests/upstream-differences.txt), a listed test that fails is an expected
# difference, and a listed test that passes is a failure (the list must stay
# true); it then prints "PASSED EXPECTED FAILED".
set -euo pipefail

logdir=$1 status=${2:-0} label=${3:-vm} limit=${4:-?} expected_list=${5:-}
results=$logdir/results.log
passed=0 failed=0

fail() {
	printf '[verdict] %s: %s\n' "$label" "$*" >&2
	failed=$((failed + 1))
}

expected=0
if [[ -r $results && -n $expected_list ]]; then
	# Name each result "<program>.<test>" from the "# lab: <program>" line
	# before it, then hold it against the list.
	read -r passed expected failed < <(tr -d '\r' <"$results" | awk -v list="$expected_list" -v label="$label" '
		BEGIN { while ((getline line < list) > 0) if (line !~ /^#/ && line ~ /[^ ]/) {
			split(line, fld, " "); want[fld[1]] = 1; if (line ~ /\[oops\]/) notrun[fld[1]] = 1 } }
		/^# lab: / && !/ took / { prog = $3; next }
		/^(not )?ok [0-9]+ / {
			ok = ($1 == "ok"); name = ok ? $3 : $4; full = prog "." name
			if (full in want) {
				seen[full] = 1
				if (ok) { f++; printf "[verdict] %s: %s passes, but tests/upstream-differences.txt lists it\n", label, full > "/dev/stderr" }
				else e++
			} else if (ok) p++
			else { f++; printf "[verdict] %s: not ok %s\n", label, full > "/dev/stderr" }
		}
		END {
			# Tests the guest did not run on purpose count as expected
			# differences; one that ran anyway is a failure.
			for (n in notrun) if (n in seen) { f++; printf "[verdict] %s: %s ran, but it is marked [oops]\n", label, n > "/dev/stderr" } else e++
			printf "%d %d %d\n", p, e, f
		}')
elif [[ -r $results ]]; then
	passed=$(grep -E '^ok [0-9]+ ' "$results" | grep -v -c '# SKIP' || true)
	failed=$(grep -c -E '^not ok [0-9]+ ' "$results" || true)
	skipped=$(grep -E '^ok [0-9]+ ' "$results" | grep -c '# SKIP' || true)
	((skipped == 0)) || printf '[verdict] %s: %d skipped\n' "$label" "$skipped" >&2
	grep -E '^not ok [0-9]+ ' "$results" | sed "s/^/[verdict] $label: /" >&2 || true
fi

case $status in
0) ;;
124) fail "the VM did not finish within its TIMEOUT of ${limit} s, so it was stopped" ;;
125) fail "the guest died without reporting a status (panic?)" ;;
*)
	# Against a list of expected differences the guest's own status is
	# non-zero by design; the list decides.
	[[ $failed -gt 0 || -n $expected_list ]] || fail "the guest's job exited with status $status"
	;;
esac

# Kernel reports that fail a run wherever they appear. Allocation-failure
# warnings (warn_alloc) are expected during fault injection and are not
# listed: they do not say BUG or WARNING. kmemleak is judged by the guest
# (lab/guest/debug/kmemleak.sh), which attributes each leak before failing on it.
splat='(Oops|BUG:|WARNING:|Kernel panic|KASAN|UBSAN|general protection fault'
splat+='|possible circular locking|possible recursive locking|inconsistent lock state'
splat+='|DEBUG_LOCKS_WARN_ON|bad unlock balance|held lock freed|suspicious RCU usage'
splat+='|blocked for more than|Unable to handle kernel)'
for log in "$logdir/console.log" "$logdir/dmesg.log"; do
	[[ -r $log ]] || continue
	if grep -q -E "$splat" "$log"; then
		fail "kernel report in $(basename "$log"):"
		grep -n -E -A 20 "$splat" "$log" | head -n 60 >&2
		break
	fi
done

taint=$(sed -n 's/^lab-taint \([0-9]*\).*/\1/p' "$results" 2>/dev/null | tail -n 1)
allowed=$(((1 << 12) | (1 << 13) | (1 << 18)))
if [[ -n $taint ]] && ((taint & ~allowed)); then
	fail "kernel tainted: $taint (allowed: O, E, N)"
fi

if [[ -n $expected_list ]]; then
	echo "$passed $expected $failed"
else
	echo "$passed $failed"
fi
((failed == 0))
