#!/usr/bin/env bash
# Fetch the newest kernel of a Debian suite for one architecture: the image,
# the headers and the kbuild tools they need. They are only unpacked under
# the build directory, never installed. apt does the download, with a
# private sources list and state but the host's apt configuration (proxy
# included), so the packages are checked against Debian's archive key like
# any other; the mirror is the one this machine's apt uses.
#
# usage: lab/fetch-kernel.sh SUITE DEB_ARCH [--cached]
# Prints "KDIR IMAGE RELEASE" on stdout. Each kernel is a cache entry
# (lab/cache.sh), $LAB_CACHE/kernels/fetch-SUITE-ARCH-RELEASE_VERSION, keyed by
# the suite, the architecture and the image package's version. apt's
# lists are refreshed when older than CMISC_APT_MAX_AGE minutes (default
# 60). Offline, the newest kernel fetched before from that suite is used,
# and the lab says so. With --cached, only that newest cached kernel is
# answered, or the script fails; nothing is fetched.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

suite=${1:?usage: lab/fetch-kernel.sh SUITE DEB_ARCH} arch=${2:?usage: lab/fetch-kernel.sh SUITE DEB_ARCH}
host=$(dpkg --print-architecture)
prefix=$LAB_CACHE/kernels/fetch-$suite-$arch-
apt_dir=$LAB_CACHE/apt-state/$suite-$arch

# answer ENTRY: the line this script prints for a complete entry.
answer() {
	local krel=${1#"$prefix"}
	krel=${krel%_*}
	echo "$1/usr/src/linux-headers-$krel $1/vmlinuz $krel"
}

# newest_cached: the newest complete entry of this suite and architecture.
newest_cached() {
	find "$LAB_CACHE/kernels" -mindepth 1 -maxdepth 1 -type d -path "$prefix*" ! -name '*.tmp' -printf '%f\n' 2>/dev/null |
		sort -V | tail -n 1 | sed "s|^|$LAB_CACHE/kernels/|" | grep -v '/$' || true
}

if [[ ${3:-} == --cached ]]; then
	entry=$(newest_cached)
	[[ -n $entry ]] || exit 1
	answer "$entry"
	exit 0
fi

# The release linux-image-<arch> points at, e.g. 6.12.95+deb12-amd64.
newest_release() {
	apt-cache "${apt_opts[@]}" depends "linux-headers-$arch:$arch" 2>/dev/null |
		sed -n "s/^ *Depends: linux-headers-\(.*-$arch\)\(:$arch\)\{0,1\}$/\1/p" | sort -V | tail -n 1
}

# The headers' own package dependencies: the -common tree and linux-kbuild.
# kbuild runs on the build host, so it is fetched for the host's architecture.
header_deps() {
	apt-cache "${apt_opts[@]}" depends "linux-headers-$1:$arch" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[^ :]*\|linux-kbuild-[^ :]*\).*/\1/p' |
		while read -r p; do
			if [[ $p == linux-kbuild-* ]]; then echo "$p:$host"; else echo "$p:$arch"; fi
		done
}

# The private apt state is shared by every run: one user at a time.
mkdir -p "$(dirname "$apt_dir")"
exec 8>"$apt_dir.lock"
flock 8
krel='' ok=1
private_apt "$suite" "$arch" "$apt_dir" --fresh || ok=0
if ((ok)); then
	krel=$(newest_release)
	[[ -n $krel ]] || die "fetch kernel: no linux-headers-$arch in $suite"
	version=$(apt-cache "${apt_opts[@]}" show "linux-image-$krel:$arch" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[[ -n $version ]] || die "fetch kernel: no version of linux-image-$krel in $suite"
	root=$prefix${krel}_$version
else
	root=$(newest_cached)
	[[ -n $root ]] || { cat "$apt_dir/update.log" >&2; die "fetch kernel: apt-get update for $suite failed"; }
	stale "fetch kernel: $suite unreachable, using the newest cached kernel, $(cache_name "$root")"
fi

if cache_hit "$root"; then
	log "fetch kernel: $suite $(basename "$root") (cached)"
	answer "$root"
	exit 0
fi
cache_lock "$root"
if cache_hit "$root"; then
	answer "$root"
	exit 0
fi
work=$(cache_begin "$root" 2048)
start=$SECONDS
# Newer kernels split the image package: the vmlinuz is in linux-binary-*.
image_deps() {
	apt-cache "${apt_opts[@]}" depends "linux-image-$1:$arch" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-binary-[^ :]*\).*/\1:$arch/p"
}
mapfile -t pkgs < <(echo "linux-image-$krel:$arch"; image_deps "$krel"
	echo "linux-headers-$krel:$arch"; header_deps "$krel")
log "fetch kernel: fetching ${pkgs[*]} from $suite"
mkdir -p "$work/debs"
"$here/progress.sh" "fetch kernel: downloading from $suite" "$work/download.log" "" \
	"$LAB_CACHE/stats/fetch-$suite-$arch" -- \
	env -C "$work/debs" apt-get "${apt_opts[@]}" download "${pkgs[@]}" ||
	cache_fail "$root" "fetch kernel: apt-get download failed"
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$work" || cache_fail "$root" "fetch kernel: unpacking $(basename "$deb") failed"
done
rm -rf "$work/debs"
exec 8>&-

# The headers' Makefile names the common tree (and, in newer kernels, its
# own output directory) by installed, absolute paths; point them at the
# unpacked ones, by the entry's final name (the rename below makes them
# true). Everything else links relatively, except the kbuild tools.
sed -i "s|\([ =]\)/usr/src/|\1$root/usr/src/|g" "$work/usr/src/linux-headers-$krel/Makefile"
find "$work/usr/src" -maxdepth 2 -type l -lname '/usr/lib/linux-kbuild-*' -print0 |
	while IFS= read -r -d '' link; do
		ln -sfn "$root$(readlink "$link")" "$link"
	done
# The image is in /boot, or (newer packages) in /usr/lib/modules/<release>.
for image in "boot/vmlinuz-$krel" "usr/lib/modules/$krel/vmlinuz"; do
	[[ -r $work/$image ]] && ln -sfn "$image" "$work/vmlinuz" && break
done
[[ -r $work/vmlinuz && -e $work/usr/src/linux-headers-$krel/Module.symvers ]] ||
	die "fetch kernel: $krel unpacked incompletely"
cache_commit "$root"
log "fetch kernel: $suite $krel unpacked in $((SECONDS - start)) s ($(cache_name "$root"))"
answer "$root"
