#!/usr/bin/env bash
# Pack the lab's busybox initramfs (uncompressed newc cpio: the fastest to
# unpack under TCG).
#
# usage: lab/initramfs.sh OUT.cpio BINDIR MODULE.ko...
#   BINDIR holds the static userspace: tools in BINDIR/, tests in
#   BINDIR/tests/, benchmarks in BINDIR/bench/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

(($# >= 3)) || die "usage: lab/initramfs.sh OUT.cpio BINDIR MODULE.ko..."
out=$1 bindir=$2
shift 2

busybox=/bin/busybox # from busybox-static: no shared libraries in the guest

root=$(mktemp -d)
chmod 0755 "$root" # mktemp gives 0700: the guest's / must be searchable
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,root,home/user,lab/bin,lib/modules/cmisc}
cp "$busybox" "$root/bin/busybox"
cp "$here/guest/init" "$root/init"
cp "$here"/guest/*.sh "$root/lab/"
cp "$@" "$root/lib/modules/cmisc/"
find "$bindir" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/lab/bin/" \;
for sub in tests bench debug; do
	if [[ -d $bindir/$sub ]]; then
		cp -r "$bindir/$sub" "$root/lab/$sub"
	fi
done

# An unprivileged user for the permission tests, and a group for the udev rule.
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:unprivileged test user:/home/user:/bin/sh
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
user:x:1000:
GROUP
echo 'PS1="cmisc-lab:\w# "' >"$root/etc/profile"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
