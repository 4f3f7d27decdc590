#!/usr/bin/env bash
# `make doctor`: check this machine for what trips up someone following a
# kernel-module tutorial, and say how to fix it. One line per check:
#   doctor: ok    ...   fine
#   doctor: note  ...   worth knowing, nothing to fix
#   doctor: FIX   ...   wrong, with the fix
#   doctor: ?     ...   could not be checked, and why
# It only looks: it installs nothing, boots no VM, loads nothing, and
# writes nothing outside a temporary directory. The checks run side by
# side, so it takes a few seconds (at most about 12 when the archive does
# not answer).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

usage() {
	cat <<'EOF'
usage: lab/doctor.sh [--help]   (or: make doctor)

Checks this machine, the host, for what the lab and a kernel-module
tutorial need, one line each:
  architecture   x86_64 or aarch64, and what make check runs here
  root           root or passwordless sudo, for lab/setup.sh's apt-get
                 and make check's build root
  secure boot    whether it is on, and DKMS's MOK key enrolled if it is
  headers        headers for the running kernel (make install, DKMS)
  lab kernel     Debian 12's 6.1 kernel, which make run builds for and boots
  kvm            /dev/kvm usable, or TCG; the lab's last KVM probe
  disk           free space for the lab's cache (CMISC_CACHE_DIR=), against about 15 GiB
  archive        the Debian mirror of apt's configuration (DEBIAN_MIRROR=)
Each line starts with "ok", "note" (nothing to fix), "FIX" (with the fix)
or "?" (could not be checked, and why). The exit status is 1 if any line
says FIX, else 0.
EOF
}

case ${1:-} in
'') ;;
-h | --help)
	usage
	exit 0
	;;
*)
	usage >&2
	exit 2
	;;
esac

ok() { printf 'doctor: ok    %s\n' "$*"; }
note() { printf 'doctor: note  %s\n' "$*"; }
fix() { printf 'doctor: FIX   %s\n' "$*"; }
unknown() { printf 'doctor: ?     %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
user=$(id -un 2>/dev/null || echo "uid $EUID")
# A size in KiB, in GiB with one decimal.
gib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1048576 }'; }
# A field of /etc/os-release.
os_field() {
	[[ -r /etc/os-release ]] || return 0
	sed -n "s/^$1=//p" /etc/os-release | tr -d '"' | head -n 1
}

# ------------------------------------------------------------------ checks

