#!/usr/bin/env bash
# The lab's driver: `make run|check|shell|bench` all land here.
#
#   lab/lab.sh run     replay the tutorial in the VM, step by step
#   lab/lab.sh check   every test; both kernels unless KERNEL=distro|debug
#   lab/lab.sh shell   interactive busybox shell with the module loaded
#   lab/lab.sh bench   benchmarks (bench/), printed as a table and JSON
#   lab/lab.sh detectors  deliberately buggy builds, each of which a debug
#                      kernel detector must report (lab/detectors.sh)
#
# Environment (usually from make): KERNEL=distro|debug, KDIR=/path/to/tree
# (build against and boot that tree's arch/x86/boot/bzImage), LLVM=1,
# TESTS=pattern, ROOTFS=busybox|debian, LAB_TIMEOUT=seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

job=${1:?usage: lab/lab.sh run|check|shell|bench|detectors}
declare -a phase_names=() phase_secs=()

# Run "$@" as a named phase and remember its wall time.
phase() {
	local name=$1 start=$EPOCHREALTIME
	shift
	current_phase=$name
	"$@"
	current_phase=
	phase_names+=("$name")
	phase_secs+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')")
}

# A step that fails stops the lab (set -e); say which step it was.
current_phase=
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	local rc=$?
	if ((rc != 0)) && [[ -n $current_phase ]]; then
		log "failed at step: $current_phase (exit $rc)"
	fi
}
trap on_exit EXIT

print_phases() {
	local i
	echo "# lab phases (wall time):"
	for i in "${!phase_names[@]}"; do
		printf '#   %-28s %7s s\n' "${phase_names[$i]}" "${phase_secs[$i]}"
	done
}

# Resolve a kernel name to "KDIR IMAGE" for building and booting.
resolve_kernel() {
	local kernel=$1 kdir ver
	case $kernel in
	custom)
		kdir=$(cd "$KDIR" && pwd)
		echo "$kdir $kdir/arch/x86/boot/bzImage"
		;;
	distro)
		kdir=$(printf '%s\n' /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)
		[[ -d $kdir ]] || kdir=
		[[ -n $kdir ]] || die "no linux-headers-*-amd64 (run lab/setup.sh)"
		ver=${kdir#/usr/src/linux-headers-}
		[[ -r /boot/vmlinuz-$ver ]] || die "no /boot/vmlinuz-$ver for $kdir (install linux-image-$ver)"
		echo "$kdir /boot/vmlinuz-$ver"
		;;
	backports)
		echo "$BACKPORTS_KERNEL"
		;;
	debug)
		kdir=${DEBUG_KDIR:-$("$here/debug-kernel.sh")}
		echo "$kdir $kdir/arch/x86/boot/bzImage"
		;;
	*) die "unknown KERNEL '$kernel' (distro, backports, debug, or set KDIR)" ;;
	esac
}

