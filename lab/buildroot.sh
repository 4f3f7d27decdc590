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
# (safe_rm in lab/common.sh). The build root is a cache entry (lab/cache.sh),
# $LAB_CACHE/buildroot/SUITE-<key>, keyed by this script, the suite and the ISO
# week: a moving suite (sid) is taken afresh once a week, and the kernels
# built in it follow (lab/build-kernel.sh keys them by its compilers and
# kernel source). CMD also sees $LAB_CACHE/kernels, where those kernels are.
# debootstrap and apt keep the .debs they fetch in the shared archive
# cache, $LAB_CACHE/apt/archives (apt checks each file's hash before use).
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
# (lab/lab.sh fixes the week once per run: a run across Monday 00:00 UTC
# keeps one build root.)
key=$(cache_key "$here/buildroot.sh" "$suite" "${CMISC_BUILDROOT_WEEK:-$(date -u +%G-W%V)}")
entry=$LAB_CACHE/buildroot/$suite-$key
root=$entry/root
archives=$LAB_CACHE/apt/archives

make_root() {
	local start=$SECONDS mirror work
	"$here/setup.sh" buildroot >&2
	mirror=$(debian_mirror "")
	work=$(cache_begin "$entry" 4096)
	trap 'umount_all "$work"' EXIT
	archives_lock
	log "buildroot: debootstrap $suite (minbase) from $mirror"
	"$here/progress.sh" "buildroot: debootstrap $suite" "$work/debootstrap.log" "" \
		"$LAB_CACHE/stats/buildroot-$suite" -- \
		as_root debootstrap --variant=minbase --cache-dir="$archives" "$suite" "$work/root" "$mirror" ||
		cache_fail "$entry" "buildroot: debootstrap $suite failed"
	log "buildroot: debootstrap took $((SECONDS - start)) s; installing ${#packages[@]} packages"
	chroot_apt_conf "$work/root"
	as_root mount -t proc proc "$work/root/proc"
	as_root mount --bind "$archives" "$work/root/var/cache/apt/archives"
	as_root chroot "$work/root" apt-get update -q >"$work/apt.log" 2>&1 ||
		{ tail -n 30 "$work/apt.log" >&2; die "buildroot: apt-get update in $suite failed"; }
	"$here/progress.sh" "buildroot: installing ${#packages[@]} packages in $suite" "$work/apt-install.log" "" "" -- \
		as_root chroot "$work/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${packages[@]}" || cache_fail "$entry" "buildroot: apt-get install in $suite failed"
	umount_all "$work"
	archives_unlock
	trap - EXIT
	cache_commit "$entry"
	log "buildroot: $suite ready in $((SECONDS - start)) s ($(cache_name "$entry"))"
}

if [[ ${1:-} == --cached ]]; then
	cache_ready "$entry" || exit 1
	echo "$root"
	exit 0
fi
if ! cache_hit "$entry"; then
	# One maker at a time; a second waits, then finds it made.
	cache_lock "$entry"
	cache_hit "$entry" || make_root
	cache_unlock
fi

if [[ ${1:-} != run ]]; then
	echo "$root"
	exit 0
fi
shift

# Bind the checkout (read-only), $BUILD and $LAB_CACHE/kernels (read-write)
# at their own paths, plus proc (objtool and the kernel's build need it),
# in a mount namespace of this command's own: the mounts are its alone,
# commands run side by side (a kernel's build beside another kernel's
# modules), and they are gone when it ends, however it ends.
mkdir -p "$LAB_CACHE/kernels"
cache_use "$entry"
as_root mkdir -p "$root$TOP_DIR" "$root$BUILD" "$root$LAB_CACHE/kernels"
status=0
# shellcheck disable=SC2016 # expanded by the inner shell
as_root unshare --mount --propagation private /bin/bash -c '
	set -e
	root=$1 top=$2 build=$3 kernels=$4 cwd=$5
	shift 5
	mount -t proc proc "$root/proc"
	mount --bind "$top" "$root$top"
	mount -o remount,bind,ro "$root$top"
	mount --bind "$build" "$root$build"
	mount --bind "$kernels" "$root$kernels"
	exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 /bin/sh -c "cd \"\$1\" && shift && exec \"\$@\"" sh "$cwd" "$@"' \
	bash "$root" "$TOP_DIR" "$BUILD" "$LAB_CACHE/kernels" "$PWD" "$@" || status=$?
exit "$status"
