#!/usr/bin/env bash
# Build, once, a Debian 12 root filesystem image for the lab's Debian guest:
# debootstrap minbase plus systemd, udev and kmod, then DKMS and the headers
# of the kernel the lab boots, so that the cmisc-dkms package builds inside
# the guest exactly as on a user's machine.
#
# usage: lab/debian-rootfs.sh KERNEL_RELEASE
# Prints the path of the ext4 image, a cache entry (lab/cache.sh),
# $LAB_CACHE/rootfs/debian12-<key>, keyed by this script, the guest's service,
# the kernel release and the mirror; the VM boots it with snapshot=on, so
# the cached image is never written. debootstrap and apt keep the .debs
# they fetch in the shared archive cache, $LAB_CACHE/apt/archives.
#
# The chroot gets its own proc, sysfs and a new devpts instance, never a
# bind mount of the host's /dev (debootstrap makes the few device nodes apt
# needs). Every mount is undone on exit, however the script ends, and
# nothing is removed across a mount point (rm --one-file-system).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

krel=${1:?usage: lab/debian-rootfs.sh KERNEL_RELEASE}
mirror=$(debian_mirror "") security=$(debian_mirror security)
key=$(cache_key "$here/debian-rootfs.sh" "$here/guest/cmisc-lab.service" "$krel $mirror")
entry=$LAB_CACHE/rootfs/debian12-$key
image=$entry/rootfs.ext4
archives=$LAB_CACHE/apt/archives

if cache_hit "$entry"; then
	log "debian rootfs: cached ($(cache_name "$entry"))"
	echo "$image"
	exit 0
fi
cache_lock "$entry"
if cache_hit "$entry"; then
	echo "$image"
	exit 0
fi
dir=$(cache_begin "$entry" 4096)
root=$dir/root
trap 'umount_all "$dir"' EXIT
archives_lock
start=$SECONDS

log "debian rootfs: debootstrap bookworm (minbase + systemd, udev, kmod) from $mirror"
"$here/progress.sh" "debian rootfs: debootstrap bookworm" "$dir/debootstrap.log" "" "" -- \
	as_root debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,kmod,adduser,passwd,login \
	--cache-dir="$archives" bookworm "$root" "$mirror" || cache_fail "$entry" "debootstrap failed"

# The headers of the lab's kernel come from bookworm-security, like the
# host's: give the guest the same sources.
as_root tee "$root/etc/apt/sources.list" >/dev/null <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
chroot_apt_conf "$root"
as_root mount -t proc proc "$root/proc"
as_root mount -t sysfs sysfs "$root/sys"
as_root mkdir -p "$root/dev/pts"
as_root mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
as_root mount --bind "$archives" "$root/var/cache/apt/archives"
log "debian rootfs: installing dkms and linux-headers-$krel in the guest"
as_root chroot "$root" apt-get update -q >"$dir/apt.log" 2>&1 ||
	{ tail -n 30 "$dir/apt.log" >&2; die "apt-get update in the guest failed"; }
"$here/progress.sh" "debian rootfs: installing dkms and linux-headers-$krel" "$dir/apt-install.log" "" "" -- \
	as_root chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends dkms "linux-headers-$krel" || cache_fail "$entry" "apt-get in the guest failed"
umount_all "$root"

# Boot straight into the lab's job, with the console on ttyS0.
echo "cmisc-lab" | as_root tee "$root/etc/hostname" >/dev/null
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" | as_root tee "$root/etc/fstab" >/dev/null
as_root mkdir -p "$root/lab"
as_root cp "$here/guest/cmisc-lab.service" "$root/etc/systemd/system/"
as_root ln -sf /etc/systemd/system/cmisc-lab.service "$root/etc/systemd/system/multi-user.target.wants/cmisc-lab.service"
as_root ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
as_root ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"

size=$(($(as_root du -sm "$root" | cut -f1) + 768))
log "debian rootfs: ext4 image of ${size} MiB"
# mke2fs says "Creating regular file" on stdout, which is this script's answer.
as_root mkfs.ext4 -q -F -L cmisc-root -d "$root" "$dir/rootfs.ext4" "${size}M" >&2 ||
	cache_fail "$entry" "debian rootfs: mkfs.ext4 failed"
as_root chown "$(id -u):$(id -g)" "$dir/rootfs.ext4"
safe_rm "$root"
cache_commit "$entry"
log "debian rootfs: built in $((SECONDS - start)) s ($(cache_name "$entry"))"
echo "$image"
