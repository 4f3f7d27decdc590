#!/usr/bin/env bash
# Print "kvm" if KVM really runs a guest here, else "tcg".
#
# /dev/kvm can exist and still hang a guest, so the probe boots the lab's own
# kernel and initramfs under KVM (lab/vm.sh probe) with a hard timeout of a
# few seconds and waits for the guest's verdict. Another architecture than
# the host's is always TCG. The answer is cached for 30 minutes in
# $BUILD/accel, which covers every VM boot of one make run.
# usage: lab/accel.sh ARCH KERNEL INITRAMFS
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

arch=${1:?usage: lab/accel.sh ARCH KERNEL INITRAMFS}
if [[ $arch != "$(host_arch)" ]]; then
	echo tcg
	exit 0
fi
cache=$BUILD/accel
if [[ -n $(find "$cache" -mmin -30 2>/dev/null) ]]; then
	cat "$cache"
	exit 0
fi

answer=tcg
if [[ -r /dev/kvm && -w /dev/kvm ]]; then
	probe=$(mktemp -d)
	if "$here/vm.sh" probe "$arch" "$2" "$3" "$probe" "${LAB_KVM_PROBE_TIMEOUT:-8}" 2>/dev/null; then
		answer=kvm
	else
		log "accel: /dev/kvm is present but a guest did not boot under it"
	fi
	rm -rf "$probe"
else
	log "accel: no usable /dev/kvm"
fi
log "accel: using $answer"
mkdir -p "$BUILD"
echo "$answer" >"$cache"
echo "$answer"
