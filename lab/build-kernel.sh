#!/usr/bin/env bash
# Build the lab's debug kernel (KASAN, UBSAN, lockdep, kmemleak, KUnit,
# fault injection) from Debian's linux-source-6.1 package.
#
# The tree is cached under $BUILD/debug-kernel/<key>, where <key> hashes the
# config fragment and the source tarball, so an unchanged config never
# rebuilds. Prints the path of the built tree (usable as KDIR) on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
fragment="$here/debug.config"
[[ -r $tarball ]] || die "missing $tarball (run lab/setup.sh)"

key=$( { cat "$fragment"; stat -c '%s %Y' "$tarball"; } | sha256sum | cut -c1-16)
top="$BUILD/debug-kernel"
tree="$top/$key/linux-source-6.1"
stamp="$top/$key/.built"

if [[ -e $stamp ]]; then
	log "debug kernel: cached ($key)"
	echo "$tree"
	exit 0
fi

# Only one cached tree is kept: an old one is 3 GB of objects nobody uses.
rm -rf "$top"
mkdir -p "$top/$key"
start=$SECONDS
log "debug kernel: extracting $tarball"
tar -C "$top/$key" -xJf "$tarball"

log "debug kernel: configuring (tinyconfig + lab/debug.config)"
make -s -C "$tree" tinyconfig >&2
"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment" >&2
make -s -C "$tree" olddefconfig >&2

# A symbol whose dependencies are unmet is dropped silently by olddefconfig;
# fail loudly instead, or the "debug" kernel may quietly lack its detectors.
missing=0
while IFS= read -r line; do
	[[ $line =~ ^CONFIG_ ]] || continue
	if ! grep -qxF "$line" "$tree/.config"; then
		warn "debug kernel: '$line' did not survive olddefconfig"
		missing=1
	fi
done <"$fragment"
((missing == 0)) || die "debug kernel: config fragment not fully applied"

log "debug kernel: building bzImage and modules_prepare with -j$(nproc)"
make -s -C "$tree" -j"$(nproc)" bzImage modules_prepare >&2
touch "$stamp"
log "debug kernel: built in $((SECONDS - start)) s"
echo "$tree"
