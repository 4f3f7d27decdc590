#!/usr/bin/env bash
# Make one lab kernel ready, as its description in lab/kernels/ says, and
# print where it is:
#
#   lab/kernel.sh NAME     ->  "KDIR IMAGE RELEASE ARCH"   on stdout
#   lab/kernel.sh --list   ->  every kernel, its version and whether it is cached
#
# ARCH=x86_64|arm64 picks the architecture of the kernels whose description
# says arch=any (default: the host's). KDIR=/path/to/tree makes the kernel
# "custom": that tree, built for the host's architecture.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

# resolve NAME [--cached]: prints "KDIR IMAGE RELEASE ARCH", or fails when
# --cached is given and the kernel would have to be fetched or built.
resolve() {
	local name=$1 only_cached=${2:-} kdir image rel top
	if [[ $name == custom ]]; then
		arch_vars "$(host_arch)"
		kdir=$(cd "${KDIR:?KERNEL=custom needs KDIR}" && pwd)
		echo "$kdir $kdir/$kimage $(cat "$kdir/include/config/kernel.release") $(host_arch)"
		return
	fi
	kernel_vars "$name"
	[[ $arch == any ]] && arch=${ARCH:-$(host_arch)}
	arch_vars "$arch"
	case $get in
	packaged)
		if [[ $arch == "$(host_arch)" ]]; then
			kdir=$(newest_headers "$deb_arch")
			[[ -n $kdir ]] || die "no linux-headers-*-$deb_arch on this host (run lab/setup.sh)"
			rel=${kdir#/usr/src/linux-headers-}
			echo "$kdir /boot/vmlinuz-$rel $rel $arch"
			return
		fi
		suite=bookworm
		;&
	fetch)
		if [[ -n $only_cached ]]; then
			top=$BUILD/kernels/$suite-$deb_arch
			rel=$(find "$top" -mindepth 2 -maxdepth 2 -name .done -printf '%h\n' 2>/dev/null |
				xargs -r -n1 basename | sort -V | tail -n 1)
			[[ -n $rel ]] || return 1
			echo "$top/$rel/usr/src/linux-headers-$rel $top/$rel/vmlinuz $rel $arch"
			return
		fi
		"$here/fetch-kernel.sh" "$suite" "$deb_arch" | {
			read -r kdir image rel
			echo "$kdir $image $rel $arch"
		}
		;;
	build)
		kdir=$("$here/build-kernel.sh" "$name" ${only_cached:+"$only_cached"}) || return 1
		echo "$kdir $kdir/$kimage $(cat "$kdir/include/config/kernel.release") $arch"
		;;
	*) die "kernel $name: unknown get=$get" ;;
	esac
}

if [[ ${1:-} == --list ]]; then
	printf '%-12s %-7s %-8s %-5s %-28s %s\n' KERNEL ARCH GET CHECK VERSION ABOUT
	for f in "$here"/kernels/*; do
		name=$(basename "$f")
		[[ $name == README ]] && continue
		kernel_vars "$name"
		a=$arch
		[[ $a == any ]] && a=${ARCH:-$(host_arch)}
		if read -r _ _ rel _ < <(resolve "$name" --cached 2>/dev/null); then
			version=$rel
		else
			version="(not cached)"
		fi
		printf '%-12s %-7s %-8s %-5s %-28s %s\n' "$name" "$a" "$get" "${check:-no}" "$version" "$about"
	done
	exit 0
fi

resolve "${1:?usage: lab/kernel.sh NAME | --list}"