# shellcheck disable=SC2317 # called through phase()
# Build the modules for one kernel in $BUILD/<tag>/ without writing into the
# source tree: Kbuild runs in a mirror of symlinks.
build_modules() {
	local tag=$1 kdir=$2 src=${3:-$TOP_DIR} out=$BUILD/$1 d f
	for d in driver examples/hello; do
		mkdir -p "$out/src/$d"
		# Relink from scratch: a stale link (a removed source, or a generated
		# *.mod.c left by an in-place build) would be written through by Kbuild.
		find "$out/src/$d" -maxdepth 1 -type l -delete
		for f in "$src/$d"/*.[ch] "$src/$d"/Kbuild "$src/$d"/Makefile; do
			[[ -e $f && $f != *.mod.c ]] && ln -s "$f" "$out/src/$d/"
		done
	done
	ln -sfn "$src/include" "$out/src/include"
	ln -sfn "$src/VERSION" "$out/src/VERSION"
	# The two module builds are independent: run them side by side.
	make -s -C "$out/src/driver" KDIR="$kdir" ${LLVM:+LLVM=$LLVM} >&2 &
	local driver_pid=$!
	make -s -C "$out/src/examples/hello" KDIR="$kdir" ${LLVM:+LLVM=$LLVM} >&2 || {
		wait "$driver_pid" || true
		return 1
	}
	wait "$driver_pid"
}

# Build everything one kernel's VM needs; sets KIMAGE and INITRD.
# usage: prepare KERNEL [TAG [SOURCE_TREE]]   (TAG names the build dir)
prepare() {
	local kernel=$1 tag=${2:-$1} src=${3:-$TOP_DIR} kdir image
	# Time the debug kernel's build and the backports kernel's download (or
	# their cache hits) as phases of their own.
	[[ $kernel == debug ]] && phase "debug kernel" debug_kernel
	[[ $kernel == backports ]] && phase "backports kernel" backports_kernel
	read -r kdir image < <(resolve_kernel "$kernel")
	[[ -r $image ]] || die "no kernel image at $image"
	phase "module build ($tag)" build_modules "$tag" "$kdir" "$src"
	local kos=("$BUILD/$tag/src/driver/cmisc.ko" "$BUILD/$tag/src/examples/hello/hello.ko")
	[[ -e $BUILD/$tag/src/driver/cmisc_kunit.ko ]] && kos+=("$BUILD/$tag/src/driver/cmisc_kunit.ko")
	phase "initramfs ($tag)" "$here/initramfs.sh" "$BUILD/$tag/initramfs.cpio" "$BUILD/user" "${kos[@]}"
	KIMAGE=$image
	INITRD=$BUILD/$tag/initramfs.cpio
}

# shellcheck disable=SC2317 # called through phase()
# Pack the per-run lab disk of the Debian guest: the .debs, the static tests
# and tools, hello.ko, VERSION and the guest script.
debian_lab_disk() {
	local disk=$1 dir=$BUILD/debian/lab
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/bin"
	cp "$BUILD"/deb/cmisc-dkms_*.deb "$BUILD"/deb/cmisc-tools_*.deb "$dir/debs/"
	cp -r "$BUILD/user/tests" "$dir/tests"
	find "$BUILD/user" -maxdepth 1 -type f -perm -u+x -exec cp {} "$dir/bin/" \;
	cp "$BUILD/distro/src/examples/hello/hello.ko" "$TOP_DIR/VERSION" "$here/guest/debian-check.sh" "$dir/"
	mkfs.ext4 -q -F -L cmisc-lab -d "$dir" "$disk" "$(($(du -sm "$dir" | cut -f1) + 32))M" >&2
}

# shellcheck disable=SC2317 # called through phase()
# Build or find the cached debug kernel; sets DEBUG_KDIR.
debug_kernel() {
	DEBUG_KDIR=$("$here/debug-kernel.sh")
}

# shellcheck disable=SC2317 # called through phase()
# Fetch or find the cached Debian 12 backports kernel; sets BACKPORTS_KERNEL.
backports_kernel() {
	BACKPORTS_KERNEL=$("$here/backports-kernel.sh")
}

# shellcheck disable=SC2317 # called through phase()
# Build or find the cached Debian image; sets ROOTFS_IMAGE.
debian_rootfs() {
	ROOTFS_IMAGE=$("$here/debian-rootfs.sh" "$1")
	[[ -f $ROOTFS_IMAGE ]] || die "debian-rootfs.sh answered '$ROOTFS_IMAGE', not an image file"
}

# `make run|check ROOTFS=debian`: the packages in a real Debian 12 guest.
debian_pass() {
	local kdir image krel disk=$BUILD/debian/lab.ext4 logdir=$BUILD/debian/logs status=0
	read -r kdir image < <(resolve_kernel distro)
	krel=${kdir#/usr/src/linux-headers-}
	phase "debian packages" "$here/deb.sh"
	phase "module build (distro)" build_modules distro "$kdir"
	phase "debian rootfs" debian_rootfs "$krel"
	phase "debian lab disk" debian_lab_disk "$disk"
	LAB_DISKS="$ROOTFS_IMAGE $disk" LAB_MEM=2048 LAB_APPEND="root=/dev/vda rw lab_tests=${TESTS:-}" \
		phase "vm $job (debian guest)" "$here/vm.sh" "$job" "$image" "/boot/initrd.img-$krel" \
		"$logdir" "${LAB_TIMEOUT:-1800}" || status=$?
	counts=$("$here/verdict.sh" "$logdir" "$status" debian) || rc=1
	read -r p f <<<"$counts"
	passed=$((passed + p)) failed=$((failed + f))
}

kernels() {
	if [[ -n ${KDIR:-} ]]; then
		echo custom
	elif [[ -n ${KERNEL:-} ]]; then
		echo "$KERNEL"
	elif [[ $job == check ]]; then
		echo distro backports debug
	elif [[ $job == detectors ]]; then
		echo debug
	else
		echo distro
	fi
}

phase setup "$here/setup.sh"
phase "userspace build" make -s -C "$TOP_DIR" userspace >&2

passed=0 failed=0 rc=0
if [[ ${ROOTFS:-busybox} == debian ]]; then
	[[ $job == run || $job == check ]] || die "ROOTFS=debian is for make run and make check"
	"$here/setup.sh" packaging
	debian_pass
	print_phases
	((failed == 0)) || rc=1
	echo "$passed passed, $failed failed"
	exit "$rc"
fi
[[ ${ROOTFS:-busybox} == busybox ]] || die "ROOTFS must be busybox or debian"
for kernel in $(kernels); do
	prepare "$kernel"
	logdir=$BUILD/$kernel/logs
	case $job in
	run | shell)
		limit=${LAB_TIMEOUT:-$([[ $job == shell ]] && echo 7200 || echo 300)}
		status=0
		phase "vm $job ($kernel)" "$here/vm.sh" "$job" "$KIMAGE" "$INITRD" "$logdir" "$limit" || status=$?
		if [[ $job == run ]]; then
			"$here/verdict.sh" "$logdir" >/dev/null || status=1
			if ((status == 0)); then
				log "run: every tutorial step passed on $kernel"
			else
				log "run: FAILED on $kernel (status $status; see $logdir)"
			fi
		fi
		((status == 0)) || rc=1
		;;
	detectors)
		# shellcheck source=lab/detectors.sh
		. "$here/detectors.sh"
		;;
	bench)
		status=0
		phase "vm bench ($kernel)" "$here/vm.sh" bench "$KIMAGE" "$INITRD" "$logdir" \
			"${LAB_TIMEOUT:-900}" || status=$?
		"$here/verdict.sh" "$logdir" "$status" "$kernel" >/dev/null || rc=1
		tr -d '\r' <"$logdir/results.log" |
			sed -n '/^lab-json-begin/,/^lab-json-end/p' | sed '1d;$d' >"$BUILD/bench-$kernel.json"
		[[ -s $BUILD/bench-$kernel.json ]] && log "bench: JSON in $BUILD/bench-$kernel.json" || rc=1
		;;
	check)
		status=0
		LAB_APPEND="lab_tests=${TESTS:-}" \
			phase "vm $job ($kernel)" "$here/vm.sh" "$job" "$KIMAGE" "$INITRD" "$logdir" \
			"${LAB_TIMEOUT:-1500}" || status=$?
		counts=$("$here/verdict.sh" "$logdir" "$status" "$kernel") || rc=1
		read -r p f <<<"$counts"
		passed=$((passed + p)) failed=$((failed + f))
		;;
	esac
done

print_phases
if [[ $job == check || $job == detectors ]]; then
	((failed == 0)) || rc=1
	echo "$passed passed, $failed failed"
fi
exit "$rc"
