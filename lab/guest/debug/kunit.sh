#!/bin/sh
# shellcheck shell=dash
# KUnit, on the debug kernel: the cmisc_core suite runs when its module
# loads and prints its KTAP to the kernel log, every row of a parameterised
# case included (debugfs keeps only 512 bytes of each case's log). Prints
# that KTAP, nested as it is, under a plan of one suite: the host parses it
# with the kernel's own KTAP parser, like any other program's output.
ko=/lib/modules/cmisc/cmisc_kunit.ko
marker="lab-mark-kunit-$$"
echo "TAP version 13"
echo "1..1"
echo "$marker" >/dev/kmsg
if [ ! -e $ko ] || ! insmod $ko; then
	echo "not ok 1 cmisc_core # cmisc_kunit.ko did not load"
	exit 1
fi
# The suite's lines since the marker, read by position, without
# timestamps. The suite's own result line carries the kernel's count of
# suites run since boot; here it is the one suite of this plan.
dmesg | sed -n "/$marker/,\$p" | sed '1d; s/^\[[^]]*\] //' |
	sed 's/^\(not ok\|ok\) [0-9]* - cmisc_core$/\1 1 - cmisc_core/'
rmmod cmisc_kunit
