#!/usr/bin/env bash
# Boot one lab VM with a hard timeout and carry the guest's verdict back.
#
# usage: lab/vm.sh JOB ARCH KERNEL INITRAMFS LOGDIR [TIMEOUT]
#   JOB        run | check | shell | bench | probe   (passed as lab_job=JOB)
#   ARCH       x86_64 | arm64
#   KERNEL     the kernel image to boot
#   INITRAMFS  cpio archive from lab/initramfs.sh (or a distribution's)
#   LOGDIR     gets console.log, results.log, dmesg.log and verdict.log
#   TIMEOUT    hard limit in seconds for the whole VM (default 600)
#
# The guest talks back on four channels, each a port of its own, so that
# nothing one carries can forge or hide what another says:
#
#   channel   x86_64   arm64        carries                        host file
#   console   ttyS0    ttyAMA0      what the user sees, live       console.log
#   results   ttyS1    hvc0         TAP, bench tables and JSON     results.log
#   dmesg     ttyS2    hvc1         the whole kernel log, at end   dmesg.log
#   verdict   ttyS3    hvc2         one line: lab-exit-status N    verdict.log
#
# (arm64's virt machine has one UART; the others are virtio consoles.) The
# guest learns its channels from the kernel command line (lab_results=...).
#
# Environment: LAB_ACCEL (kvm|tcg; probed and cached when unset), LAB_SMP,
# LAB_MEM, LAB_APPEND (extra kernel parameters), LAB_DISKS (raw disk images,
# attached as virtio disks with snapshot=on, so they are never written),
# LAB_GDB_PORT=N (QEMU's gdb stub on 127.0.0.1:N, the CPU stopped at
# reset until gdb continues; the kernel booted with nokaslr), LAB_ICOUNT=1
# (TCG with -icount shift=0,sleep=off: the guest's clock
# advances 1 ns per instruction executed, so guest timings are instruction
# counts, the same on every run; one vCPU).
# Exits with the guest's status; 124 if the VM outlived TIMEOUT, even if the
# guest had reported a status (a guest that reports and then hangs fails);
# 125 if QEMU ended without a verdict (panic, crash).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

(($# >= 5)) || die "usage: lab/vm.sh JOB ARCH KERNEL INITRAMFS LOGDIR [TIMEOUT]"
job=$1 arch=$2 kernel=$3 initramfs=$4 logdir=$5 limit=${6:-600}
[[ -r $kernel ]] || die "no kernel image at $kernel"
[[ -r $initramfs ]] || die "no initramfs at $initramfs"
mkdir -p "$logdir"
arch_vars "$arch"

console_log=$logdir/console.log results=$logdir/results.log
dmesg=$logdir/dmesg.log verdict=$logdir/verdict.log
rm -f "$console_log" "$results" "$dmesg" "$verdict"

if [[ $job == probe ]]; then
	accel=kvm
elif [[ -n ${LAB_ICOUNT:-} ]]; then
	accel=tcg
else
	accel=${LAB_ACCEL:-$("$here/accel.sh" "$arch" "$kernel" "$initramfs")}
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg -cpu max) ;;
*) die "LAB_ACCEL must be kvm or tcg, not '$accel'" ;;
esac
smp=${LAB_SMP:-$(nproc)}
extra_args=()
if [[ -n ${LAB_ICOUNT:-} ]]; then
	# shellcheck disable=SC2054 # the comma is QEMU's
	accel_args+=(-icount shift=0,sleep=off)
	smp=1
fi

case $arch in
x86_64)
	chan=(/dev/ttyS1 /dev/ttyS2 /dev/ttyS3)
	ports=(-serial "file:$results" -serial "file:$dmesg" -serial "file:$verdict")
	;;
arm64)
	chan=(/dev/hvc0 /dev/hvc1 /dev/hvc2)
	# shellcheck disable=SC2054 # the commas are QEMU's
	ports=(-device virtio-serial-device
		-chardev "file,id=results,path=$results" -device virtconsole,chardev=results
		-chardev "file,id=dmesg,path=$dmesg" -device virtconsole,chardev=dmesg
		-chardev "file,id=verdict,path=$verdict" -device virtconsole,chardev=verdict)
	;;
