#!/bin/sh
# shellcheck shell=dash
# `make gdb`'s guest: with gdb attached to the kernel (QEMU's gdb stub),
# load cmisc, run the tutorial's client once, and show what it printed;
# then the guest powers off, which ends gdb's session.
echo "# lab: gdb: loading cmisc"
insmod "$CMISC_KO" || exit 1
out=$(cmisc-hello)
rc=$?
echo "$out"
echo "# lab: gdb: cmisc-hello printed '$out', exit $rc"
[ "$rc" = 0 ] && [ "$out" = "ioctl returned 100" ]
