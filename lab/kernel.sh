#!/usr/bin/env bash
# Make one lab kernel ready, as its description in lab/kernels/ says, and
# print where it is:
#
#   lab/kernel.sh NAME     ->  "KDIR IMAGE RELEASE ARCH"   on stdout
#   lab/kernel.sh --list   ->  every kernel, its version and whether it is cached
#   lab/kernel.sh --json   ->  every kernel's description, as a JSON array
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
	local name=$1 only_cached=${2:-} kdir image rel
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
			kdir=$(debian12_headers "$deb_arch")
			[[ -n $kdir ]] || die "no Debian 12 kernel (linux-headers-6.1.0-*-$deb_arch and its image) on this host (run lab/setup.sh)"
			rel=${kdir#/usr/src/linux-headers-}
			echo "$kdir /boot/vmlinuz-$rel $rel $arch"
			return
		fi
		suite=bookworm
		;&
	fetch)
		"$here/fetch-kernel.sh" "$suite" "$deb_arch" ${only_cached:+"$only_cached"} | {
			read -r kdir image rel
			echo "$kdir $image $rel $arch"
		}
		;;
	build)
		kdir=$("$here/build-kernel.sh" "$name" ${only_cached:+"$only_cached"}) || return 1
		echo "$kdir $kdir/${image:-$kimage} $(cat "$kdir/include/config/kernel.release") $arch"
		;;
	*) die "kernel $name: unknown get=$get" ;;
	esac
}

# seconds STATS...: the seconds the first existing stats file recorded (a
# build or fetch on this machine, by lab/progress.sh).
seconds() {
	local f s
	for f in "$@"; do
		[[ -r $f ]] || continue
		read -r _ s <"$f"
		echo "${s:-}"
		return
	done
}

# plan NAME: one line of make check's plan: what this kernel needs before
# its VM can boot, and how long that takes (measured here before, or the
# description's stated estimate, or "unknown").
plan() {
	local name=$1 a est what
	kernel_vars "$name"
	a=$arch
	[[ $a == any ]] && a=${ARCH:-$(host_arch)}
	if (resolve "$name" --cached >/dev/null 2>&1); then
		printf '  %-12s %-7s cached\n' "$name" "$a"
		return
	fi
	arch_vars "$a"
	case $get in
	packaged)
		if [[ $a == "$(host_arch)" ]]; then
			what="Debian 12's kernel, installed by lab/setup.sh" est=0
		else
			what="fetch Debian 12's $deb_arch kernel with apt"
			est=$(seconds "$LAB_CACHE/stats/fetch-bookworm-$deb_arch")
		fi
		;;
	fetch)
		what="fetch $suite's newest $deb_arch kernel with apt"
		est=$(seconds "$LAB_CACHE/stats/fetch-$suite-$deb_arch")
		;;
	build)
		what="build from source (lab/$config)"
		est=$(seconds "$(newest_build_stats "$name")")
		if [[ -z $est && -n $estimate ]]; then
			est="$estimate (stated default)"
		fi
		;;
	esac
	if [[ -n $buildroot ]] && ! "$here/buildroot.sh" "$buildroot" --cached >/dev/null 2>&1; then
		what+=", after a $buildroot build root (debootstrap: $(seconds "$LAB_CACHE/stats/buildroot-$buildroot" || true))"
		what=${what/debootstrap: )/debootstrap: unknown)}
	fi
	case $est in
	'') est=unknown ;;
	0) est='' ;;
	*) est="about ${est%% *} s${est#"${est%% *}"}" ;;
	esac
	printf '  %-12s %-7s %s%s\n' "$name" "$a" "$what" "${est:+, $est}"
}

if [[ ${1:-} == --plan ]]; then
	shift
	echo "[lab] plan: $# kernel(s); what each needs before its VM boots:"
	for k in "$@"; do
		plan "$k"
	done
	exit 0
fi

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
	cache_list
	exit 0
fi

# --json: the descriptions alone, as lab/ci-files.py reads them: one object
# per file of lab/kernels/ (name, about, get, arch, check, extras,
# buildroot, each as written there, "" when unset). Nothing is resolved,
# fetched or built.
if [[ ${1:-} == --json ]]; then
	fields=()
	for f in "$here"/kernels/*; do
		name=${f##*/}
		[[ $name == README ]] && continue
		kernel_vars "$name"
		fields+=("$name" "$about" "$get" "$arch" "$check" "$extras" "$buildroot")
	done
	python3 - "${fields[@]}" <<'PY'
import json
import sys

keys = ('name', 'about', 'get', 'arch', 'check', 'extras', 'buildroot')
v = sys.argv[1:]
print(json.dumps([dict(zip(keys, v[i:i + len(keys)])) for i in range(0, len(v), len(keys))], indent=1))
PY
	exit 0
fi

resolve "${1:?usage: lab/kernel.sh NAME | --list | --json}"