esac

append="console=$console loglevel=5 panic=-1 oops=panic lab_job=$job"
append+=" lab_results=${chan[0]} lab_dmesg=${chan[1]} lab_verdict=${chan[2]}"
# Under TCG on a loaded host the clocksource watchdog can find the TSC
# skewed at any moment and switch clocks mid-run, patching a static key
# while other CPUs run: on 7.3-rc that oopsed (int3 in sched_clock_cpu).
# Decide at boot instead.
[[ $arch == x86_64 && $accel == tcg ]] && append+=" tsc=unstable"
if [[ -n ${LAB_GDB_PORT:-} ]]; then
	# make gdb: QEMU's gdb stub on a local port, the CPU stopped until gdb
	# says continue, and the kernel where its symbols say it is.
	extra_args=(-gdb "tcp:127.0.0.1:$LAB_GDB_PORT" -S)
	append+=" nokaslr"
fi
append+=" ${LAB_APPEND:-}"

# -nodefaults: no VGA, network card or drives the guest never uses (and
# whose drivers Debian's kernels would probe at every boot); every device
# the lab needs is named here.
cmd=(
	"${qemu[@]}" "${accel_args[@]}" "${extra_args[@]}"
	-m "${LAB_MEM:-1024}" -smp "$smp"
	-nodefaults -display none -monitor none -no-reboot
	-kernel "$kernel" -initrd "$initramfs"
)
for disk in ${LAB_DISKS:-}; do
	[[ -f $disk ]] || die "vm: disk image '$disk' does not exist"
	cmd+=(-drive "file=$disk,format=raw,if=virtio,snapshot=on")
done

[[ $job == probe ]] || log "vm: $job on $(basename "$kernel") ($arch, $accel), timeout ${limit}s"
if [[ $job == shell ]]; then
	[[ -t 0 ]] && append+=" lab_rows=$(tput lines) lab_cols=$(tput cols)"
	if timeout --foreground -k 5 "$limit" "${cmd[@]}" -append "$append" \
		-serial mon:stdio "${ports[@]}"; then
		status=0
	else
		status=$?
	fi
	# QEMU puts the terminal in raw mode; a killed QEMU leaves it there.
	[[ -t 0 ]] && stty sane
elif [[ $job == probe ]]; then
	if timeout -k 1 "$limit" "${cmd[@]}" -append "$append quiet" \
		-serial null "${ports[@]}" </dev/null >/dev/null 2>&1; then
		status=0
	else
		status=$?
	fi
else
	# Never a silent minute: when the console has said nothing for 30 s (a
	# long test program, a slow TCG boot), say that the VM still runs.
	(
		size=0 quiet=0 start=$SECONDS
		while sleep 5; do
			now=$(stat -c %s "$console_log" 2>/dev/null || echo 0)
			if ((now != size)); then
				size=$now quiet=0
				continue
			fi
			quiet=$((quiet + 5))
			if ((quiet % 30 == 0)); then
				log "vm: still running, $((SECONDS - start)) s of its ${limit} s; the console has been quiet for ${quiet} s"
			fi
		done
	) &
	watcher=$!
	if timeout -k 5 "$limit" "${cmd[@]}" -append "$append" \
		-serial stdio "${ports[@]}" </dev/null 2>&1 | tee "$console_log"; then
		status=0
	else
		status=${PIPESTATUS[0]}
	fi
	kill "$watcher" 2>/dev/null || true
	wait "$watcher" 2>/dev/null || true
fi

if ((status == 124 || status == 137)); then
	[[ $job == probe ]] || warn "vm: timed out after ${limit}s"
	exit 124
fi
guest=$(tr -d '\r' <"$verdict" 2>/dev/null | sed -n 's/^lab-exit-status \([0-9]*\)$/\1/p' | tail -n 1)
if [[ -z $guest ]]; then
	[[ $job == probe ]] || warn "vm: the guest reported no exit status (panic or crash?)"
	exit 125
fi
exit "$guest"
