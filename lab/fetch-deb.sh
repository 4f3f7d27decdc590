#!/usr/bin/env bash
# Fetch one Debian package for an architecture with apt (lab/common.sh's
# private_apt: the machine's mirror, Debian's archive key) and unpack it
# under the build directory, never installing it. Used for what a guest of
# another architecture needs, such as arm64's busybox-static.
#
# usage: lab/fetch-deb.sh SUITE DEB_ARCH PACKAGE
# Prints the directory it was unpacked in. Offline, the newest copy fetched
# before is used, and the lab says so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

suite=${1:?usage: lab/fetch-deb.sh SUITE DEB_ARCH PACKAGE} arch=${2:?} pkg=${3:?}
top=$BUILD/debs/$suite-$arch
if private_apt "$suite" "$arch" "$top/apt"; then
	version=$(apt-cache "${apt_opts[@]}" show "$pkg:$arch" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n 1)
	[[ -n $version ]] || die "fetch deb: no $pkg for $arch in $suite"
else
	version=$(find "$top" -mindepth 1 -maxdepth 1 -name "${pkg}_*" -printf '%f\n' 2>/dev/null |
		sed "s/^${pkg}_//" | sort -V | tail -n 1)
	[[ -n $version ]] || die "fetch deb: $suite unreachable and no $pkg cached"
	stale "fetch deb: $suite unreachable, using the cached $pkg $version"
fi
dir=$top/${pkg}_$version
if [[ ! -e $dir/.done ]]; then
	rm -rf "$dir" "$top/dl"
	mkdir -p "$top/dl"
	(cd "$top/dl" && apt-get "${apt_opts[@]}" download "$pkg:$arch=$version") >"$top/download.log" 2>&1 ||
		{ cat "$top/download.log" >&2; die "fetch deb: apt-get download $pkg failed"; }
	dpkg-deb -x "$top"/dl/*.deb "$dir"
	rm -rf "$top/dl"
	touch "$dir/.done"
	log "fetch deb: $pkg $version ($arch) from $suite"
fi
echo "$dir"
