#!/usr/bin/env bash
# Install what the lab needs from Debian's archive, idempotently.
# One script serves every target: it installs only what is missing and says
# what it installs. Without root or passwordless sudo it prints the exact
# command to run and fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

# usage: lab/setup.sh [packaging|newcomer|bench|buildroot|cross-arm64|cross-x86_64]
# With "packaging", also what DKMS, the Debian packages and the Debian
# guest need (make deb, make check ROOTFS=debian); with "newcomer", what
# make newcomer needs to make a bare Debian 12 (debootstrap, git).
# The host's own architecture decides the emulator, the kernel and the
# compiler of the 32-bit build (a cross compiler either way: gcc-multilib
# conflicts with every Debian cross gcc).
case $(dpkg --print-architecture) in
arm64) native=(qemu-system-arm linux-image-arm64 linux-headers-arm64
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross) ;;
*) native=(qemu-system-x86 linux-image-amd64 linux-headers-amd64
	gcc-i686-linux-gnu libc6-dev-i386-cross) ;;
esac
packages=(
	# the VM, the kernel it boots, and the 32-bit compiler
	"${native[@]}"
	busybox-static cpio kmod
	# building the module and the static userspace
	gcc make libc6-dev
	# the debug kernel, checkpatch and the kselftest harness
	linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils
	# the backports kernel: pahole for its modules' BTF, the archive key
	dwarves debian-archive-keyring
	# make lint
	sparse shellcheck
	# the verdict (lab/verdict.py) and its test, which reads junit.xml as a
	# CI system would
	python3 python3-junitparser
	# make gdb, and its batch test in make check
	gdb
)
case ${1:-} in
packaging)
	# dpkg-buildpackage checks build-essential:native itself.
	packages+=(build-essential dkms dh-dkms debhelper dpkg-dev fakeroot lintian adduser debootstrap e2fsprogs)
	;;
newcomer) packages+=(debootstrap git) ;;
bench) packages+=(gnuplot-nox) ;;
buildroot) packages+=(debootstrap) ;;
cross-arm64)
	# An arm64 guest on another host: the emulator and the cross compilers
	# for its module and its static userspace (and that one's 32-bit build).
	packages+=(qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
		gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
	;;
cross-x86_64)
	packages+=(qemu-system-x86 gcc-x86-64-linux-gnu libc6-dev-amd64-cross)
	;;
esac

# Nothing to do when neither this script, its argument nor the installed
# packages (dpkg's status file) changed since it last found all present.
stamp() {
	echo "$LAB_CACHE/stamps/setup-$(cache_key "$here/setup.sh" "${1:-}" "$(stat -c '%Y %s %i' /var/lib/dpkg/status)")"
}
if [[ -e $(stamp "${1:-}") ]]; then
	log "setup: all ${#packages[@]} packages present (unchanged since the last check)"
	exit 0
fi
found() {
	mkdir -p "$LAB_CACHE/stamps"
	touch "$(stamp "${1:-}")"
}

# One installer at a time (make check's kernels run side by side, and
# other checkouts share this machine's dpkg).
mkdir -p "$LAB_CACHE"
exec 9>>"$LAB_CACHE/setup.lock"
flock 9
missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	log "setup: all ${#packages[@]} packages present"
	found "${1:-}"
	exit 0
fi

cmd=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}")
if ((EUID != 0)) && ! sudo -n true 2>/dev/null; then
	printf '[lab] error: missing packages; as root, run:\n  apt-get update && apt-get install -y --no-install-recommends %s\n' \
		"${missing[*]}" >&2
	exit 1
fi

log "setup: installing ${missing[*]}"
as_root apt-get update -q >&2
as_root "${cmd[@]}" >&2
log "setup: done"
found "${1:-}"