check_arch() {
	local m host name f native=() emulated=() line
	m=$(uname -m)
	case $m in
	x86_64 | aarch64 | arm64) ;;
	*)
		fix "architecture: $m: the lab runs on x86_64 and aarch64 hosts only; use one of those (a VM will do)"
		return
		;;
	esac
	host=$(host_arch)
	# make check's default list, as lab/lab.sh makes it without ARCH=.
	for f in "$LAB_DIR"/kernels/*; do
		name=${f##*/}
		[[ $name == README ]] && continue
		kernel_vars "$name"
		case $check in
		yes) ;;
		cross) [[ $arch != "$host" ]] || continue ;;
		*) continue ;;
		esac
		[[ $arch == any ]] && arch=$host
		if [[ $arch == "$host" ]]; then
			native+=("$name")
		else
			[[ $name == "$arch" ]] || name+=" ($arch)"
			emulated+=("$name")
		fi
	done
	line="architecture: $m: make check runs ${native[*]} as $host guests"
	if ((${#emulated[@]})); then
		line+=", and ${emulated[*]} emulated (TCG, cross-built modules)"
	fi
	ok "$line"
}

check_root() {
	local why="lab/setup.sh installs packages with apt-get, and make check's sid build root needs debootstrap and chroot"
	if ((EUID == 0)); then
		ok "root: running as root ($why)"
	elif ! have sudo; then
		fix "root: $user is not root and sudo is not installed; $why: run make as root, or, as root, install sudo and give $user passwordless sudo (a file in /etc/sudoers.d)"
	elif timeout 5 sudo -n true >/dev/null 2>&1; then
		ok "root: $user has passwordless sudo ($why)"
	else
		fix "root: sudo asks $user for a password, and the lab never prompts (sudo -n); $why: run make as root, or give $user passwordless sudo (a file in /etc/sudoers.d)"
	fi
}

# DKMS's MOK certificate: its framework.conf's mok_certificate, else
# Ubuntu's shim-signed key, else DKMS's default.
dkms_cert() {
	local cert=/var/lib/dkms/mok.pub f v
	[[ $(os_field ID) == ubuntu ]] && cert=/var/lib/shim-signed/mok/MOK.der
	for f in /etc/dkms/framework.conf /etc/dkms/framework.conf.d/*.conf; do
		[[ -r $f ]] || continue
		v=$(sed -n 's/^[[:space:]]*mok_certificate=//p' "$f" | tail -n 1 | tr -d "\"'")
		[[ -z $v ]] || cert=$v
	done
	echo "$cert"
}

check_secure_boot() {
	local state='' out var byte cert efi=/sys/firmware/efi/efivars
	if have mokutil; then
		out=$(LC_ALL=C mokutil --sb-state 2>&1) || true
		case $out in
		*"validation is disabled in shim"*) state=shim-off ;;
		*"SecureBoot enabled"*) state=on ;;
		*"SecureBoot disabled"*) state=off ;;
		*"not supported"* | *"support Secure Boot"*) state=none ;;
		esac
		[[ -n $state || -d /sys/firmware/efi ]] || state=none
	fi
	if [[ -z $state && ! -d /sys/firmware/efi ]]; then
		state=none
	elif [[ -z $state ]]; then
		var=$efi/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
		if [[ ! -e $var && -n $(ls -A "$efi" 2>/dev/null) ]]; then
			ok "secure boot: the EFI firmware has no SecureBoot variable: no Secure Boot, unsigned modules load"
			return
		elif [[ ! -r $var ]]; then
			unknown "secure boot: this machine booted with EFI, but $var cannot be read (efivarfs not mounted?) and mokutil is not installed (apt-get install mokutil)"
			return
		fi
		# 4 bytes of attributes, then the value.
		byte=$(od -An -tu1 -j4 -N1 "$var" | tr -d ' \n')
		state=off
		[[ $byte != 1 ]] || state=on
		# Shim's "validation disabled" turns it off for the kernel too.
		var=$efi/MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23
		if [[ $state == on && -r $var && $(od -An -tu1 -j4 -N1 "$var" | tr -d ' \n') == 1 ]]; then
			state=shim-off
		fi
	fi
	case $state in
	none)
		ok "secure boot: legacy BIOS boot: no Secure Boot, unsigned modules load"
		return
		;;
	off)
		ok "secure boot: disabled: unsigned modules load"
		return
		;;
	shim-off)
		ok "secure boot: enabled in the firmware, but shim's validation is disabled: unsigned modules load"
		return
		;;
	on) ;;
	*)
		unknown "secure boot: mokutil --sb-state said: ${out//$'\n'/ }"
		return
		;;
	esac
	cert=$(dkms_cert)
	if [[ ! -e $cert ]]; then
		local pkgs="dkms and openssl"
		have mokutil || pkgs="dkms, openssl and mokutil"
		fix "secure boot: enabled, and DKMS has no key yet ($cert), so no module of yours loads: install $pkgs, then cmisc-dkms (DKMS makes its key on its first build), then run 'mokutil --import $cert', reboot, and enrol it in the blue MOK screen"
		return
	fi
	if ! have mokutil; then
		unknown "secure boot: enabled; whether DKMS's key $cert is enrolled needs mokutil, which is not installed (apt-get install mokutil)"
		return
	fi
	out=$(LC_ALL=C mokutil --test-key "$cert" 2>&1) || true
	out=${out//$'\n'/ }
	case $out in
	*"in the enrollment request"*)
		fix "secure boot: enabled, and DKMS's key $cert waits to be enrolled: reboot, and enrol it in the blue MOK screen (Enroll MOK, with the password given to mokutil --import)"
		;;
	*"already enrolled"* | *"already in db"*)
		ok "secure boot: enabled, and DKMS's key $cert is enrolled: DKMS's modules load (make install's are unsigned: README, \"Secure Boot and DKMS\")"
		;;
	*blocked*)
		fix "secure boot: enabled, and DKMS's key $cert is blocked ($out): give DKMS a new key (move $cert and its private key away, reinstall cmisc-dkms), then run 'mokutil --import $cert', reboot, and enrol it in the blue MOK screen"
		;;
	*"not enrolled"*)
		fix "secure boot: enabled, and DKMS's MOK key is not enrolled: run 'mokutil --import $cert', reboot, and enrol it in the blue MOK screen"
		;;
	*)
		unknown "secure boot: enabled; mokutil --test-key $cert said: ${out:-nothing}"
		;;
	esac
}

check_headers() {
	local rel build dir pkg
	rel=$(uname -r)
	build=/lib/modules/$rel/build
	if [[ -d $build ]]; then
		dir=$(readlink -f "$build")
		[[ $dir == /usr/src/* ]] && dir=${dir#/usr/src/}
		ok "headers: $dir for the running kernel $rel (make install and DKMS build against it)"
		return
	fi
	if ! have dpkg-query; then
		unknown "headers: none for the running kernel $rel ($build is missing), and without dpkg-query it cannot be told whether it came from a package"
		return
	fi
	# A kernel from a Debian (or Ubuntu) package has its headers packaged
	# under the same name. apt is not asked: without its cache file it takes
	# seconds.
	pkg=$(dpkg-query -W -f '${db:Status-Status} ${Package}\n' "linux-image-$rel" "linux-image-unsigned-$rel" \
		"linux-image-$rel-unsigned" 2>/dev/null | sed -n 's/^installed //p' | head -n 1) || true
	if [[ -n $pkg ]]; then
		fix "headers: none for the running kernel $rel (from $pkg; $build is missing), which make install and DKMS build against: run 'apt-get install linux-headers-$rel' (if apt has no such package any more, upgrade and boot the newest kernel)"
	else
		note "headers: none for the running kernel $rel, which no installed package provides (not a Debian kernel): make install and DKMS cannot build for it; the lab does not need them"
	fi
}

check_lab_kernel() {
	local kdir rel name codename
	if ! have dpkg-query; then
		unknown "lab kernel: dpkg-query is missing, so this is not Debian: the lab needs Debian 12's packaged 6.1 kernel"
		return
	fi
	arch_vars "$(host_arch)"
	kdir=$(debian12_headers "$deb_arch")
	if [[ -n $kdir ]]; then
		rel=${kdir#/usr/src/linux-headers-}
		ok "lab kernel: linux-headers-$rel and /boot/vmlinuz-$rel, Debian 12's 6.1, which make run builds against and boots in QEMU"
		return
	fi
	name=$(os_field PRETTY_NAME)
	codename=$(os_field VERSION_CODENAME)
	if [[ $(os_field ID) == debian && $codename == bookworm ]]; then
		note "lab kernel: Debian 12's 6.1 (linux-headers-6.1.0-N-$deb_arch and its image) is not installed yet: make run installs it (lab/setup.sh: linux-image-$deb_arch linux-headers-$deb_arch)"
	else
		fix "lab kernel: this is ${name:-not Debian 12}, and Debian 12's 6.1 kernel (linux-headers-6.1.0-N-$deb_arch and its image), which make run boots, is not installed; its packages come only with Debian 12: run the lab on Debian 12 (a VM will do)"
	fi
}

check_kvm() {
	local cache=$BUILD/accel probe='' age='' answer='' group hint=''
	if [[ -r $cache ]]; then
		age=$((($(date +%s) - $(stat -c %Y "$cache")) / 60))
		answer=$(head -c 16 "$cache" | tr -d '\n')
		probe="; the lab's last probe (lab/accel.sh, $age min ago) chose $answer"
	fi
	if [[ ! -e /dev/kvm ]]; then
		if grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
			hint=" (the CPU has VT-x/AMD-V, but the kvm module is not loaded)"
		elif [[ $(uname -m) == x86_64 ]]; then
			hint=" (no VT-x/AMD-V in this CPU: enable it in the firmware, or nested virtualization in your hypervisor)"
		fi
		note "kvm: no /dev/kvm$hint: the lab's VMs run under TCG, slower but the same tests$probe"
		return
	fi
	if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
		group=$(stat -c %G /dev/kvm)
		fix "kvm: /dev/kvm is not readable and writable by $user, so the VMs run under TCG, much slower: as root, run 'adduser $user $group', then log in again$probe"
	elif [[ $answer == tcg ]]; then
		note "kvm: /dev/kvm is usable by $user, but the lab's last probe (lab/accel.sh, $age min ago) chose TCG: /dev/kvm was not usable then, or a guest did not boot under it; it probes again after 30 min"
	else
		ok "kvm: /dev/kvm is usable by $user (the lab boots a guest under it before relying on it)$probe"
	fi
}

check_disk() {
	local need_gib=15 dir free_k cached_k=0 parts='' size path total rc=0 wait_s=3
	dir=$LAB_CACHE
	while [[ ! -d $dir ]]; do dir=$(dirname "$dir"); done
	free_k=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
	if [[ -z $free_k ]]; then
		unknown "disk: df gave no free space for $dir"
		return
	fi
	# What the cache's kernels/ already holds is reused, so it counts as available.
	# Measuring it matters only when free space alone is short: otherwise
	# it may take 3 s, no more.
	((free_k >= need_gib * 1048576)) || wait_s=10
	if [[ -d $LAB_CACHE/kernels ]]; then
		# du's status is 1 for an unreadable file; 124 is the timeout's.
		total=$(timeout "$wait_s" du -skx "$LAB_CACHE"/kernels/*/ 2>/dev/null) || rc=$?
		if ((rc > 1)) || [[ -z $total ]]; then
			parts=" (the size of $LAB_CACHE/kernels could not be measured within $wait_s s)"
		else
			while read -r size path; do
				cached_k=$((cached_k + size))
				path=${path%/}
				path=${path##*/}
				((size < 1048576 / 20)) || parts+=", ${path#build-} $(gib "$size") GiB"
			done <<<"$total"
			parts=" (and the kernels cached in $LAB_CACHE/kernels, which every make check reuses, take $(gib "$cached_k") GiB${parts:+: ${parts#, }})"
		fi
	fi
	if ((free_k + cached_k >= need_gib * 1048576)); then
		ok "disk: $(gib "$free_k") GiB free for the cache, $LAB_CACHE$parts; make check needs about $need_gib GiB there"
	else
		fix "disk: $(gib "$free_k") GiB free for the cache, $LAB_CACHE$parts, and make check needs about $need_gib GiB there (the Rust kernel and its sid build root take about 4.5 GiB, each kernel built from linux-source-6.1 about 1.5): free some space, or put the cache on a larger file system with CMISC_CACHE_DIR=/path"
	fi
}

check_archive() {
	local mirror url how out rc=0 proxies=() v tmp
	if ! mirror=$(debian_mirror "" 2>&1); then
		# apt-cache policy names only the mirrors whose indexes are here.
		fix "archive: ${mirror#\[lab\] error: } (if apt's sources do name one, run 'apt-get update' first)"
		return
	fi
	url=$mirror/dists/bookworm/Release
	# The proxy apt uses, if its configuration names one.
	if have apt-config; then
		eval "$(apt-config shell v Acquire::http::Proxy)"
		[[ -z ${v:-} || $v == DIRECT || $v == false ]] || proxies+=("http_proxy=$v")
		v=''
		eval "$(apt-config shell v Acquire::https::Proxy)"
		[[ -z ${v:-} || $v == DIRECT || $v == false ]] || proxies+=("https_proxy=$v")
	fi
	if have curl; then
		how=curl
		out=$(env "${proxies[@]}" curl -fsS --max-time 10 -o /dev/null "$url" 2>&1) || rc=$?
		out=${out#curl: }
	elif have wget; then
		how=wget
		out=$(env "${proxies[@]}" wget -q -T 10 -t 1 -O /dev/null "$url" 2>&1) || rc=$?
	elif have python3; then
		how=python3
		out=$(env "${proxies[@]}" timeout 12 python3 -c '
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=10).read()' "$url" 2>&1 | tail -n 1) || rc=$?
	elif [[ -x /usr/lib/apt/apt-helper ]]; then
		# apt's own downloader, with apt's configuration (proxy included).
		how=apt-helper
		tmp=$(mktemp -d)
		local opts=(-o Acquire::http::Timeout=10 -o Acquire::https::Timeout=10 -o Acquire::Retries=0)
		((EUID != 0)) || opts+=(-o APT::Sandbox::User=root)
		out=$(timeout 12 /usr/lib/apt/apt-helper "${opts[@]}" download-file "$url" "$tmp/Release" 2>&1 |
			sed -n "s|^E: Failed to fetch $url *||p" | head -n 1) || true
		[[ -s $tmp/Release ]] || rc=1
		rm -rf "$tmp"
	else
		unknown "archive: none of curl, wget, python3 or apt-helper is here to fetch $url"
		return
	fi
	if ((rc == 0)); then
		v="the mirror of apt's sources"
		[[ -z ${DEBIAN_MIRROR:-} ]] || v="DEBIAN_MIRROR's mirror"
		((${#proxies[@]} == 0)) || how+=", through the proxy of apt's configuration"
		ok "archive: $url answers ($how): $v, which the lab fetches its packages and kernels from"
	else
		out=${out//$'\n'/ }
		fix "archive: $url could not be fetched within 10 s ($how: ${out:-exit status $rc}): check the proxy (apt's Acquire::http::Proxy in /etc/apt/apt.conf.d, or http_proxy) and the mirror (apt's sources, or DEBIAN_MIRROR=<mirror URL>)"
	fi
}

# ------------------------------------------------------------------ run

checks=(check_arch check_root check_secure_boot check_headers check_lab_kernel check_kvm check_disk check_archive)
names=(architecture root "secure boot" headers "lab kernel" kvm disk archive)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pids=()
for i in "${!checks[@]}"; do
	("${checks[$i]}") >"$dir/$i" 2>"$dir/$i.err" &
	pids+=($!)
done
for i in "${!checks[@]}"; do
	if ! wait "${pids[$i]}" || [[ ! -s $dir/$i ]]; then
		err=$(tail -n 1 "$dir/$i.err")
		unknown "${names[$i]}: the check itself failed${err:+: $err}" >>"$dir/$i"
	fi
	cat "$dir/$i"
done
all=$(for i in "${!checks[@]}"; do cat "$dir/$i"; done)
fixes=$(grep -c '^doctor: FIX' <<<"$all" || true)
unknowns=$(grep -c '^doctor: ?' <<<"$all" || true)
summary="$fixes to fix"
((fixes)) || summary="nothing to fix"
((unknowns == 0)) || summary+=", $unknowns not checked"
echo "doctor: $summary"
((fixes == 0))
