#!/bin/sh
# shellcheck shell=dash
# KUnit, on the debug kernel: the cmisc_core suite runs when its module
# loads and prints its KTAP to the kernel log, every row of a parameterised
# case included (debugfs keeps only 512 bytes of each case's log). Prints
# one TAP line per case and per row; exits 1 if any failed.
ko=/lib/modules/cmisc/cmisc_kunit.ko
ktap=/tmp/kunit.ktap
marker="lab-mark-kunit-$$"
echo "$marker" >/dev/kmsg
if [ ! -e $ko ] || ! insmod $ko; then
	echo "not ok 1 kunit.cmisc_core # cmisc_kunit.ko did not load"
	exit 1
fi
# The suite's lines since the marker, read by position, without timestamps.
dmesg | sed -n "/$marker/,\$p" | sed 's/^\[[^]]*\] //' >"$ktap"
echo "# kunit: KTAP from the kernel log"
sed 's/^/# /' "$ktap"
# Subtests are the indented "ok N name" lines, and a parameterised case's
# rows ("ok N [- ]description") one level deeper; count each.
sed -n 's/^ *\(not ok\|ok\) \([0-9]*\) \(- \)\{0,1\}\([A-Za-z_0-9-]*\).*/\1 \2 kunit.cmisc_core.\4/p' "$ktap" |
	grep -v ' kunit.cmisc_core.cmisc_core$' >/tmp/kunit
[ -s /tmp/kunit ] || echo "not ok 1 kunit.cmisc_core # no results" >/tmp/kunit
# KUnit keeps 512 bytes of log per case: a case with long failure messages
# can lose its own "not ok" line. Trust the suite's counts.
fails=$(sed -n 's/^# cmisc_core: pass:[0-9]* fail:\([0-9]*\).*/\1/p' "$ktap")
named=$(grep -c '^not ok' /tmp/kunit)
if [ "${fails:-1}" -gt "$named" ]; then
	echo "not ok 99 kunit.cmisc_core # ${fails:-?} cases failed, $named named in the log" >>/tmp/kunit
fi
cat /tmp/kunit
rmmod cmisc_kunit
! grep -q '^not ok' /tmp/kunit
