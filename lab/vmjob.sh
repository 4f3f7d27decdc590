#!/usr/bin/env bash
# One VM job on one kernel: the only path by which the lab boots anything.
# It makes the kernel ready (lab/kernel.sh), builds the modules for it,
# packs the guest, boots it with a hard timeout (lab/vm.sh), judges the
# result (lab/verdict.sh) and prints the counts.
#
# usage: lab/vmjob.sh JOB KERNEL [TAG [SOURCE_TREE]]
#   JOB          run | check | shell | bench, or upstream: the check suite
#                against upstream's rust_misc_device.ko instead of cmisc,
#                judged against tests/upstream-differences.txt
#   KERNEL       a name from lab/kernels/ (or "custom" with KDIR=)
#   TAG          names the build directory $BUILD/TAG (default: KERNEL)
#   SOURCE_TREE  where driver/ and examples/hello/ come from (default: this
#                checkout; lab/detectors.sh passes broken copies)
#
# Environment: TESTS (a test pattern), TIMEOUT (seconds for the whole VM),
# BENCH_CLOCK (icount, the default, or wall), BENCH_DRIVER (cmisc or
# upstream, for the bench job),
# TEST_TIMEOUT (seconds per test program, default 120), ROOTFS=debian (the
# Debian 12 guest with the packages instead of the busybox initramfs),
# ARCH, KDIR, LLVM.
#
# Prints "KERNEL RELEASE PASSED FAILED" on stdout as its last line
# ("KERNEL RELEASE PASSED EXPECTED FAILED" for upstream, and "KERNEL
# RELEASE skip REASON" for a kernel skipped by its newer_than); exits
# non-zero if the job failed. Logs are in $BUILD/TAG/logs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

job=${1:?usage: lab/vmjob.sh JOB KERNEL [TAG [SOURCE_TREE]]} kernel=${2:?usage: lab/vmjob.sh JOB KERNEL}
tag=${3:-$kernel} src=${4:-$TOP_DIR}
rootfs=${ROOTFS:-busybox}
out=$BUILD/$tag logdir=$BUILD/$tag/logs
declare -a phase_names=() phase_secs=()

# phase NAME CMD...: run a step, time it, and name it if it fails.
phase() {
	local name=$1 start=$EPOCHREALTIME rc=0
	shift
	"$@" || rc=$?
	phase_names+=("$name")
	phase_secs+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')")
	((rc == 0)) || die "$kernel: failed at step: $name (exit $rc)"
}

print_phases() {
	local i
	for i in "${!phase_names[@]}"; do
		printf '# lab phase %-32s %7s s\n' "${phase_names[$i]}" "${phase_secs[$i]}" >&2
	done
}

# shellcheck disable=SC2317 # called through phase()
resolve() {
	read -r kdir image release arch < <("$here/kernel.sh" "$kernel") && [[ -n ${arch:-} ]]
}

# shellcheck disable=SC2317 # called through phase()
# Build the modules in $out/src, a mirror of symlinks, so that Kbuild never
# writes into the source tree.
build_modules() {
	local d f flags=()
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
	[[ $arch == "$(host_arch)" ]] || flags+=(ARCH="${arch/x86_64/x86}" CROSS_COMPILE="$cross")
	[[ -n $llvm ]] && flags+=(LLVM=1)
	# The driver with W=1, and not one warning allowed on any kernel.
	if [[ -n $buildroot ]]; then
		# One command in the build root at a time: both modules in one go.
		# shellcheck disable=SC2016 # expanded by the inner shell
		"$here/buildroot.sh" "$buildroot" run bash -c 'make -s -C "$1" W=1 "${@:3}" >"$1/build.log" 2>&1 &&
			make -s -C "$2" "${@:3}"' bash "$out/src/driver" "$out/src/examples/hello" \
			KDIR="$kdir" "${flags[@]}" >&2 || { cat "$out/src/driver/build.log" >&2; return 1; }
	else
		# The two module builds are independent: run them side by side.
		make -s -C "$out/src/driver" KDIR="$kdir" W=1 "${flags[@]}" >"$out/src/driver/build.log" 2>&1 &
		local driver_pid=$!
		make -s -C "$out/src/examples/hello" KDIR="$kdir" "${flags[@]}" >&2 || {
			wait "$driver_pid" || true
			return 1
		}
		wait "$driver_pid" || { cat "$out/src/driver/build.log" >&2; return 1; }
	fi
	if grep -E 'warning:|error:' "$out/src/driver/build.log" >&2; then
		warn "the driver built with warnings (W=1) against $kernel"
		return 1
	fi
}

