#!/usr/bin/env bash
# Build a lab kernel from Debian's linux-source-6.1 package: tinyconfig plus
# a config fragment in lab/ (debug.config: KASAN, UBSAN, lockdep, kmemleak,
# KUnit, fault injection).
#
# usage: lab/build-kernel.sh FRAGMENT [--cached]   (e.g. debug.config)
# With --cached, only answer (or fail) from the cache; never build.
# The tree is cached under $BUILD/<fragment>-kernel/<key>, where <key>
# hashes the fragment and the source tarball, so an unchanged config never
# rebuilds. Prints the path of the built tree (usable as KDIR) on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
name=${1:?usage: lab/build-kernel.sh FRAGMENT}
fragment="$here/$name"
[[ -r $fragment ]] || die "no config fragment $fragment"
[[ -r $tarball ]] || die "missing $tarball (run lab/setup.sh)"

# Comments do not change the kernel: they are not part of the key.
key=$( { grep -v '^#' "$fragment"; stat -c '%s %Y' "$tarball"; } | sha256sum | cut -c1-16)
top="$BUILD/${name%.config}-kernel"
tree="$top/$key/linux-source-6.1"
stamp="$top/$key/.built"

if [[ -e $stamp ]]; then
	log "${name%.config} kernel: cached ($key)"
	echo "$tree"
	exit 0
fi
[[ ${2:-} != --cached ]] || exit 1

# Only one cached tree is kept: an old one is 3 GB of objects nobody uses.
rm -rf "$top"
mkdir -p "$top/$key"
start=$SECONDS
log "${name%.config} kernel: extracting $tarball"
tar -C "$top/$key" -xJf "$tarball"

log "${name%.config} kernel: configuring (tinyconfig + lab/$name)"
make -s -C "$tree" tinyconfig >&2
"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment" >&2
make -s -C "$tree" olddefconfig >&2

# A symbol whose dependencies are unmet is dropped silently by olddefconfig;
# fail loudly instead, or the "debug" kernel may quietly lack its detectors.
missing=0
while IFS= read -r line; do
	[[ $line =~ ^CONFIG_ ]] || continue
	if ! grep -qxF "$line" "$tree/.config"; then
		warn "${name%.config} kernel: '$line' did not survive olddefconfig"
		missing=1
	fi
done <"$fragment"
((missing == 0)) || die "${name%.config} kernel: config fragment not fully applied"

log "${name%.config} kernel: building bzImage and modules_prepare with -j$(nproc)"
make -s -C "$tree" -j"$(nproc)" bzImage modules_prepare >&2
touch "$stamp"
log "${name%.config} kernel: built in $((SECONDS - start)) s"
echo "$tree"
