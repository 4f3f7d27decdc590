#!/usr/bin/env bash
# `make deb`: build cmisc-dkms and cmisc-tools with dpkg-buildpackage in a
# copy of the tree under $BUILD/deb, then run lintian on them. Fails on any
# lintian error, and if debian/changelog disagrees with VERSION.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

"$here/setup.sh" packaging
version=$(cat "$TOP_DIR/VERSION")
changelog=$(dpkg-parsechangelog -l "$TOP_DIR/debian/changelog" -S Version)
[[ $changelog == "$version" ]] ||
	die "debian/changelog is at $changelog but VERSION is $version"

out=$BUILD/deb
src=$out/cmisc-$version
rm -rf "$out"
mkdir -p "$src"
# The tree as committed plus uncommitted edits, without build output.
(cd "$TOP_DIR" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$TOP_DIR" && xargs -0 cp --parents -t "$src")

log "deb: dpkg-buildpackage -us -uc -b"
(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	die "dpkg-buildpackage failed (log: $out/build.log)"
}
ls "$out"/*.deb >&2

log "deb: lintian"
lintian --fail-on error --info "$out"/*.changes | tee "$out/lintian.log" >&2
log "deb: $(grep -c '^E:' "$out/lintian.log" || true) errors, $(grep -c '^W:' "$out/lintian.log" || true) warnings"