# shellcheck disable=SC2317 # called through phase()
# Another architecture's guest: its static userspace, Debian's busybox for
# it, and the virtio console drivers its channels need (arm64).
foreign_guest() {
	local kroot m f
	"$here/setup.sh" "cross-$arch" >&2
	usr=$BUILD/user-$arch
	make -s -C "$TOP_DIR" userspace USR="$usr" CC="$cc" CC32="$cc32" >&2
	busybox=$("$here/fetch-deb.sh" bookworm "$deb_arch" busybox-static)/bin/busybox
	guest_opts=(--busybox "$busybox")
	[[ $arch == arm64 ]] || return 0
	# The kernel's own modules: of the fetched package, or of the host.
	kroot=${kdir%/usr/src/*}
	mkdir -p "$out/lab-modules"
	for m in virtio/virtio_mmio char/virtio_console; do
		f=$(find "$kroot/lib/modules/$release" "$kroot/usr/lib/modules/$release" -path "*/kernel/drivers/$m.ko*" 2>/dev/null | head -n 1)
		[[ -n $f ]] || die "no $m module for $release"
		case $f in
		*.xz) xz -dc "$f" >"$out/lab-modules/$(basename "$m").ko" ;;
		*.zst) zstd -qdc "$f" >"$out/lab-modules/$(basename "$m").ko" ;;
		*) cp "$f" "$out/lab-modules/$(basename "$m").ko" ;;
		esac
		guest_opts+=(--lab-module "$out/lab-modules/$(basename "$m").ko")
	done
	append+=" lab_modules=virtio_mmio,virtio_console"
}

# shellcheck disable=SC2317 # called through phase()
pack_initramfs() {
	local opts=("${guest_opts[@]}") kos=("$out/src/driver/cmisc.ko" "$out/src/examples/hello/hello.ko")
	[[ -e $out/src/driver/cmisc_kunit.ko ]] && kos+=("$out/src/driver/cmisc_kunit.ko")
	[[ $extras == debug ]] && opts+=(--debug)
	if [[ $extras == upstream ]]; then
		# Upstream's Rust samples, as this kernel built them.
		rm -rf "$out/upstream" && mkdir -p "$out/upstream"
		cp "$kdir"/samples/rust/rust_minimal.ko "$kdir"/samples/rust/rust_misc_device.ko "$out/upstream/"
		opts+=(--upstream "$out/upstream")
	fi
	"$here/initramfs.sh" "${opts[@]}" "$out/initramfs.cpio" "$usr" "${kos[@]}"
	initrd=$out/initramfs.cpio
}

# shellcheck disable=SC2317 # called through phase()
# The Debian guest: the packages, a Debian 12 root filesystem (cached), and
# a lab disk with the .debs, the static tests and the guest script.
pack_debian() {
	local dir=$out/lab
	"$here/deb.sh"
	rootfs_image=$("$here/debian-rootfs.sh" "$release")
	[[ -f $rootfs_image ]] || die "debian-rootfs.sh answered '$rootfs_image', not an image file"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/bin"
	cp "$BUILD"/deb/cmisc-dkms_*.deb "$BUILD"/deb/cmisc-tools_*.deb "$dir/debs/"
	cp -r "$BUILD/user/tests" "$dir/tests"
	find "$BUILD/user" -maxdepth 1 -type f -perm -u+x -exec cp {} "$dir/bin/" \;
	cp "$out/src/examples/hello/hello.ko" "$TOP_DIR/VERSION" "$here/guest/debian-check.sh" "$dir/"
	mkfs.ext4 -q -F -L cmisc-lab -d "$dir" "$out/lab.ext4" "$(($(du -sm "$dir" | cut -f1) + 32))M" >&2
	initrd=/boot/initrd.img-$release
}

