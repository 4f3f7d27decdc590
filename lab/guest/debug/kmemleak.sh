#!/bin/sh
# shellcheck shell=dash
# kmemleak, on the debug kernel, run after every other test: scan past the
# 5 s minimum object age with cmisc loaded (so backtraces resolve) and again
# after unloading it. check.sh cleared the boot's objects before the tests.
# Prints one TAP line; exits 1 on a leak that is ours.
km=/sys/kernel/debug/kmemleak
echo "TAP version 13"
echo "1..1"
if [ ! -e $km ]; then
	echo "not ok 1 kmemleak.no_leaks_from_cmisc # no $km"
	exit 1
fi
round() {
	echo scan >$km
	sleep 6
	echo scan >$km
	cat $km >>/tmp/leaks.all
}
: >/tmp/leaks.all
lsmod | grep -q '^cmisc ' || insmod "$CMISC_KO"
round
rmmod cmisc
round
insmod "$CMISC_KO"
# A leak is ours if its backtrace names cmisc, or is a bare address in the
# module area after the unload.
if grep -q -E 'cmisc|0xffffffff[a-c][0-9a-f]{7}' /tmp/leaks.all; then
	echo "# kmemleak report:"
	sed 's/^/# /' /tmp/leaks.all
	echo "not ok 1 kmemleak.no_leaks_from_cmisc"
	exit 1
fi
echo "ok 1 kmemleak.no_leaks_from_cmisc # $(grep -c 'unreferenced object' /tmp/leaks.all) unrelated objects reported"
