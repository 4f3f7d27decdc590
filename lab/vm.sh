#!/usr/bin/env bash
# Boot one lab VM and carry the guest's exit status back to the host.
#
# usage: lab/vm.sh JOB KERNEL INITRAMFS LOGDIR [TIMEOUT]
#   JOB        run | check | shell | bench   (passed as lab_job=JOB)
#   KERNEL     bzImage to boot
#   INITRAMFS  cpio archive from lab/initramfs.sh
#   LOGDIR     gets console.log, results.log, dmesg.log
#   TIMEOUT    hard limit in seconds for the whole VM (default 600)
#
# Environment: LAB_ACCEL (kvm|tcg; probed and cached when unset),
# LAB_SMP, LAB_MEM, LAB_APPEND (extra kernel parameters), LAB_DISKS
# (raw disk images, attached as virtio disks with snapshot=on, so the
# images themselves are never written).
# Exits with the guest's status, 124 on timeout, 125 if the guest never
# reported one (panic, crash), and the console shows every step live.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

(($# >= 4)) || die "usage: lab/vm.sh JOB KERNEL INITRAMFS LOGDIR [TIMEOUT]"
job=$1 kernel=$2 initramfs=$3 logdir=$4 limit=${5:-600}
[[ -r $kernel ]] || die "no kernel image at $kernel"
[[ -r $initramfs ]] || die "no initramfs at $initramfs"
mkdir -p "$logdir"

accel=${LAB_ACCEL:-$("$here/accel.sh" "$kernel" "$initramfs")}
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg -cpu max) ;;
*) die "LAB_ACCEL must be kvm or tcg, not '$accel'" ;;
esac

append="console=ttyS0 loglevel=5 panic=-1 oops=panic lab_job=$job"
append+=" ${LAB_APPEND:-}"

console=$logdir/console.log results=$logdir/results.log dmesg=$logdir/dmesg.log
rm -f "$console" "$results" "$dmesg"

qemu=(
	qemu-system-x86_64 "${accel_args[@]}"
	-m "${LAB_MEM:-1024}" -smp "${LAB_SMP:-$(nproc)}"
	-display none -monitor none -no-reboot
	-kernel "$kernel" -initrd "$initramfs" -append "$append"
)
append_at=$((${#qemu[@]} - 1))
for disk in ${LAB_DISKS:-}; do
	[[ -f $disk ]] || die "vm: disk image '$disk' does not exist"
	qemu+=(-drive "file=$disk,format=raw,if=virtio,snapshot=on")
done

log "vm: $job on $(basename "$kernel") with $accel, timeout ${limit}s"
status=0
if [[ $job == shell ]]; then
	if [[ -t 0 ]]; then
		append+=" lab_rows=$(tput lines) lab_cols=$(tput cols)"
		qemu[append_at]=$append
	fi
	timeout --foreground -k 5 "$limit" "${qemu[@]}" \
		-serial mon:stdio -serial "file:$results" -serial "file:$dmesg" || status=$?
	# QEMU puts the terminal in raw mode; a killed QEMU leaves it there.
	[[ -t 0 ]] && stty sane
else
	timeout -k 5 "$limit" "${qemu[@]}" \
		-serial stdio -serial "file:$results" -serial "file:$dmesg" \
		</dev/null 2>&1 | tee "$console" || status=$?
	status=${PIPESTATUS[0]}
fi

if ((status == 124 || status == 137)); then
	warn "vm: timed out after ${limit}s"
	exit 124
fi
guest=$(sed -n 's/^lab-exit-status \([0-9]*\).*/\1/p' "$results" 2>/dev/null | tail -n 1)
if [[ -z $guest ]]; then
	warn "vm: the guest reported no exit status (panic or crash?)"
	exit 125
fi
exit "$guest"