extras='' llvm='' buildroot='' newer_than=''
[[ $kernel == custom ]] || kernel_vars "$kernel"
llvm=${LLVM:-$llvm}
phase "kernel $kernel" resolve
arch_vars "$arch"
if [[ -n $newer_than ]]; then
	other=$("$here/kernel.sh" "$newer_than" | cut -d' ' -f3)
	if ! dpkg --compare-versions "$release" gt "$other"; then
		log "$kernel: $release is not newer than $newer_than's $other: skipped"
		echo "$kernel $release skip not newer than $newer_than's $other"
		exit 0
	fi
fi
usr=$BUILD/user guest_opts=() append=''
[[ $arch == "$(host_arch)" ]] || phase "userspace and busybox ($arch)" foreign_guest
phase "module build ($tag)" build_modules
case $job in
run) limit=300 ;;
check | upstream) limit=1500 ;;
bench) limit=900 ;;
shell) limit=7200 ;;
*) die "unknown job '$job'" ;;
esac
[[ $rootfs == debian ]] && limit=1800
# The debug kernel's extras (a million fuzzer operations under KASAN) need more.
[[ $extras == debug && $job == check ]] && limit=2700
limit=${TIMEOUT:-$limit}
append+=" lab_tests=${TESTS:-} lab_test_timeout=${TEST_TIMEOUT:-120}"
vm_job=$job expected=''
if [[ $job == bench ]]; then
	# Counted, not timed: instructions under icount unless BENCH_CLOCK=wall.
	append+=" lab_bench_clock=${BENCH_CLOCK:-icount}"
	[[ ${BENCH_CLOCK:-icount} == wall ]] || export LAB_ICOUNT=1
	if [[ ${BENCH_DRIVER:-cmisc} == upstream ]]; then
		[[ $extras == upstream ]] || die "kernel $kernel has no upstream driver (extras=upstream)"
		append+=" lab_driver=upstream"
	fi
fi
if [[ $job == upstream ]]; then
	[[ $extras == upstream ]] || die "kernel $kernel has no upstream driver (extras=upstream)"
	vm_job=check expected=$TOP_DIR/tests/upstream-differences.txt
	append+=" lab_driver=upstream"
fi
disks=''
if [[ $rootfs == debian ]]; then
	phase "debian guest ($tag)" pack_debian
	append="root=/dev/vda rw $append"
	disks="$rootfs_image $out/lab.ext4"
else
	phase "initramfs ($tag)" pack_initramfs
fi

status=0
start=$SECONDS
LAB_MEM=1024
[[ $rootfs == debian ]] && LAB_MEM=2048
export LAB_APPEND=$append LAB_DISKS=$disks LAB_MEM
if [[ $job == shell ]]; then
	"$here/vm.sh" "$vm_job" "$arch" "$image" "$initrd" "$logdir" "$limit" || status=$?
else
	# The console goes to stderr: stdout is for the counts alone.
	"$here/vm.sh" "$vm_job" "$arch" "$image" "$initrd" "$logdir" "$limit" >&2 || status=$?
fi
phase_names+=("vm $job ($tag)") phase_secs+=("$((SECONDS - start)).0")
print_phases
[[ $job == shell ]] && exit "$status"
rc=0
counts=$("$here/verdict.sh" "$logdir" "$status" "kernel $kernel $release" "$limit" "$expected") || rc=1
echo "$kernel $release $counts"
exit "$rc"
