#!/usr/bin/env bash
# Print "kvm" if KVM really runs a guest here, else "tcg".
#
# /dev/kvm can exist and still hang a guest, so the probe boots the lab's own
# kernel and initramfs under KVM with a hard timeout of a few seconds and
# waits for the guest's "lab-probe-ok". The answer is cached for 30 minutes
# in $BUILD/accel, which covers every VM boot of one make run.
# usage: lab/accel.sh KERNEL INITRAMFS
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

cache=$BUILD/accel
if [[ -n $(find "$cache" -mmin -30 2>/dev/null) ]]; then
	cat "$cache"
	exit 0
fi

answer=tcg
if [[ -r /dev/kvm && -w /dev/kvm ]]; then
	out=$(mktemp)
	timeout -k 1 "${LAB_KVM_PROBE_TIMEOUT:-8}" qemu-system-x86_64 \
		-accel kvm -cpu host -m 256 -display none -monitor none -no-reboot \
		-kernel "$1" -initrd "$2" -append "console=ttyS0 quiet panic=-1 lab_job=probe" \
		-serial null -serial "file:$out" -serial null </dev/null >/dev/null 2>&1 || true
	grep -q lab-probe-ok "$out" && answer=kvm
	rm -f "$out"
	[[ $answer == kvm ]] || log "accel: /dev/kvm is present but a guest did not boot under it"
else
	log "accel: no usable /dev/kvm"
fi
log "accel: using $answer"
mkdir -p "$BUILD"
echo "$answer" >"$cache"
echo "$answer"
