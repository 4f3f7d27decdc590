#!/bin/sh
# shellcheck shell=dash
# `make check` in the guest: every test program in /lab/tests, then, on the
# Rust kernel, those in /lab/upstream, and on the debug kernel those in
# /lab/debug (KUnit, fail-nth, the fuzzer; kmemleak last). With
# lab_driver=upstream the module under test is upstream's rust_misc_device
# (CMISC_KO, CMISC_MODULE), not cmisc. Each prints kselftest TAP, filtered
# by $lab_tests, and each has a timeout of its own ($lab_test_timeout s,
# default 120); one that hits it is killed with its children, and the host
# reports it. Results go to the console and, framed (lab/guest/tap.sh), to $LAB_RESULTS, the
# channel the host parses.
# busybox ash has pipefail even though POSIX sh does not.
# shellcheck disable=SC3040
set -o pipefail
: "${lab_tests:=}" "${lab_test_timeout:=120}" "${lab_driver:=cmisc}"
# On upstream's driver, skip the tests its list marks [oops]: they unload
# it with a file open, which crashes the kernel (no .owner upstream).
if [ "$lab_driver" = upstream ] && [ -r /lab/upstream-differences.txt ]; then
	CMISC_TESTS_SKIP=$(sed -n 's/^\([^# ][^ ]*\) .*\[oops\].*/\1/p' /lab/upstream-differences.txt | tr '\n' ' ')
	export CMISC_TESTS_SKIP
	echo "# lab: not run on upstream's driver: $CMISC_TESTS_SKIP"
fi
# shellcheck source=lab/guest/tap.sh
. /lab/tap.sh

rc=0
# kmemleak (debug kernel): scan only when asked, and forget boot-time
# objects. "clear" forgets only what a scan has reported, and a scan reports
# an object only once it is 5 s old and unchanged since the scan before. So
# wait until the boot's objects are old enough, scan twice, then clear.
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan=off >/sys/kernel/debug/kmemleak
	while read -r up _ </proc/uptime && [ "${up%.*}" -lt 6 ]; do
		sleep 1
	done
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	echo "# lab: kmemleak: $(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak) boot-time objects cleared"
	echo clear >/sys/kernel/debug/kmemleak
fi
# KCSAN (the kcsan kernel): 6.1's VFS updates and reads inode timestamps
# without annotations, and strict KCSAN reports that race whenever two
# processes use one pipe (as this script's framing does). Those two
# functions alone are filtered; any other report still fails the run.
if [ -w /sys/kernel/debug/kcsan ]; then
	for f in atime_needs_update generic_update_time; do
		echo "!$f" >/sys/kernel/debug/kcsan
	done
	echo "# lab: kcsan: races in atime_needs_update and generic_update_time (VFS timestamps) are not reported"
fi
if ! insmod "$CMISC_KO"; then
	# Every program then goes unreported: the host names each one.
	echo "# lab: insmod $CMISC_KO failed" | tee -a "$LAB_RESULTS"
	exit 1
fi

# The programs, in order: every test in /lab/tests, then /lab/upstream (not
# while the suite runs against upstream's driver: its hello is shown once,
# beside ours), then /lab/debug, kmemleak last.
programs=
for t in /lab/tests/* /lab/upstream/* /lab/debug/*; do
	case $t in /lab/upstream/*) [ "$lab_driver" = upstream ] && continue ;; esac
	[ -x "$t" ] && [ "${t##*/}" != kmemleak.sh ] && programs="$programs $t"
done
[ -x /lab/debug/kmemleak.sh ] && programs="$programs /lab/debug/kmemleak.sh"
lab_count=$(echo "$programs" | wc -w)

# Each program runs in a session of its own under a watchdog of
# $lab_test_timeout s (PROGRAM.timeout, if it exists, holds a longer one:
# the fuzzer's million operations), framed on the results channel by
# lab/guest/tap.sh.
export CMISC_TESTS="$lab_tests"
exec 3>>"$LAB_RESULTS"
for t in $programs; do
	# A program killed halfway may leave the module unloaded (module_test,
	# tutorial_test): load it again, so the next one is judged on its own.
	if ! lsmod | grep -q "^${CMISC_MODULE:-cmisc} "; then
		echo "# lab: ${CMISC_MODULE:-cmisc} was not loaded before ${t##*/}: loading it"
		insmod "$CMISC_KO"
	fi
	limit=$lab_test_timeout
	[ -r "$t.timeout" ] && limit=$(cat "$t.timeout")
	tap_run "${t##*/}" "$limit" "$t" || rc=1
done

echo "lab-taint $(cat /proc/sys/kernel/tainted)" >>"$LAB_RESULTS"
exit $rc
