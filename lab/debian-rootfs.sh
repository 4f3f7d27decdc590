#!/usr/bin/env bash
# Build, once, a Debian 12 root filesystem image for the lab's Debian guest:
# debootstrap minbase plus systemd, udev and kmod, then DKMS and the headers
# of the kernel the lab boots, so that the cmisc-dkms package builds inside
# the guest exactly as on a user's machine.
#
# usage: lab/debian-rootfs.sh KERNEL_RELEASE
# Prints the path of the ext4 image. Cached in $BUILD/debian-rootfs/<key>,
# keyed by this script and the kernel release; the VM boots it with
# snapshot=on, so the cached image is never written.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

krel=${1:?usage: lab/debian-rootfs.sh KERNEL_RELEASE}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$( { cat "$here/debian-rootfs.sh" "$here/guest/cmisc-lab.service"; echo "$krel $mirror"; } | sha256sum | cut -c1-16)
top=$BUILD/debian-rootfs
dir=$top/$key
image=$dir/rootfs.ext4

if [[ -e $image ]]; then
	log "debian rootfs: cached ($key)"
	echo "$image"
	exit 0
fi

rm -rf "$top"
mkdir -p "$dir"
root=$dir/root
start=$SECONDS
cleanup() {
	for m in dev/pts dev proc sys; do
		mountpoint -q "$root/$m" && umount -l "$root/$m"
	done
	return 0
}
trap cleanup EXIT

log "debian rootfs: debootstrap bookworm (minbase + systemd, udev, kmod) from $mirror"
debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,kmod,adduser,passwd,login \
	bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$dir/debootstrap.log" >&2; die "debootstrap failed"; }

# The headers of the lab's kernel come from bookworm-security, like the
# host's: give the guest the same sources.
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
log "debian rootfs: installing dkms and linux-headers-$krel in the guest"
chroot "$root" apt-get update -q >"$dir/apt.log" 2>&1
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends dkms "linux-headers-$krel" >>"$dir/apt.log" 2>&1 ||
	{ tail -n 30 "$dir/apt.log" >&2; die "apt-get in the guest failed"; }
chroot "$root" apt-get clean
cleanup

# Boot straight into the lab's job, with the console on ttyS0.
echo "cmisc-lab" >"$root/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
mkdir -p "$root/lab"
cp "$here/guest/cmisc-lab.service" "$root/etc/systemd/system/"
ln -sf /etc/systemd/system/cmisc-lab.service "$root/etc/systemd/system/multi-user.target.wants/cmisc-lab.service"
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"

size=$(($(du -sm "$root" | cut -f1) + 768))
log "debian rootfs: ext4 image of ${size} MiB"
# mke2fs says "Creating regular file" on stdout, which is this script's answer.
mkfs.ext4 -q -F -L cmisc-root -d "$root" "$image.tmp" "${size}M" >&2
mv "$image.tmp" "$image"
rm -rf "$root"
log "debian rootfs: built in $((SECONDS - start)) s"
echo "$image"
