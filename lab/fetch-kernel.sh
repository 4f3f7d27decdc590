#!/usr/bin/env bash
# Fetch the newest kernel of a Debian suite for one architecture: the image,
# the headers and the kbuild tools they need. They are only unpacked under
# the build directory, never installed. apt does the download, with a
# private sources list and state but the host's apt configuration (proxy
# included), so the packages are checked against Debian's archive key like
# any other; the mirror is the one this machine's apt uses.
#
# usage: lab/fetch-kernel.sh SUITE DEB_ARCH
# Prints "KDIR IMAGE RELEASE" on stdout. Offline, the newest kernel fetched
# before from that suite is used, and the lab says so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

suite=${1:?usage: lab/fetch-kernel.sh SUITE DEB_ARCH} arch=${2:?usage: lab/fetch-kernel.sh SUITE DEB_ARCH}
host=$(dpkg --print-architecture)
top=$BUILD/kernels/$suite-$arch
apt_dir=$top/apt

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

krel=
if private_apt "$suite" "$arch" "$apt_dir"; then
	krel=$(newest_release)
	[[ -n $krel ]] || die "fetch kernel: no linux-headers-$arch in $suite"
else
	krel=$(find "$top" -mindepth 2 -maxdepth 2 -name .done -printf '%h\n' 2>/dev/null |
		xargs -r -n1 basename | sort -V | tail -n 1)
	[[ -n $krel ]] || { cat "$apt_dir/update.log" >&2; die "fetch kernel: apt-get update for $suite failed"; }
	stale "fetch kernel: $suite unreachable, using the newest cached kernel, $krel"
fi

root=$top/$krel
kdir=$root/usr/src/linux-headers-$krel
if [[ -e $root/.done ]]; then
	log "fetch kernel: $suite $krel (cached)"
	echo "$kdir $root/vmlinuz $krel"
	exit 0
fi

start=$SECONDS
# Newer kernels split the image package: the vmlinuz is in linux-binary-*.
image_deps() {
	apt-cache "${apt_opts[@]}" depends "linux-image-$1:$arch" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-binary-[^ :]*\).*/\1:$arch/p"
}
mapfile -t pkgs < <(echo "linux-image-$krel:$arch"; image_deps "$krel"
	echo "linux-headers-$krel:$arch"; header_deps "$krel")
log "fetch kernel: fetching ${pkgs[*]} from $suite"
rm -rf "$root" "$top/debs"
mkdir -p "$top/debs"
"$here/progress.sh" "fetch kernel: downloading from $suite" "$apt_dir/download.log" "" \
	"$BUILD/kernels/stats/fetch-$suite-$arch" -- \
	env -C "$top/debs" apt-get "${apt_opts[@]}" download "${pkgs[@]}" ||
	die "fetch kernel: apt-get download failed"
for deb in "$top"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
rm -rf "$top/debs"

# The headers' Makefile names the common tree (and, in newer kernels, its
# own output directory) by installed, absolute paths; point them at the
# unpacked ones. Everything else links relatively, except the kbuild tools.
sed -i "s|\([ =]\)/usr/src/|\1$root/usr/src/|g" "$kdir/Makefile"
find "$root/usr/src" -maxdepth 2 -type l -lname '/usr/lib/linux-kbuild-*' -print0 |
	while IFS= read -r -d '' link; do
		ln -sfn "$root$(readlink "$link")" "$link"
	done
# The image is in /boot, or (newer packages) in /usr/lib/modules/<release>.
for image in "$root/boot/vmlinuz-$krel" "$root/usr/lib/modules/$krel/vmlinuz"; do
	[[ -r $image ]] && ln -sfn "${image#"$root/"}" "$root/vmlinuz" && break
done
[[ -r $root/vmlinuz && -e $kdir/Module.symvers ]] || die "fetch kernel: $krel unpacked incompletely"
touch "$root/.done"
log "fetch kernel: $suite $krel unpacked in $((SECONDS - start)) s"
echo "$kdir $root/vmlinuz $krel"
