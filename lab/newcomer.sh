#!/usr/bin/env bash
# `make newcomer`: what a newcomer on a bare Debian 12 gets. Debootstraps a
# minimal bookworm (minbase, plus git and make only) under the build
# directory, clones this checkout's HEAD into it, and there, as root, runs
# the README's first command, `make run`, then `make deb` and the setup of
# `make check ROOTFS=debian` (lab/setup.sh packaging). Every package the
# project forgets to install turns it red.
#
# NEWCOMER_REV=<commit> checks another commit than HEAD (in a directory
# of its own), e.g. one with a package removed from lab/setup.sh.
#
# The root filesystem is made fresh each time. It gets its own proc,
# sysfs, tmpfs and devpts instance, never the host's /dev; every mount is
# undone on exit and nothing is removed across a mount point.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

"$here/setup.sh" newcomer
rev=${NEWCOMER_REV:-HEAD}
top=$BUILD/newcomer${NEWCOMER_REV:+-$NEWCOMER_REV} mirror=$(debian_mirror "")
root=$top/root
trap 'umount_all "$top"' EXIT
safe_rm "$top"
mkdir -p "$top"
start=$SECONDS

log "newcomer: debootstrap bookworm (minbase + git, make) from $mirror"
# The shared archive cache (lab/cache.sh) for debootstrap's downloads, one
# debootstrap at a time; its apt, later, is a fresh machine's own.
archives_lock
"$here/progress.sh" "newcomer: debootstrap bookworm" "$top/debootstrap.log" "" "" -- \
	as_root debootstrap --variant=minbase --include=git,make,ca-certificates \
	--cache-dir="$LAB_CACHE/apt/archives" bookworm "$root" "$mirror" || die "newcomer: debootstrap failed"
archives_unlock
log "newcomer: bare Debian 12 in $((SECONDS - start)) s"
# The same sources as this machine's apt, so its mirror serves the newcomer.
as_root tee "$root/etc/apt/sources.list" >/dev/null <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $(debian_mirror security) bookworm-security main
SOURCES
chroot_apt_conf "$root"
as_root git clone -q --no-hardlinks "$TOP_DIR" "$root/src/cmisc"
as_root git -C "$root/src/cmisc" checkout -q "$(git -C "$TOP_DIR" rev-parse "$rev")"

as_root mount -t proc proc "$root/proc"
as_root mount -t sysfs sysfs "$root/sys"
as_root mount -t tmpfs tmpfs "$root/dev/shm" 2>/dev/null ||
	{ as_root mkdir -p "$root/dev/shm" && as_root mount -t tmpfs tmpfs "$root/dev/shm"; }
as_root mkdir -p "$root/dev/pts"
as_root mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"

status=0
# make doctor first (its script, whose exit status make would turn into
# 2), on the bare system: what it finds is shown, and only a crash of the
# script itself (an exit status other than 0 or 1) fails.
log "newcomer: make doctor"
drc=0
as_root chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	TERM=dumb /bin/bash -c "cd /src/cmisc && lab/doctor.sh" >"$top/make-doctor.log" 2>&1 || drc=$?
sed 's/^/  | /' "$top/make-doctor.log" >&2
# It ends with its summary line, whatever it found; without one, it crashed.
if ((drc > 1)) || ! grep -Eq '^doctor: (nothing to fix|[0-9]+ to fix)' "$top/make-doctor.log"; then
	warn "newcomer: 'make doctor' crashed (exit $drc) on a bare Debian 12"
	status=1
fi
for step in "make run" "make deb" "lab/setup.sh packaging"; do
	((status == 0)) || break
	t=$SECONDS
	steplog=$top/${step//[\/ ]/-}.log
	log "newcomer: $step"
	# lab/progress.sh: the step's output in its log, a line every 30 s
	# meanwhile (make run here boots a VM for minutes), and the log's tail
	# if it fails.
	if ! "$here/progress.sh" "newcomer: $step" "$steplog" "" "" -- \
		as_root chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		TERM=dumb /bin/bash -c "cd /src/cmisc && $step"; then
		warn "newcomer: '$step' failed on a bare Debian 12 (log: $steplog)"
		status=1
		break
	fi
	log "newcomer: $step passed in $((SECONDS - t)) s"
done
umount_all "$top"
if ((status == 0)); then
	echo "ok 1 newcomer.bare_debian_12_runs_make_run_make_deb_and_debian_setup # $((SECONDS - start)) s"
	echo "1 passed, 0 failed"
else
	echo "not ok 1 newcomer.bare_debian_12_runs_make_run_make_deb_and_debian_setup"
	echo "0 passed, 1 failed"
fi
exit "$status"
