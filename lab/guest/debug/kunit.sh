# shellcheck shell=dash
# shellcheck disable=SC2034 # rc belongs to check.sh, which sources this
# The debug kernel's extra passes, sourced by check.sh after the test suite:
# KUnit, the fail-nth sweep, the fuzzer, and a kmemleak verdict. Uses
# check.sh's run_tap, $rc and $LAB_RESULTS.

tap() {
	echo "$1" | tee -a "$LAB_RESULTS"
}

# KUnit: the suite runs when its module loads; debugfs keeps its KTAP.
if [ -e /lib/modules/cmisc/cmisc_kunit.ko ] && insmod /lib/modules/cmisc/cmisc_kunit.ko; then
	ktap=/sys/kernel/debug/kunit/cmisc_core/results
	echo "# lab: kunit (from $ktap)"
	cat "$ktap"
	# Subtests are the indented "ok N name" lines, and a parameterised
	# case's rows ("ok N [- ]description") one level deeper; count each.
	sed -n 's/^ *\(not ok\|ok\) \([0-9]*\) \(- \)\{0,1\}\([A-Za-z_0-9-]*\).*/\1 \2 kunit.cmisc_core.\4/p' "$ktap" |
		grep -v ' kunit.cmisc_core.cmisc_core$' >/tmp/kunit
	[ -s /tmp/kunit ] || echo "not ok 1 kunit.cmisc_core # no results" >/tmp/kunit
	# KUnit keeps 512 bytes of log per case: a case with long failure
	# messages can lose its own "not ok" line. Trust the suite's counts.
	fails=$(sed -n 's/^# cmisc_core: pass:[0-9]* fail:\([0-9]*\).*/\1/p' "$ktap")
	named=$(grep -c '^not ok' /tmp/kunit)
	if [ "${fails:-1}" -gt "$named" ]; then
		echo "not ok 99 kunit.cmisc_core # ${fails:-?} cases failed, $named named in the log" >>/tmp/kunit
	fi
	tee -a "$LAB_RESULTS" </tmp/kunit
	grep -q '^not ok' /tmp/kunit && rc=1
	rmmod cmisc_kunit
else
	tap "not ok 1 kunit.cmisc_core # cmisc_kunit.ko did not load"
	rc=1
fi

for t in /lab/debug/*; do
	run_tap "$(basename "$t")" "$t"
done

# kmemleak: clear at boot (check.sh), suite run, now scan past the 5 s
# minimum object age, with the module loaded (so backtraces resolve) and
# again after unloading it.
km=/sys/kernel/debug/kmemleak
kmemleak_round() {
	echo scan >"$km"
	sleep 6
	echo scan >"$km"
	cat "$km" >/tmp/leaks
}
if [ -e "$km" ]; then
	kmemleak_round
	cp /tmp/leaks /tmp/leaks.all
	rmmod cmisc
	kmemleak_round
	cat /tmp/leaks >>/tmp/leaks.all
	# A leak is ours if its backtrace names cmisc, or is a bare address in
	# the module area after the unload.
	if grep -q -E 'cmisc|0xffffffff[a-c][0-9a-f]{7}' /tmp/leaks.all; then
		echo "# kmemleak report:"
		sed 's/^/# /' /tmp/leaks.all
		tap "not ok 1 kmemleak.no_leaks_from_cmisc"
		rc=1
	else
		n=$(grep -c 'unreferenced object' /tmp/leaks.all)
		tap "ok 1 kmemleak.no_leaks_from_cmisc # $n unrelated objects reported"
	fi
	insmod "$CMISC_KO"
fi
