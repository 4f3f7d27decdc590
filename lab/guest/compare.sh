#!/bin/sh
# shellcheck shell=dash
# On the Rust kernel: upstream's rust_misc_device and cmisc side by side,
# call for call (tests/compare/compare.c). Loads upstream's module (node
# /dev/rust-misc-device) and cmisc with name=cmisc-compare (node
# /dev/cmisc-compare), runs the comparison, and unloads both. Prints the
# program's TAP; if the modules cannot be loaded, a TAP plan of one failed
# test saying why.
#
# usage: compare.sh [compare options...]   (see compare --help; the default
#        is 4 seeds of 25,000 calls)
#
# Environment: CMISC_KO, cmisc's module (the init's; when it names upstream's
# module, as with lab_driver=upstream, /lib/modules/cmisc/cmisc.ko is used);
# COMPARE_UPSTREAM_KO, upstream's (default
# /lib/modules/upstream/rust_misc_device.ko); COMPARE_CMISC_PARAMS, cmisc's
# parameters besides name= (default max_size=256, so that writes of up to 300
# bytes also meet cmisc's size limit, a difference of its own); COMPARE_BIN,
# the program (default /lab/compare/compare, else /lab/bin/compare).
#
# Exit status: the program's (0: every difference explained), or 1 if a
# module could not be loaded or unloaded.
upstream_ko=${COMPARE_UPSTREAM_KO:-/lib/modules/upstream/rust_misc_device.ko}
cmisc_ko=${CMISC_KO:-/lib/modules/cmisc/cmisc.ko}
case $cmisc_ko in
*/rust_misc_device.ko) cmisc_ko=/lib/modules/cmisc/cmisc.ko ;;
esac
params=${COMPARE_CMISC_PARAMS-max_size=256}
bin=${COMPARE_BIN:-}
if [ -z "$bin" ]; then
	for b in /lab/compare/compare /lab/bin/compare; do
		[ -x "$b" ] && bin=$b && break
	done
fi

loaded() {
	lsmod | grep -q "^$1 "
}

unload() {
	urc=0
	for m in cmisc rust_misc_device; do
		if loaded "$m" && ! rmmod "$m"; then
			echo "# compare.sh: rmmod $m failed"
			urc=1
		fi
	done
	return $urc
}

fail() {
	echo "TAP version 13"
	echo "1..1"
	echo "not ok 1 compare.setup # $(echo "$*" | tr '\n' ' ')"
	unload
	exit 1
}

# wait_node NAME: the node devtmpfs makes, within 2 s.
wait_node() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -c "/dev/$1" ] && return 0
		sleep 0.2
	done
	return 1
}

[ -n "$bin" ] || fail "no compare program (COMPARE_BIN, /lab/compare/compare, /lab/bin/compare)"
[ -r "$upstream_ko" ] || fail "no upstream module $upstream_ko"
[ -r "$cmisc_ko" ] || fail "no cmisc module $cmisc_ko"
# Whatever was loaded before (cmisc under the default name would hold
# /dev/rust-misc-device) goes first.
unload || fail "could not unload the modules loaded before"
out=$(insmod "$upstream_ko" 2>&1) || fail "insmod $upstream_ko: $out"
# shellcheck disable=SC2086 # the parameters are words
out=$(insmod "$cmisc_ko" name=cmisc-compare $params 2>&1) ||
	fail "insmod $cmisc_ko name=cmisc-compare $params: $out"
wait_node rust-misc-device || fail "/dev/rust-misc-device did not appear"
wait_node cmisc-compare || fail "/dev/cmisc-compare did not appear"
[ "$(cat /sys/module/cmisc/parameters/name 2>/dev/null)" = cmisc-compare ] ||
	fail "cmisc is not the module behind /dev/cmisc-compare"

# Upstream's driver logs a line on every call, dev_err for each unknown
# ioctl: keep them off the console (they still reach the kernel log).
printk=$(cat /proc/sys/kernel/printk)
echo 1 >/proc/sys/kernel/printk
"$bin" "$@"
rc=$?
echo "$printk" >/proc/sys/kernel/printk
unload || rc=1
exit $rc
