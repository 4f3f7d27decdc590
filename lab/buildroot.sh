#!/usr/bin/env bash
# A Debian build root for kernels that this Debian 12 host cannot build
# for: Debian unstable's kernels are built with a newer gcc, and the Rust
# kernel needs rustc, rust-src, bindgen, clang, lld and llvm from unstable.
# Everything comes from Debian's archive with debootstrap and apt, and
# nothing of it is installed on the host.
#
#   lab/buildroot.sh SUITE              make it (cached), print its path
#   lab/buildroot.sh SUITE --cached     print its path if it is ready, or fail
#   lab/buildroot.sh SUITE run CMD...   run CMD inside it, as root, in the
#                                       current directory
#
# CMD sees the checkout (read-only) and $BUILD (read-write) at the same
# paths as the host, through bind mounts made for that one command and
# always undone on exit; nothing is ever removed across a mount point
# (safe_rm in lab/common.sh). The build root is cached in
# $BUILD/buildroot-SUITE/<key>, keyed by this script; a new key replaces it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

suite=${1:?usage: lab/buildroot.sh SUITE [run CMD...]}
shift
packages=(
	# kernel and module builds
	build-essential bc bison flex libelf-dev libssl-dev dwarves python3 kmod cpio
	xz-utils zstd file
	# the compilers Debian unstable's kernels are built with, and Rust
	gcc-16 rustc rust-src bindgen clang lld llvm
	# the kernel source, for the Rust-enabled kernel
	linux-source
)
key=$( { cat "$here/buildroot.sh"; echo "$suite"; } | sha256sum | cut -c1-16)
top=$BUILD/buildroot-$suite
root=$top/$key/root

make_root() {
	local start=$SECONDS mirror
	"$here/setup.sh" buildroot >&2
	mirror=$(debian_mirror "")
	trap 'umount_all "$top"' EXIT
	safe_rm "$top"
	mkdir -p "$top/$key"
	log "buildroot: debootstrap $suite (minbase) from $mirror"
	"$here/progress.sh" "buildroot: debootstrap $suite" "$top/$key/debootstrap.log" "" \
		"$BUILD/kernels/stats/buildroot-$suite" -- \
		as_root debootstrap --variant=minbase "$suite" "$root" "$mirror" ||
		die "buildroot: debootstrap $suite failed"
	log "buildroot: debootstrap took $((SECONDS - start)) s; installing ${#packages[@]} packages"
	chroot_apt_conf "$root"
	as_root mount -t proc proc "$root/proc"
	as_root chroot "$root" apt-get update -q >"$top/$key/apt.log" 2>&1 ||
		{ tail -n 30 "$top/$key/apt.log" >&2; die "buildroot: apt-get update in $suite failed"; }
	"$here/progress.sh" "buildroot: installing ${#packages[@]} packages in $suite" "$top/$key/apt-install.log" "" "" -- \
		as_root chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${packages[@]}" || die "buildroot: apt-get install in $suite failed"
	as_root chroot "$root" apt-get clean
	umount_all "$top"
	touch "$top/$key/.done"
	log "buildroot: $suite ready in $((SECONDS - start)) s"
}

if [[ ${1:-} == --cached ]]; then
	[[ -e $top/$key/.done ]] || exit 1
	echo "$root"
	exit 0
fi
if [[ ! -e $top/$key/.done ]]; then
	# One maker at a time; a second waits, then finds it made.
	mkdir -p "$BUILD"
	exec 8>"$BUILD/buildroot-$suite.lock"
	flock 8
	[[ -e $top/$key/.done ]] || make_root
	exec 8>&-
fi

if [[ ${1:-} != run ]]; then
	echo "$root"
	exit 0
fi
shift

# Bind the checkout (read-only) and $BUILD (read-write) at their own paths,
# plus proc (objtool and the kernel's build need it), for this command only.
# One command at a time: the mounts are shared.
exec 9>"$top/run.lock"
flock 9
trap 'umount_all "$root"' EXIT
as_root mount -t proc proc "$root/proc"
as_root mkdir -p "$root$TOP_DIR" "$root$BUILD"
as_root mount --bind "$TOP_DIR" "$root$TOP_DIR"
as_root mount -o remount,bind,ro "$root$TOP_DIR"
as_root mount --bind "$BUILD" "$root$BUILD"
status=0
# shellcheck disable=SC2016 # expanded by the inner shell
as_root chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LANG=C.UTF-8 /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$PWD" "$@" || status=$?
umount_all "$root"
exit "$status"
