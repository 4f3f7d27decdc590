#!/usr/bin/env bash
# One VM job on one kernel: the only path by which the lab boots anything.
# It makes the kernel ready (lab/kernel.sh), builds the modules for it,
# packs the guest, boots it with a hard timeout (lab/vm.sh), judges the
# result (lab/verdict.py) and prints the counts.
#
# usage: lab/vmjob.sh JOB KERNEL [TAG [SOURCE_TREE]]
#   JOB          run | check | shell | bench, or upstream: the check suite
#                against upstream's rust_misc_device.ko instead of cmisc,
#                judged against tests/upstream-differences.txt
#   KERNEL       a name from lab/kernels/ (or "custom" with KDIR=)
#   TAG          names the build directory $BUILD/TAG (default: KERNEL)
#   SOURCE_TREE  where driver/ and tutorial/ come from (default: this
#                checkout; lab/detectors.sh passes broken copies)
#
# Environment: TESTS (a test pattern), TIMEOUT (seconds for the whole VM),
# BENCH_CLOCK (icount, the default, or wall), BENCH_DRIVER (cmisc or
# upstream, for the bench job), BENCH_PRESSURE=1 (the bench under memory
# pressure: bench/fragment leaves free memory in single pages first),
# TEST_TIMEOUT (seconds per test program, default 120), ROOTFS=debian (the
# Debian 12 guest with the packages instead of the busybox initramfs),
# ARCH, KDIR, LLVM.
#
# Prints "KERNEL RELEASE PASSED FAILED SKIPPED" on stdout as its last line
# ("KERNEL RELEASE PASSED EXPECTED FAILED SKIPPED" for upstream, and
# "KERNEL RELEASE skip REASON" for a kernel skipped by its newer_than);
# exits non-zero if the job failed. Writes the kernel's record (outcome,
# every test) to $BUILD/results/kernels/TAG.json, whatever happens, for
# lab/verdict.py report. Logs are in $BUILD/TAG/logs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

