#!/bin/sh
# shellcheck shell=dash
# `make check` in the guest: every test binary in /lab/tests, each a
# kselftest TAP stream, filtered by $lab_tests. Results go to the console
# and to $LAB_RESULTS, the channel the host counts.
# busybox ash has pipefail even though POSIX sh does not.
# shellcheck disable=SC3040
set -o pipefail
: "${lab_tests:=}"
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
	echo "not ok 1 insmod cmisc.ko" | tee -a "$LAB_RESULTS"
	exit 1
fi

# run_tap NAME CMD...: run one TAP producer; a binary that dies without
# reporting a failure still counts as one.
run_tap() {
	name=$1
	shift
	echo "# lab: $name"
	read -r t0 _ </proc/uptime
	CMISC_TESTS="$lab_tests" "$@" >/tmp/tap 2>&1
	trc=$?
	read -r t1 _ </proc/uptime
	cat /tmp/tap
	cat /tmp/tap >>"$LAB_RESULTS"
	echo "# lab: $name took $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s" | tee -a "$LAB_RESULTS"
	if [ "$trc" -ne 0 ]; then
		rc=1
		grep -q '^not ok ' /tmp/tap ||
			echo "not ok 1 $name # exited with status $trc" | tee -a "$LAB_RESULTS"
	fi
}

for t in /lab/tests/*; do
	run_tap "$(basename "$t")" "$t"
done

# The debug kernel's extra passes (KUnit, fault injection, fuzzer,
# kmemleak) live in debug.sh; they need debugfs entries Debian's kernel lacks.
if [ -d /sys/kernel/debug/kunit ] || [ -e /sys/kernel/debug/kmemleak ]; then
	# shellcheck source=lab/guest/debug.sh
	. /lab/debug.sh
fi

echo "lab-taint $(cat /proc/sys/kernel/tainted)" >>"$LAB_RESULTS"
exit $rc
