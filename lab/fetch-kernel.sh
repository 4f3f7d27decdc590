#!/bin/bash
# Fetch the newest kernel of Debian 12's backports suite (6.12 at the time
# of writing): the image, the headers and their kbuild tools. They are only
# unpacked under the build directory, never installed on the host. apt does
# the download, with a private sources list and state, so the packages are
# checked against Debian's archive key like any other.
# Prints "KDIR IMAGE" on stdout for lab.sh's KERNEL=backports.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

suite=${BACKPORTS_SUITE:-bookworm-backports}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
top=$BUILD/backports
apt_dir=$top/apt
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root -q
)

# The kernel the suite's linux-headers-amd64 points at, e.g. 6.12.95+deb12-amd64.
newest_release() {
	apt-cache "${apt_opts[@]}" depends linux-headers-amd64 |
		sed -n 's/^ *Depends: linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n 1
}

mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
	>"$apt_dir/sources.list"
if apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1; then
	krel=$(newest_release)
else
	# Offline: fall back to the newest kernel fetched before.
	krel=$(find "$top" -mindepth 2 -maxdepth 2 -name .done -printf '%h\n' 2>/dev/null |
		xargs -r -n1 basename | sort -V | tail -n 1)
	[[ -n $krel ]] || { cat "$apt_dir/update.log" >&2; die "backports kernel: apt-get update failed"; }
	log "backports kernel: $suite unreachable, using the cached $krel"
fi
[[ -n $krel ]] || die "backports kernel: no linux-headers-amd64 in $suite"

root=$top/$krel
kdir=$root/usr/src/linux-headers-$krel
image=$root/boot/vmlinuz-$krel
if [[ -e $root/.done ]]; then
	log "backports kernel: $krel (cached)"
	echo "$kdir $image"
	exit 0
fi

start=$SECONDS
kver=${krel%-amd64}
pkgs=("linux-image-$krel" "linux-headers-$krel" "linux-headers-$kver-common" "linux-kbuild-$kver")
log "backports kernel: fetching ${pkgs[*]} from $suite"
rm -rf "$root" "$top/debs"
mkdir -p "$top/debs"
(cd "$top/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}") >"$apt_dir/download.log" 2>&1 ||
	{ cat "$apt_dir/download.log" >&2; die "backports kernel: apt-get download failed"; }
for deb in "$top"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
rm -rf "$top/debs"

# The headers' Makefile names the common tree (and, in newer kernels, its
# own output directory) by installed, absolute paths; point them at the
# unpacked ones. Everything else links relatively.
sed -i "s|\([ =]\)/usr/src/|\1$root/usr/src/|g" "$kdir/Makefile"
[[ -r $image && -e $kdir/Module.symvers ]] || die "backports kernel: $krel unpacked incompletely"
touch "$root/.done"
log "backports kernel: $krel unpacked in $((SECONDS - start)) s"
echo "$kdir $image"