job=${1:?usage: lab/vmjob.sh JOB KERNEL [TAG [SOURCE_TREE]]} kernel=${2:?usage: lab/vmjob.sh JOB KERNEL}
tag=${3:-$kernel} src=${4:-$TOP_DIR}
rootfs=${ROOTFS:-busybox}
out=$BUILD/$tag logdir=$BUILD/$tag/logs
# The kernel's record, for lab/verdict.py report: results.json, junit.xml.
record=$BUILD/results/kernels/${tag//\//-}.json
mkdir -p "$(dirname "$record")"
rm -f "$record"
declare -a phase_names=() phase_secs=()

# record OUTCOME REASON: the kernel's record when its job ends before a VM
# could be judged (lab/verdict.py names the outcomes).
record() {
	"$here/verdict.py" outcome --kernel "$kernel" --outcome "$1" --reason "$2" \
		--release "${release:-?}" --arch "${arch:-?}" --log "$logdir" \
		--driver "$([[ $job == upstream ]] && echo upstream || echo cmisc)" --out "$record"
}

# Whatever ends this job before a record is written (a die inside a step,
# set -e), the kernel still gets one, with the outcome of the step it was
# in and the step's name.
now_outcome='kernel unavailable' now_step='starting'
# shellcheck disable=SC2317 # run by the EXIT trap
fallback_record() {
	local rc=$?
	[[ -e $record ]] || record "$now_outcome" "ended in step: $now_step (exit $rc)" || true
}
trap fallback_record EXIT

# phase NAME OUTCOME CMD...: run a step and time it; if it fails, the
# kernel's outcome is OUTCOME, named with the step.
phase() {
	local name=$1 outcome=$2 start=$EPOCHREALTIME rc=0
	shift 2
	now_outcome=$outcome now_step=$name
	with_heartbeat "$kernel: $name" "$@" || rc=$?
	phase_names+=("$name")
	phase_secs+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')")
	if ((rc != 0)); then
		record "$outcome" "failed at step: $name (exit $rc)"
		die "$kernel: failed at step: $name (exit $rc)"
	fi
}

# guest_phases SECONDS: the VM's SECONDS of wall time, cut where the
# guest's clock says (the results channel's uptimes): QEMU's start until
# the kernel's clock began (the rest of the wall time: QEMU starting and
# loading the kernel, and exiting), the boot until the first test
# program, the job, and the dmesg dump.
guest_phases() {
	local n
	n=$(tr -d '\r' <"$logdir/results.log" 2>/dev/null | awk -v wall="$1" '
		/^lab-guest-up / { up = $2 }
		/^lab-program-begin / && first == "" { first = $3 }
		/^# lab-time job-end / { job = $4 }
		/^# lab-time dmesg-end / { dm = $4 }
		END {
			if (up == "" || job == "" || dm == "") exit
			if (first == "") first = up
			printf "  vm: start to kernel clock, exit|%.1f\n", wall - dm
			printf "  vm: kernel boot to init|%.1f\n", up
			printf "  vm: init to first test|%.1f\n", first - up
			printf "  vm: the job (%s)|%.1f\n", "tests", job - first
			printf "  vm: dmesg dump|%.1f\n", dm - job
		}') || return 0
	while IFS='|' read -r name secs; do
		[[ -n $name ]] || continue
		phase_names+=("$name") phase_secs+=("$secs")
	done <<<"$n"
}

print_phases() {
	local i
	for i in "${!phase_names[@]}"; do
		printf '# lab phase %-32s %7s s\n' "${phase_names[$i]}" "${phase_secs[$i]}" >&2
	done
}

# shellcheck disable=SC2317 # called through phase()
resolve() {
	read -r kdir image release arch < <("$here/kernel.sh" "$kernel") && [[ -n ${arch:-} ]] || return 1
	# A kernel of the cache is in use until this job ends (lab/cache.sh).
	if [[ $kdir == "$LAB_CACHE"/kernels/* ]]; then
		local rest=${kdir#"$LAB_CACHE"/kernels/}
		cache_use "$LAB_CACHE/kernels/${rest%%/*}"
	fi
}

# shellcheck disable=SC2317 # called through phase()
# Build the modules in a mirror of symlinks, so that Kbuild never writes
# into the source tree: the driver and every stage of tutorial/. Each set
# is built once per key (the sources' content, the kernel tree, the flags
# and the compiler), in $BUILD/modules/<key>, whoever asks for it (rust,
# rust-upstream and rust-compare share one build); $out/src links to it.
build_modules() {
	local d f rc=0 flags=() dirs=(driver tutorial/07-hello) pids=() key mdir compiler lock family
	# The tutorial's other stages, unless TESTS= leaves tutorial_test out
	# (module_test and make run load the first, 07-hello, as hello.ko).
	if program_selected tutorial_test; then
		for d in "$src"/tutorial/[0-9][0-9]-*/; do
			[[ -d $d && $d != */07-hello/ ]] && d=${d%/} && dirs+=("tutorial/${d##*/}")
		done
	fi
	[[ $arch == "$(host_arch)" ]] || flags+=(ARCH="${arch/x86_64/x86}" CROSS_COMPILE="$cross")
	[[ -n $llvm ]] && flags+=(LLVM=1)
	if [[ -n $buildroot ]]; then
		# (Made here if nothing made it yet: a sid kernel's modules alone.)
		compiler=$("$here/buildroot.sh" "$buildroot") || return 1
	elif [[ -n $llvm ]]; then
		compiler=$(clang --version | head -n 1)
	else
		compiler=$("${cross}gcc" --version | head -n 1)
	fi
	key=$(cache_key "$( (cd "$src" && find "${dirs[@]}" include VERSION -type f \( -name '*.[ch]' -o -name Kbuild \
		-o -name Makefile -o -name VERSION \) ! -name '*.mod.c' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum))" \
		"$kdir $(stat -L -c '%s %Y' "$kdir/Module.symvers" 2>/dev/null)" "${flags[*]}" "$compiler")
	mdir=$BUILD/modules/$key
	# Builds for one kernel, flags, compiler and set of modules happen in
	# one work directory, so that an edit rebuilds only what it changed
	# (Kbuild compares objects, and their command lines, which name the
	# directory); each finished build is then copied under its key.
	family=$BUILD/modules/work-$(cache_key "$kdir" "${flags[*]}" "$compiler" "${dirs[*]}")
	mkdir -p "$BUILD/modules"
	exec {lock}>"$family.lock"
	flock "$lock"
	if [[ -e $mdir/.done ]]; then
		log "$kernel: modules built before for these sources and this kernel ($mdir)"
	else
		rm -rf "$mdir"
		# Only from a build without a warning: an object that warned and
		# is not recompiled would not warn again.
		[[ -e $family/.clean ]] || rm -rf "$family"
		rm -f "$family/.clean"
		build_modules_in "$family" || return 1
		mkdir -p "$mdir"
		cp -a "$family" "$mdir/src"
	fi
	[[ -L $out/src || ! -e $out/src ]] || rm -rf "$out/src"
	mkdir -p "$out"
	ln -sfn "$mdir/src" "$out/src"
	for d in "${dirs[@]}"; do
		f=$mdir/src/$d/build.log
		if [[ $(cat "$mdir/src/$d/build.status" 2>/dev/null) != 0 ]]; then
			cat "$f" >&2
			warn "$d does not build against $kernel: $(grep -m 1 -i 'error' "$f" | sed "s|$mdir/src/||g")"
			rc=1
		elif grep -E 'warning:|error:' "$f" >&2; then
			warn "$d built with warnings (W=1) against $kernel"
			rc=1
		fi
	done
	# Only a clean build is kept for the next asker; a failed one is redone.
	if ((rc == 0)); then
		touch "$mdir/.done"
		[[ ! -d $family ]] || touch "$family/.clean"
	fi
	exec {lock}>&-
	return "$rc"
}

# shellcheck disable=SC2317 # called through build_modules
# build_modules_in DIR: the build itself, in DIR (dirs and flags are the
# caller's); each module leaves build.log and build.status (make's status).
build_modules_in() {
	local base=$1 d f pids=()
	for d in "${dirs[@]}"; do
		mkdir -p "$base/$d"
		# (Relinked from scratch: a seeded copy's links name the same files,
		# but a source removed since must not stay.)
		find "$base/$d" -maxdepth 1 -type l -delete
		for f in "$src/$d"/*.[ch] "$src/$d"/Kbuild "$src/$d"/Makefile; do
			[[ -e $f && $f != *.mod.c ]] && ln -s "$f" "$base/$d/"
		done
		rm -f "$base/$d/build.status"
	done
	ln -sfn "$src/include" "$base/include"
	ln -sfn "$src/VERSION" "$base/VERSION"
	# Every module with W=1, and not one warning allowed on any kernel;
	# each leaves build.log and build.status (make's status).
	if [[ -n $buildroot ]]; then
		# One command in the build root at a time: all at once.
		# shellcheck disable=SC2016 # expanded by the inner shell
		"$here/buildroot.sh" "$buildroot" run bash -c 'n=$1 && shift && for d in "${@:1:n}"; do
			make -s -C "$d" W=1 "${@:$((n + 1))}" >"$d/build.log" 2>&1; echo $? >"$d/build.status"
			done' bash "${#dirs[@]}" "${dirs[@]/#/$base/}" KDIR="$kdir" "${flags[@]}" >&2 || return 1
	else
		# Build side by side; wait for each pid.
		for d in "${dirs[@]}"; do
			(
				s=0
				make -s -C "$base/$d" KDIR="$kdir" W=1 "${flags[@]}" >"$base/$d/build.log" 2>&1 || s=$?
				echo "$s" >"$base/$d/build.status"
			) &
			pids+=($!)
		done
		wait "${pids[@]}"
	fi
}

# shellcheck disable=SC2317 # called through phase()
# Another architecture's guest: its static userspace, Debian's busybox for
# it, and the virtio console drivers its channels need (arm64).
foreign_guest() {
	local kroot m f lock
	usr=$BUILD/user-$arch
	# One job at a time per architecture (make check runs kernels side by
	# side): the same packages, the same binaries.
	mkdir -p "$BUILD"
	exec {lock}>>"$usr.lock"
	flock "$lock"
	"$here/setup.sh" "cross-$arch" >&2 || return 1
	make -s -C "$TOP_DIR" userspace USR="$usr" CC="$cc" CC32="$cc32" LAB_ONLY="${LAB_PROGRAMS:-}" >&2 || return 1
	exec {lock}>&-
	busybox=$("$here/fetch-deb.sh" bookworm "$deb_arch" busybox-static)/bin/busybox || return 1
	guest_opts=(--busybox "$busybox")
	[[ $arch == arm64 ]] || return 0
	# The kernel's own modules: of the fetched package, or of the host.
	kroot=${kdir%/usr/src/*}
	mkdir -p "$out/lab-modules"
	local loads=()
	for m in virtio/virtio_mmio char/virtio_console; do
		f=$(find "$kroot/lib/modules/$release" "$kroot/usr/lib/modules/$release" -path "*/kernel/drivers/$m.ko*" 2>/dev/null | head -n 1)
		if [[ -z $f ]]; then
			# Built in (6.12's arm64 kernel has virtio_console so): nothing
			# to load. Neither a module nor built in: the guest cannot talk.
			if grep -qsx "kernel/drivers/$m.ko" "$kroot/lib/modules/$release/modules.builtin" \
				"$kroot/usr/lib/modules/$release/modules.builtin"; then
				log "$release: $m is built in"
				continue
			fi
			die "$release has no $m, neither as a module nor built in: its guest has no channels"
		fi
		loads+=("$(basename "$m")")
		case $f in
		*.xz) xz -dc "$f" >"$out/lab-modules/$(basename "$m").ko" ;;
		*.zst) zstd -qdc "$f" >"$out/lab-modules/$(basename "$m").ko" ;;
		*) cp "$f" "$out/lab-modules/$(basename "$m").ko" ;;
		esac
		guest_opts+=(--lab-module "$out/lab-modules/$(basename "$m").ko")
	done
	local IFS=,
	append+=" lab_modules=${loads[*]}"
}

# shellcheck disable=SC2317 # called through phase()
# expected_programs: the programs this kernel's guest must run and report,
# from the sources (make print-programs) rather than from what the build
# left in $usr: a program dropped from the build is missing, not forgotten.
expected_programs() {
	local f
	make -s -C "$TOP_DIR" print-programs | while read -r f; do
		program_selected "$f" && echo "$f"
	done
	if [[ $rootfs == debian ]]; then
		echo debian
	elif [[ $extras == debug ]]; then
		for f in "$TOP_DIR"/tests/debug/*.c "$here"/guest/debug/*.sh; do
			basename "$f" .c
		done
	elif [[ $extras == kcsan ]]; then
		echo fuzz
	elif [[ $extras == upstream && $job != upstream ]]; then
		for f in "$here"/guest/upstream/*.sh; do
			basename "$f"
		done
	fi
}

# shellcheck disable=SC2317 # called through phase()
pack_initramfs() {
	local d opts=("${guest_opts[@]}") kos=("$out/src/driver/cmisc.ko" "$out/src/tutorial/07-hello/hello.ko")
	[[ -e $out/src/driver/cmisc_kunit.ko ]] && kos+=("$out/src/driver/cmisc_kunit.ko")
	# Every tutorial stage (make run STEP=n, and tutorial_test in make check).
	if program_selected tutorial_test; then
		for d in "$src"/tutorial/[0-9][0-9]-*/; do
			[[ -d $d ]] && d=${d%/} && opts+=(--tutorial "$out/src/tutorial/${d##*/}/hello.ko")
		done
	fi
	[[ -z ${LAB_PROGRAMS:-} ]] || opts+=(--only "$LAB_PROGRAMS")
	[[ $extras == debug ]] && opts+=(--debug)
	[[ $extras == kcsan ]] && opts+=(--fuzz)
	if [[ $extras == upstream ]]; then
		# Upstream's Rust samples, as this kernel built them.
		rm -rf "$out/upstream" && mkdir -p "$out/upstream"
		cp "$kdir"/samples/rust/rust_minimal.ko "$kdir"/samples/rust/rust_misc_device.ko "$out/upstream/"
		opts+=(--upstream "$out/upstream")
	fi
	expected_programs >"$out/programs.expected"
	# lab/initramfs.sh --tutorial
	! program_selected tutorial_test || echo tutorial_test >>"$out/programs.expected"
	"$here/initramfs.sh" "${opts[@]}" "$out/initramfs.cpio" "$usr" "${kos[@]}" || return 1
	initrd=$out/initramfs.cpio
}

# shellcheck disable=SC2317 # called through phase()
# The Debian guest: the packages, a Debian 12 root filesystem (cached), and
# a lab disk with the .debs, the static tests and the guest script.
pack_debian() {
	local dir=$out/lab
	# (set -e does not hold in a function run by phase: check each step.)
	"$here/deb.sh" || return 1
	rootfs_image=$("$here/debian-rootfs.sh" "$release") || return 1
	[[ -f $rootfs_image ]] || die "debian-rootfs.sh answered '$rootfs_image', not an image file"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/bin"
	cp "$BUILD"/deb/cmisc-dkms_*.deb "$BUILD"/deb/cmisc-tools_*.deb "$dir/debs/"
	cp -r "$BUILD/user/tests" "$dir/tests"
	find "$BUILD/user" -maxdepth 1 -type f -perm -u+x -exec cp {} "$dir/bin/" \;
	cp "$out/src/tutorial/07-hello/hello.ko" "$TOP_DIR/VERSION" "$here/guest/debian-check.sh" "$here/guest/tap.sh" "$dir/"
	expected_programs >"$out/programs.expected"
	mkfs.ext4 -q -F -L cmisc-lab -d "$dir" "$out/lab.ext4" "$(($(du -sm "$dir" | cut -f1) + 32))M" >&2 || return 1
	initrd=/boot/initrd.img-$release
}

# free_port: a local TCP port nobody listens on, for QEMU's gdb stub.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		listening "$p" || break
	done
	echo "$p"
}

