#!/usr/bin/env bash
# Pack the lab's busybox initramfs (uncompressed newc cpio: the fastest to
# unpack under TCG).
#
# usage: lab/initramfs.sh [--debug] [--upstream DIR] [--busybox PATH]
#                         [--lab-module KO]... [--tutorial KO]...
#                         [--only "NAME..."] OUT.cpio BINDIR MODULE.ko...
#   BINDIR holds the static userspace: tools in BINDIR/, tests in
#   BINDIR/tests/, benchmarks in BINDIR/bench/, make compare's program in
#   BINDIR/compare/, the debug kernel's programs
#   in BINDIR/debug/ (packed, with lab/guest/debug/, only with --debug;
#   --fuzz packs the fuzzer alone).
#   --upstream: upstream's Rust sample modules (*.ko in DIR) go to
#   /lib/modules/upstream, and lab/guest/upstream/ to /lab/upstream.
#   --busybox: a static busybox for the guest's architecture (default the
#   host's, from busybox-static). --lab-module: a driver the guest's
#   channels need, loaded by init (lab_modules=). --tutorial: one stage's
#   module, tutorial/NN-name/hello.ko, packed as
#   /lib/modules/tutorial/NN-name/hello.ko; with any, /lab/tests/tutorial_test
#   runs lab/guest/tutorial.sh --tap in make check. --only: pack only these
#   test programs of BINDIR/tests (make check TESTS=... naming a program).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

debug='' fuzz='' upstream='' busybox=/bin/busybox lab_modules=() tutorial=() only=''
while [[ ${1:-} == --* ]]; do
	case $1 in
	--debug) debug=1 ;;
	--fuzz) fuzz=1 ;;
	--upstream) upstream=$2 && shift ;;
	--busybox) busybox=$2 && shift ;;
	--lab-module) lab_modules+=("$2") && shift ;;
	--tutorial) tutorial+=("$2") && shift ;;
	--only) only=$2 && shift ;;
	*) die "initramfs: unknown option $1" ;;
	esac
	shift
done
(($# >= 3)) || die "usage: lab/initramfs.sh [options] OUT.cpio BINDIR MODULE.ko..."
out=$1 bindir=$2
shift 2

root=$(mktemp -d)
chmod 0755 "$root" # mktemp gives 0700: the guest's / must be searchable
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,root,home/user,lab/bin,lib/modules/cmisc,lib/modules/lab}
cp "$busybox" "$root/bin/busybox"
cp "$here/guest/init" "$root/init"
cp "$here"/guest/*.sh "$root/lab/"
cp "$@" "$root/lib/modules/cmisc/"
((${#lab_modules[@]} == 0)) || cp "${lab_modules[@]}" "$root/lib/modules/lab/"
find "$bindir" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/lab/bin/" \;
for sub in tests bench compare; do
	if [[ -d $bindir/$sub ]]; then
		cp -r "$bindir/$sub" "$root/lab/$sub"
	fi
done
# --only: of the test programs, these alone (make check TESTS=...).
if [[ -n $only ]]; then
	for t in "$root"/lab/tests/*; do
		name=${t##*/}
		[[ " $only " == *" ${name%.timeout} "* ]] || rm -f "$t"
	done
fi
for ko in "${tutorial[@]}"; do
	stage=$(basename "$(dirname "$ko")")
	mkdir -p "$root/lib/modules/tutorial/$stage"
	cp "$ko" "$root/lib/modules/tutorial/$stage/"
done
if ((${#tutorial[@]})); then
	mkdir -p "$root/lab/tests"
	printf '#!/bin/sh\nexec /lab/tutorial.sh --tap\n' >"$root/lab/tests/tutorial_test"
	chmod 0755 "$root/lab/tests/tutorial_test"
	# Five stages loaded, replayed and unloaded: on the debug kernel under
	# KASAN and a loaded host that took 120 s, the default limit.
	echo 600 >"$root/lab/tests/tutorial_test.timeout"
fi
if [[ -n $upstream ]]; then
	mkdir -p "$root/lib/modules/upstream" "$root/lab/upstream"
	cp "$upstream"/*.ko "$root/lib/modules/upstream/"
	cp "$here"/guest/upstream/*.sh "$root/lab/upstream/"
	cp "$TOP_DIR/tests/upstream-differences.txt" "$root/lab/"
fi
if [[ -n $fuzz ]]; then
	mkdir -p "$root/lab/debug"
	cp "$bindir"/debug/fuzz "$here"/guest/debug/fuzz.timeout "$root/lab/debug/"
fi
if [[ -n $debug ]]; then
	mkdir -p "$root/lab/debug"
	cp "$bindir"/debug/* "$here"/guest/debug/*.sh "$here"/guest/debug/*.timeout "$root/lab/debug/"
fi

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

# Two archives, one after the other (the kernel unpacks each in turn): a
# base that never changes between runs (busybox, init, the guest's scripts,
# /etc), kept by the content of its files, and this run's part, the rest:
# the modules, the tools and the selected tests.
base_files=(./bin/busybox ./init ./etc/passwd ./etc/group ./etc/profile)
for f in "$root"/lab/*.sh; do
	base_files+=("./lab/${f##*/}")
done
mkdir -p "$(dirname "$out")" "$BUILD/initramfs-base"
# (Keyed by each file's name, mode and content.)
key=$(cd "$root" && for f in "${base_files[@]}"; do
	printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f")"
done | sha256sum | cut -c1-16)
base=$BUILD/initramfs-base/$key.cpio
if [[ ! -s $base ]]; then
	printf '%s\0' . ./bin ./etc ./lab "${base_files[@]}" |
		(cd "$root" && cpio --null -o -H newc --quiet -R 0:0) >"$base.$$"
	mv "$base.$$" "$base"
fi
{
	cat "$base"
	(cd "$root" && find . -print0 | LC_ALL=C sort -z | grep -zvxF -f <(printf '%s\n' "${base_files[@]}") |
		cpio --null -o -H newc --quiet -R 0:0)
} >"$out.tmp"
mv "$out.tmp" "$out"
