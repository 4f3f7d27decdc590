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
# The tree is a cache entry (lab/cache.sh), $LAB_CACHE/kernels/build-NAME-<key>;
# <key> hashes the fragments (comments aside), the source tarball's content,
# the flags, the compilers' versions (gcc and binutils, or, in a build
# root, gcc, clang, lld, llvm, rustc and bindgen) and this script, so an
# unchanged kernel never rebuilds and a changed input always does. Prints
# the tree (usable as KDIR).
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
	compilers=$(dpkg-query --admindir="$broot/var/lib/dpkg" -W -f '${Package} ${Version}\n' \
		gcc-16 clang lld llvm rustc bindgen 2>/dev/null || true)
else
	tarball=/usr/src/linux-source-6.1.tar.xz
	compilers="$(gcc --version | head -n 1); $(ld --version | head -n 1)"
fi
[[ -r $tarball ]] || die "missing $tarball (run lab/setup.sh)"
src=$(basename "$tarball" .tar.xz)

key=$(cache_key "$(grep -hv '^#' "${fragments[@]}")" "$tarball" "$src ${flags[*]}" "$compilers" "$here/build-kernel.sh")
entry=$LAB_CACHE/kernels/build-$name-$key

if [[ $only_cached == --cached ]]; then
	cache_ready "$entry" || exit 1
	echo "$entry/$src"
	exit 0
fi
if cache_hit "$entry"; then
	log "$name kernel: $src, cached ($(cache_name "$entry"))"
	echo "$entry/$src"
	exit 0
fi

cache_lock "$entry"
if cache_hit "$entry"; then
	log "$name kernel: $src, made by another run meanwhile ($(cache_name "$entry"))"
	echo "$entry/$src"
	exit 0
fi
# A tinyconfig kernel with its objects is 1 to 3 GiB; ask for room.
work=$(cache_begin "$entry" 6144)
tree=$work/$src
start=$SECONDS
"$here/progress.sh" "$name kernel: extracting $src" "$work/extract.log" "" "" -- \
	tar -C "$work" -xJf "$tarball" || cache_fail "$entry" "$name kernel: extracting $tarball failed"
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
stats=$LAB_CACHE/stats/$name.$key
last=$stats
[[ -r $last ]] || last=$(newest_build_stats "$name")
total=''
[[ -z $last ]] || read -r total _ <"$last"
# One job more than the cores: a job waiting on the disk leaves a core idle.
jobs=$(($(nproc) + 1))
log "$name kernel: building the image and the modules with -j$jobs (${total:-an unknown number of} steps expected; log: $work/build.log)"
"$here/progress.sh" "$name kernel: building" "$work/build.log" "$total" "$stats" -- \
	"${run[@]}" make -C "$tree" "${flags[@]}" -j"$jobs" all ||
	cache_fail "$entry" "$name kernel: the build failed (log: $work/build.log)"
cache_commit "$entry"
log "$name kernel: built in $((SECONDS - start)) s ($(cache_name "$entry"))"
echo "$entry/$src"
