#!/bin/sh
# shellcheck shell=dash
# `make run`: the tutorial, replayed and shown step by step. The first step
# that does not do exactly what the tutorial says stops the run, named.
DEV=/dev/rust-misc-device
STEP=
step() {
	STEP=$1
	printf '\n=== %s ===\n' "$1"
}
fail() {
	printf '\nFAILED at step "%s": %s\n' "$STEP" "$*"
	exit 1
}
show() {
	printf '$ %s\n' "$*"
	"$@"
}
dmesg_tail() {
	dmesg | grep -E "$1" | tail -n "${2:-1}" | sed 's/^/  dmesg: /'
}

step "Build an out-of-tree module: the tutorial's hello (Task 7)"
show insmod /lib/modules/cmisc/hello.ko || fail "insmod hello.ko"
show rmmod hello || fail "rmmod hello"
dmesg_tail 'hello: ' 3
dmesg | grep -q 'hello: My numbers are \[72, 108, 200\]' || fail "no 'My numbers are [72, 108, 200]'"

step "Load the misc device driver"
show insmod "$CMISC_KO" || fail "insmod cmisc.ko"
dmesg_tail 'cmisc \(init\)'
dmesg | grep -q 'cmisc (init)' || fail "no (init) message"

step "The device node"
show ls -l "$DEV" || fail "no $DEV"
# shellcheck disable=SC2046 # split ls -l into its fields
set -- $(ls -l "$DEV")
[ "$1" = crw------- ] || fail "mode is $1, not crw-------"
[ "$5" = 10, ] || fail "major is $5 not 10"

step "open logs the opener's uid; HELLO returns 100 (the tutorial's client)"
out=$(cmisc-hello) || fail "cmisc-hello failed"
echo "$ cmisc-hello"
echo "$out"
[ "$out" = "ioctl returned 100" ] || fail "printed '$out'"
dmesg_tail 'Opening cmisc device'
dmesg | grep -q 'Opening cmisc device (uid = 0)' || fail "no open message with uid 0"

step "GET and SET of the value, on one open file"
printf '%s\n' "$ printf 'get\\nset 42\\nget\\n' | cmiscctl session"
out=$(printf 'get\nset 42\nget\n' | cmiscctl session) || fail "session failed"
echo "$out"
[ "$out" = "$(printf '0\n42')" ] || fail "expected 0 then 42"

step "write, then read on the same open file"
echo "$ cmiscctl write 'Hello from C' --then-read"
out=$(cmiscctl write 'Hello from C' --then-read) || fail "write/read failed"
echo "$out"
[ "$out" = "Hello from C" ] || fail "read back '$out'"

step "The upstream sample's C client, unchanged"
echo "$ rust-misc-client"
out=$(rust-misc-client) || fail "rust-misc-client failed"
echo "$out"
echo "$out" | grep -qx Success || fail "rust-misc-client did not print Success"

step "Unload the driver"
show rmmod cmisc || fail "rmmod cmisc"
dmesg_tail 'cmisc \(exit\)'
dmesg | grep -q 'cmisc (exit)' || fail "no (exit) message"
[ ! -e "$DEV" ] || fail "$DEV still exists"

printf '\nAll tutorial steps passed.\n'