# listening PORT: is something listening on 127.0.0.1:PORT (or any address)?
listening() {
	local hex
	hex=$(printf ':%04X ' "$1")
	awk -v p="$hex" '$4 == "0A" && index($2 " ", p) { f = 1 } END { exit !f }' /proc/net/tcp
}

# gdb_session: make gdb. QEMU waits at reset with its gdb stub on a free
# port; gdb loads vmlinux and the kernel's own helpers (vmlinux-gdb.py),
# runs to start_kernel, lx-symbols then loads each module's symbols at its
# load address as it loads, and a pending breakpoint waits in cmisc_ioctl.
# With GDB_SCRIPT, gdb runs that file in batch mode (log: gdb.log);
# otherwise it is yours, and the guest's console is in console.log.
gdb_session() {
	local port vm_pid rc=0 i
	[[ -r $kdir/vmlinux-gdb.py ]] || die "kernel $kernel has no vmlinux-gdb.py (CONFIG_GDB_SCRIPTS): make gdb uses KERNEL=tiny"
	port=$(free_port)
	LAB_GDB_PORT=$port "$here/vm.sh" gdb "$arch" "$image" "$initrd" "$logdir" "$limit" >"$out/vm.out" 2>&1 &
	vm_pid=$!
	for ((i = 0; i < 100; i++)); do
		listening "$port" && break
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.1
	done
	local gdb_cmd=(gdb -q -nx -iex "add-auto-load-safe-path $kdir" -ex "set pagination off" -ex "set confirm off"
		-ex "set breakpoint pending on" -ex "file $kdir/vmlinux"
		-ex "source $kdir/vmlinux-gdb.py" -ex "target remote 127.0.0.1:$port"
		-ex "hbreak start_kernel" -ex continue -ex delete
		-ex "lx-symbols $out/src/driver" -ex "break cmisc_ioctl")
	# A kernel of the cache was compiled under its entry's temporary name
	# (lab/cache.sh): its debug info names the sources there.
	[[ $kdir != "$LAB_CACHE"/* ]] || gdb_cmd+=(-ex "set substitute-path ${kdir%/*}.tmp ${kdir%/*}")
	if [[ -n ${GDB_SCRIPT:-} ]]; then
		log "gdb: batch, $GDB_SCRIPT, on port $port (log: $logdir/gdb.log)"
		timeout -k 5 "$limit" "${gdb_cmd[@]}" -batch -x "$GDB_SCRIPT" </dev/null >"$logdir/gdb.log" 2>&1 || rc=$?
		sed 's/^/[gdb] /' "$logdir/gdb.log" >&2
		# gdb's last continue ends when the guest powers off; if gdb ended
		# early (a failed script, no gdb), QEMU would wait for it, paused.
		for ((i = 0; i < 60; i++)); do
			kill -0 "$vm_pid" 2>/dev/null || break
			sleep 1
		done
		if kill -0 "$vm_pid" 2>/dev/null; then
			warn "gdb: the VM still runs 60 s after gdb ended: stopping it"
			pkill -TERM -P "$vm_pid" 2>/dev/null || true
			rc=1
		fi
	else
		log "gdb: the guest waits in start_kernel's breakpoint until you say continue;"
		log "gdb: its console is $logdir/console.log (tail -f it in another window)"
		"${gdb_cmd[@]}" || rc=$?
	fi
	wait "$vm_pid" || rc=$?
	cat "$out/vm.out" >&2
	return "$rc"
}

# gdb_tap: make check's gdb test, judged here from what gdb and the guest
# printed, as a program of its own ("gdb") on the results channel's file.
gdb_tap() {
	local n=0 t
	read -r t _ </proc/uptime
	echo "lab-program-begin gdb $t"
	echo "|$t|TAP version 13"
	echo "|$t|1..3"
	tap_line "grep -Eq '^cmisc_ioctl( \\+ [0-9]+)? in section \\.text' '$logdir/gdb.log'" gdb.breakpoint_in_cmisc_ioctl_is_hit
	tap_line "grep -q 'lab-gdb: cmd=0x7c80' '$logdir/gdb.log'" gdb.cmd_is_hello_0x7c80
	tap_line "tr -d '\r' <'$logdir/console.log' | grep -qx 'ioctl returned 100'" gdb.guest_prints_ioctl_returned_100
	echo "lab-program-end gdb status=$status timeout=0 secs=0.0"
}

tap_line() {
	n=$((n + 1))
	if bash -c "$1"; then
		echo "|$t|ok $n $2"
	else
		echo "|$t|not ok $n $2"
	fi
}

extras='' llvm='' buildroot='' newer_than=''
[[ $kernel == custom ]] || kernel_vars "$kernel"
llvm=${LLVM:-$llvm}
phase "kernel $kernel" "kernel unavailable" resolve
arch_vars "$arch"
if [[ -n $newer_than ]]; then
	other=$("$here/kernel.sh" "$newer_than" | cut -d' ' -f3)
	if ! dpkg --compare-versions "$release" gt "$other"; then
		log "$kernel: $release is not newer than $newer_than's $other: skipped"
		record skipped "$release is not newer than $newer_than's $other"
		echo "$kernel $release skip not newer than $newer_than's $other"
		exit 0
	fi
fi
usr=$BUILD/user guest_opts=() append=''
[[ $arch == "$(host_arch)" ]] || phase "userspace and busybox ($arch)" "kernel unavailable" foreign_guest
phase "module build ($tag)" "module build failed" build_modules
case $job in
run) limit=300 ;;
check | upstream) limit=1500 ;;
bench) limit=900 ;;
shell) limit=7200 ;;
gdb) limit=${GDB_SCRIPT:+600} limit=${limit:-7200} ;;
compare) limit=1500 ;;
*) die "unknown job '$job'" ;;
esac
[[ $rootfs == debian ]] && limit=1800
# The debug kernel's extras (a million fuzzer operations under KASAN) need more.
[[ $extras == debug && $job == check ]] && limit=2700
[[ $extras == kcsan && $job == check ]] && limit=2700
limit=${TIMEOUT:-$limit}
append+=" lab_tests=${TESTS:-} lab_test_timeout=${TEST_TIMEOUT:-120}"
# make run STEP=n (checked by lab/lab.sh): the guest replays that task alone.
[[ $job != run || -z ${STEP:-} ]] || append+=" lab_step=$STEP"
vm_job=$job expected=''
if [[ $job == bench ]]; then
	# Counted, not timed: instructions under icount unless BENCH_CLOCK=wall.
	append+=" lab_bench_clock=${BENCH_CLOCK:-icount}"
	[[ ${BENCH_PRESSURE:-} != 1 ]] || append+=" lab_bench_pressure=1"
	[[ ${BENCH_CLOCK:-icount} == wall ]] || export LAB_ICOUNT=1
	if [[ ${BENCH_DRIVER:-cmisc} == upstream ]]; then
		[[ $extras == upstream ]] || die "kernel $kernel has no upstream driver (extras=upstream)"
		append+=" lab_driver=upstream"
	fi
fi
if [[ $job == compare ]]; then
	[[ $extras == upstream ]] || die "kernel $kernel has no upstream driver to compare with (make compare uses KERNEL=rust)"
	# One program; the comparison's own timeout is the VM's, less a margin.
	append=${append/lab_test_timeout=${TEST_TIMEOUT:-120}/lab_test_timeout=$((limit - 120))}
	# Upstream's driver logs a line per call: a log big enough that no
	# kernel report is pushed out before the guest sends the whole log.
	append+=" log_buf_len=64M"
fi
if [[ $job == upstream ]]; then
	[[ $extras == upstream ]] || die "kernel $kernel has no upstream driver (extras=upstream)"
	vm_job=check expected=$TOP_DIR/tests/upstream-differences.txt
	append+=" lab_driver=upstream"
fi
disks=''
if [[ $rootfs == debian ]]; then
	phase "debian guest ($tag)" "boot failed" pack_debian
	append="root=/dev/vda rw $append"
	disks="$rootfs_image $out/lab.ext4"
else
	phase "initramfs ($tag)" "boot failed" pack_initramfs
fi

now_outcome='boot failed' now_step="vm $job"
status=0
vm_start=$EPOCHREALTIME
LAB_MEM=1024
[[ $rootfs == debian ]] && LAB_MEM=2048
export LAB_APPEND=$append LAB_DISKS=$disks LAB_MEM
if [[ $job == shell ]]; then
	"$here/vm.sh" "$vm_job" "$arch" "$image" "$initrd" "$logdir" "$limit" || status=$?
elif [[ $job == gdb ]]; then
	gdb_session || status=$?
else
	# The console goes to stderr: stdout is for the counts alone.
	"$here/vm.sh" "$vm_job" "$arch" "$image" "$initrd" "$logdir" "$limit" >&2 || status=$?
fi
vm_wall=$(awk -v a="$vm_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
phase_names+=("vm $job ($tag)") phase_secs+=("$vm_wall")
[[ $job == shell || $job == gdb ]] || guest_phases "$vm_wall"
print_phases
if [[ $job == shell ]]; then
	trap - EXIT
	exit "$status"
fi
if [[ $job == gdb && -n ${LAB_GDB_TEST:-} ]]; then
	gdb_tap >>"$logdir/results.log"
	echo gdb >"$out/programs.expected"
	job=check
elif [[ $job == gdb ]]; then
	trap - EXIT
	exit "$status"
fi
now_outcome='test failures' now_step='judging the run (lab/verdict.py)'
rc=0
judged=$job
[[ $job != compare ]] || judged=check
verdict=(judge "$logdir" --kernel "$kernel" --release "$release" --arch "$arch"
	--job "$judged" --status "$status" --limit "$limit" --out "$record")
if [[ $job == compare ]]; then
	echo compare >"$out/programs.expected"
	verdict+=(--programs "$out/programs.expected" --label "make compare on $kernel $release")
fi
[[ -z ${LAB_GDB_TEST:-} ]] || verdict+=(--label "make gdb's test on $kernel $release")
[[ $job != check && $job != upstream ]] || verdict+=(--programs "$out/programs.expected")
[[ -z $expected ]] || verdict+=(--differences "$expected")
counts=$(KUNIT_PARSER_DIR=$BUILD/ksft/kunit "$here/verdict.py" "${verdict[@]}") || rc=1
echo "$kernel $release $counts"
exit "$rc"
