#!/usr/bin/env bash
# Build a lab kernel from source, as its description in lab/kernels/ says:
# tinyconfig, then lab/base.config, then the kernel's own fragment
# (config=), every line of which must survive olddefconfig. The source is
# Debian's linux-source-6.1 on this host, or, for a kernel with
# buildroot=SUITE, the newest linux-source of that suite's build root
# (lab/buildroot.sh), where the whole build then runs (with LLVM=1 if the
# description says llvm=1).
#
# usage: lab/build-kernel.sh NAME [--cached]
# With --cached, only answer (or fail) from the cache; never build.
# The tree is cached under $BUILD/kernels/build-NAME/<key>; <key> hashes
# the fragments (comments aside), the source tarball and the flags, so an
# unchanged kernel never rebuilds. Prints the tree (usable as KDIR).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

name=${1:?usage: lab/build-kernel.sh NAME [--cached]}
only_cached=${2:-}
kernel_vars "$name"
[[ $get == build ]] || die "kernel $name is not built from source (get=$get)"
fragments=("$here/base.config" "$here/$config")
flags=()
[[ -n $llvm ]] && flags+=(LLVM=1)
run=()
if [[ -n $buildroot ]]; then
	# --cached never makes a build root either.
	broot=$("$here/buildroot.sh" "$buildroot" ${only_cached:+--cached}) || exit 1
	tarball=$(printf '%s\n' "$broot"/usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
	run=("$here/buildroot.sh" "$buildroot" run)
else
	tarball=/usr/src/linux-source-6.1.tar.xz
fi
[[ -r $tarball ]] || die "missing $tarball (run lab/setup.sh)"
src=$(basename "$tarball" .tar.xz)

key=$( { grep -hv '^#' "${fragments[@]}"; stat -c '%s %Y' "$tarball"; echo "$src ${flags[*]}"; } |
	sha256sum | cut -c1-16)
top=$BUILD/kernels/build-$name
tree=$top/$key/$src
stamp=$top/$key/.built

if [[ -e $stamp ]]; then
	log "$name kernel: $src, cached ($key)"
	echo "$tree"
	exit 0
fi
[[ $only_cached != --cached ]] || exit 1

# Only one cached tree is kept: an old one is gigabytes nobody uses.
rm -rf "$top"
mkdir -p "$top/$key"
start=$SECONDS
"$here/progress.sh" "$name kernel: extracting $src" "$top/$key/extract.log" "" "" -- \
	tar -C "$top/$key" -xJf "$tarball"
# Work in the tree: merge_config.sh writes temporary files into the
# current directory, and the checkout is read-only in a build root.
cd "$tree"

log "$name kernel: configuring (tinyconfig + lab/base.config + lab/$config)"
"${run[@]}" make -s -C "$tree" "${flags[@]}" tinyconfig >&2
"${run[@]}" "$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "${fragments[@]}" >&2
"${run[@]}" make -s -C "$tree" "${flags[@]}" olddefconfig >&2

# A symbol whose dependencies are unmet is dropped silently by olddefconfig;
# fail loudly instead, or a kernel may quietly lack what its tests need.
missing=0
while IFS= read -r line; do
	[[ $line =~ ^CONFIG_ ]] || continue
	if ! grep -qxF "$line" "$tree/.config"; then
		warn "$name kernel: '$line' did not survive olddefconfig"
		missing=1
	fi
done < <(cat "${fragments[@]}")
((missing == 0)) || die "$name kernel: config fragment not fully applied"

# The steps to expect: those of the last build of this configuration on
# this machine, else of this kernel's last build, else unknown.
stats=$BUILD/kernels/stats/$name.$key
last=$stats
[[ -r $last ]] || last=$(newest_build_stats "$name")
total=''
[[ -z $last ]] || read -r total _ <"$last"
log "$name kernel: building the image and the modules with -j$(nproc) (${total:-an unknown number of} steps expected; log: $top/$key/build.log)"
"$here/progress.sh" "$name kernel: building" "$top/$key/build.log" "$total" "$stats" -- \
	"${run[@]}" make -C "$tree" "${flags[@]}" -j"$(nproc)" all
touch "$stamp"
log "$name kernel: built in $((SECONDS - start)) s"
echo "$tree"
