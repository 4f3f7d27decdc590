#!/bin/sh
# shellcheck shell=dash
# On the Rust kernel: upstream's rust_minimal and the tutorial's C hello,
# side by side. Each must print its init line on load, and on unload
# "My numbers are [72, 108, 200]" and its exit line. Prints TAP.
n=0
rc=0
echo "TAP version 13"
echo "1..8"
tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		rc=1
	fi
}
# module_lines KO NAME INIT NUMBERS EXIT: load, unload, and find the three
# lines among the kernel messages logged after a marker written first to
# /dev/kmsg (read by position, not by counting the ring's lines).
module_lines() {
	ko=$1 name=$2 marker="lab-mark-$name-$$"
	echo "$marker" >/dev/kmsg
	if insmod "$ko" && rmmod "$name"; then
		tap ok "upstream.$name.loads_and_unloads"
	else
		tap fail "upstream.$name.loads_and_unloads"
	fi
	dmesg | sed -n "/$marker/,\$p" >/tmp/kmsg.new
	sed 's/^/# /' /tmp/kmsg.new
	for want in "$3" "$4" "$5"; do
		if grep -qF "$want" /tmp/kmsg.new; then
			tap ok "upstream.$name.prints '$want'"
		else
			tap fail "upstream.$name.prints '$want'"
		fi
	done
}
module_lines /lib/modules/upstream/rust_minimal.ko rust_minimal \
	"Rust minimal sample (init)" "My numbers are [72, 108, 200]" "Rust minimal sample (exit)"
module_lines /lib/modules/cmisc/hello.ko hello \
	"C minimal sample (init)" "My numbers are [72, 108, 200]" "C minimal sample (exit)"
exit $rc
