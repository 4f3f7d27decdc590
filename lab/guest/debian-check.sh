#!/bin/sh
# shellcheck shell=dash
# `make check ROOTFS=debian` inside a Debian 12 guest booted with systemd,
# run by cmisc-lab.service from the lab disk mounted at /lab. The user's
# path, step by step: install the packages (DKMS builds the module here,
# against this guest's headers), modprobe, udev, a group member, the test
# suite, removal. TAP goes to the console and to the results channel
# (ttyS1) for the host; the verdict goes alone on ttyS3 (lab/vm.sh).
R=/dev/ttyS1
n=0
rc=0
krel=$(uname -r)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LAB_RESULTS=$R
exec 3>>"$R"
read -r up _ </proc/uptime
echo "lab-guest-up $up" >&3
echo "# lab: Debian guest up ${up}s after boot, kernel $krel"

# The steps are one program, "debian", framed as lab/guest/tap.sh frames
# the others; its plan is the number of step lines in this file, so a step
# that never ran is counted. Its section is sent at the end (the suite's
# programs are sections of their own in between).
steps=/tmp/debian.section
read -r t0 _ </proc/uptime
plan=$(grep -c '^step ' "$0")
printf '|%s|TAP version 13\n|%s|1..%s\n' "$t0" "$t0" "$plan" >$steps

# step NAME CMD...: one TAP test; its output is shown as diagnostics.
step() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >/tmp/step.out 2>&1; then
		res="ok $n debian.$name"
	else
		res="not ok $n debian.$name"
		rc=1
	fi
	read -r now _ </proc/uptime
	sed 's/^/# /' /tmp/step.out >/tmp/step.diag
	cat /tmp/step.diag
	sed "s/^/|$now|/" /tmp/step.diag >>$steps
	echo "$res"
	echo "|$now|$res" >>$steps
}

is() {
	[ "$1" = "$2" ] || {
		echo "expected '$2', got '$1'"
		return 1
	}
}

dkms_installed() {
	dkms status cmisc
	dkms status cmisc | grep -q "$krel, x86_64: installed"
}
modinfo_complete() {
	modinfo cmisc &&
		modinfo -F version cmisc | grep -qx "$(cat /lab/VERSION)" &&
		modinfo -F description cmisc | grep -q . &&
		modinfo -F author cmisc | grep -q . &&
		modinfo -F parm cmisc | grep -q '^max_size:'
}

step install_cmisc_dkms dpkg -i /lab/debs/cmisc-dkms_*.deb
step dkms_built_for_running_kernel dkms_installed
step modinfo_metadata modinfo_complete
step modprobe modprobe cmisc
step node_is_root_0600_before_the_rule is "$(stat -c %a:%U:%G /dev/rust-misc-device)" 600:root:root

# The kselftest suite of the busybox lab, against the DKMS-built module.
export CMISC_KO="/lib/modules/$krel/updates/dkms/cmisc.ko" CMISC_HELLO_KO=/lab/hello.ko
# shellcheck source=lab/guest/tap.sh
. /lab/tap.sh
export CMISC_TESTS="${lab_tests:-}"
lab_count=$(find /lab/tests -maxdepth 1 -type f -perm -u+x | wc -l)
for t in /lab/tests/*; do
	[ -x "$t" ] || continue
	tap_run "${t##*/}" 300 "$t" || rc=1
done

rule_applies() {
	udevadm settle && is "$(stat -c %a:%G /dev/rust-misc-device)" 660:cmisc
}
member_hello() {
	useradd -m alice && usermod -aG cmisc alice &&
		is "$(su -s /bin/sh alice -c 'cmiscctl hello')" 100
}
non_member_denied() {
	useradd -m bob
	su -s /bin/sh bob -c 'cmiscctl hello'
	is $? 4
}
removed_cleanly() {
	! command -v cmiscctl &&
		test ! -e "/lib/modules/$krel/updates/dkms/cmisc.ko" &&
		test ! -e /lib/udev/rules.d/60-cmisc.rules &&
		test ! -d "/usr/src/cmisc-$(cat /lab/VERSION)" &&
		! dkms status cmisc | grep -q .
}

step install_cmisc_tools dpkg -i /lab/debs/cmisc-tools_*.deb
step group_cmisc_exists getent group cmisc
step udev_rule_gives_cmisc_0660 rule_applies
step group_member_runs_hello member_hello
step non_member_is_denied_exit_4 non_member_denied
step modprobe_r modprobe -r cmisc
step purge_packages dpkg --purge cmisc-tools cmisc-dkms
step removed_cleanly removed_cleanly

read -r t1 _ </proc/uptime
echo "lab-program-begin debian $t0" >&3
cat $steps >&3
echo "lab-program-end debian status=$rc timeout=0 secs=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")" >&3
echo "lab-taint $(cat /proc/sys/kernel/tainted)" >&3
dmesg >/dev/ttyS2
echo "lab-exit-status $rc" >/dev/ttyS3
sync
systemctl poweroff --no-block
