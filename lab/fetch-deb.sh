#!/usr/bin/env bash
# Fetch one Debian package for an architecture with apt (lab/common.sh's
# private_apt: the machine's mirror, Debian's archive key) and unpack it
# under the build directory, never installing it. Used for what a guest of
# another architecture needs, such as arm64's busybox-static.
#
# usage: lab/fetch-deb.sh SUITE DEB_ARCH PACKAGE
# Prints the directory it was unpacked in, a cache entry (lab/cache.sh),
# $LAB_CACHE/debs/SUITE-ARCH-PACKAGE_VERSION. apt's lists are refreshed when
# older than CMISC_APT_MAX_AGE minutes (default 60). Offline, the newest
# copy fetched before is used, and the lab says so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

suite=${1:?usage: lab/fetch-deb.sh SUITE DEB_ARCH PACKAGE} arch=${2:?} pkg=${3:?}
prefix=$LAB_CACHE/debs/$suite-$arch-${pkg}_
apt_dir=$LAB_CACHE/apt-state/$suite-$arch
mkdir -p "$LAB_CACHE/debs" "$LAB_CACHE/apt-state"
exec 8>"$apt_dir.lock"
flock 8
ok=1
private_apt "$suite" "$arch" "$apt_dir" --fresh || ok=0
if ((ok)); then
	version=$(apt-cache "${apt_opts[@]}" show "$pkg:$arch" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[[ -n $version ]] || die "fetch deb: no $pkg for $arch in $suite"
else
	version=$(find "$LAB_CACHE/debs" -mindepth 1 -maxdepth 1 -type d -path "$prefix*" ! -name '*.tmp' -printf '%f\n' |
		sed "s/^$suite-$arch-${pkg}_//" | sort -V | tail -n 1)
	[[ -n $version ]] || die "fetch deb: $suite unreachable and no $pkg cached"
	stale "fetch deb: $suite unreachable, using the cached $pkg $version"
fi
entry=$prefix$version
if ! cache_hit "$entry"; then
	cache_lock "$entry"
	if ! cache_hit "$entry"; then
		work=$(cache_begin "$entry" 256)
		mkdir -p "$work/dl"
		(cd "$work/dl" && apt-get "${apt_opts[@]}" download "$pkg:$arch=$version") >"$work/download.log" 2>&1 ||
			{ cat "$work/download.log" >&2; cache_fail "$entry" "fetch deb: apt-get download $pkg failed"; }
		dpkg-deb -x "$work"/dl/*.deb "$work" || cache_fail "$entry" "fetch deb: unpacking $pkg failed"
		rm -rf "$work/dl"
		cache_commit "$entry"
		log "fetch deb: $pkg $version ($arch) from $suite ($(cache_name "$entry"))"
	fi
	cache_unlock
fi
echo "$entry"
