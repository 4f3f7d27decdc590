#!/bin/sh
# shellcheck shell=dash
# `make check` in the guest: every test program in /lab/tests, then, on the
# Rust kernel, those in /lab/upstream, and on the debug kernel those in
# /lab/debug (KUnit, fail-nth, the fuzzer; kmemleak last). With
# lab_driver=upstream the module under test is upstream's rust_misc_device
# (CMISC_KO, CMISC_MODULE), not cmisc. Each prints kselftest TAP, filtered by $lab_tests, and each has a
# timeout of its own ($lab_test_timeout s, default 120); one that hits it is
# killed with its children and reported as "not ok ... # TIMEOUT". Results
# go to the console and to $LAB_RESULTS, the channel the host counts.
# busybox ash has pipefail even though POSIX sh does not.
# shellcheck disable=SC3040
set -o pipefail
: "${lab_tests:=}" "${lab_test_timeout:=120}" "${lab_driver:=cmisc}"
# On upstream's driver, skip the tests its list marks [oops]: they unload
# it with a file open, which crashes the kernel (no .owner upstream).
if [ "$lab_driver" = upstream ] && [ -r /lab/upstream-differences.txt ]; then
	CMISC_TESTS_SKIP=$(sed -n 's/^\([^# ][^ ]*\) .*\[oops\].*/\1/p' /lab/upstream-differences.txt | tr '\n' ' ')
	export CMISC_TESTS_SKIP
	echo "# lab: not run on upstream's driver: $CMISC_TESTS_SKIP" | tee -a "$LAB_RESULTS"
fi
read -r up _ </proc/uptime
echo "# lab: first test starts ${up}s after boot" | tee -a "$LAB_RESULTS"

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
if ! insmod "$CMISC_KO"; then
	echo "not ok 1 insmod $CMISC_KO" | tee -a "$LAB_RESULTS"
	exit 1
fi

# run_tap PROGRAM: run one TAP producer in a session of its own, under a
# watchdog that kills the whole session at the timeout (PROGRAM.timeout, if
# it exists, holds a longer one: the fuzzer's million operations). A program
# that dies without reporting a failure still counts as one.
run_tap() {
	name=$(basename "$1")
	limit=$lab_test_timeout
	[ -r "$1.timeout" ] && limit=$(cat "$1.timeout")
	echo "# lab: $name" | tee -a "$LAB_RESULTS"
	rm -f /tmp/timedout
	read -r t0 _ </proc/uptime
	CMISC_TESTS="$lab_tests" setsid "$1" >/tmp/tap 2>&1 &
	pid=$!
	(
		sleep "$limit"
		touch /tmp/timedout
		kill -KILL -"$pid" 2>/dev/null || kill -KILL "$pid"
	) &
	watchdog=$!
	wait "$pid"
	trc=$?
	kill "$watchdog" 2>/dev/null
	read -r t1 _ </proc/uptime
	cat /tmp/tap
	cat /tmp/tap >>"$LAB_RESULTS"
	echo "# lab: $name took $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s" | tee -a "$LAB_RESULTS"
	if [ -e /tmp/timedout ]; then
		rc=1
		echo "not ok 1 $name # TIMEOUT after ${limit}s" | tee -a "$LAB_RESULTS"
	elif [ "$trc" -ne 0 ]; then
		rc=1
		grep -q '^not ok ' /tmp/tap ||
			echo "not ok 1 $name # exited with status $trc" | tee -a "$LAB_RESULTS"
	fi
}

for t in /lab/tests/* /lab/upstream/* /lab/debug/*; do
	# Upstream's hello is shown side by side with ours once, not again
	# while the suite runs against upstream's driver.
	case $t in /lab/upstream/*) [ "$lab_driver" = upstream ] && continue ;; esac
	[ -x "$t" ] && [ "${t##*/}" != kmemleak.sh ] && run_tap "$t"
done
[ -x /lab/debug/kmemleak.sh ] && run_tap /lab/debug/kmemleak.sh

echo "lab-taint $(cat /proc/sys/kernel/tainted)" >>"$LAB_RESULTS"
exit $rc
