# shellcheck shell=bash
# Helpers shared by the lab scripts. Sourced, never run.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$LAB_DIR/.." && pwd)
BUILD=${BUILD:-$TOP_DIR/build}
export LAB_DIR TOP_DIR BUILD

log() { printf '[lab] %s\n' "$*" >&2; }
warn() { printf '[lab] warning: %s\n' "$*" >&2; }
# newest_build_stats NAME: the stats file (lab/progress.sh's "STEPS
# SECONDS") of the newest build of kernel NAME on this machine, whatever its
# configuration; nothing if it was never built here.
newest_build_stats() {
	find "$LAB_CACHE/stats" -name "$1.*" -printf '%T@ %p\n' 2>/dev/null |
		sort -rn | sed -n '1s/^[^ ]* //p' || true
}

# with_heartbeat LABEL CMD...: run CMD, and while it runs say so on stderr
# every 30 s, so that no step goes a minute without a line. The heartbeat
# stops with CMD, or with this shell if CMD exits it.
with_heartbeat() {
	local label=$1 start=$SECONDS beat rc=0
	shift
	(
		while sleep 30 && kill -0 $$ 2>/dev/null; do
			# On a terminal, start on a clean line: a live progress line
			# (lab/progress.sh) may be drawn there without its newline.
			[[ ! -t 2 ]] || printf '\r\033[K' >&2
			log "$label: still running, $((SECONDS - start)) s"
		done
	) >/dev/null &
	beat=$!
	# Out of the job table: a bare "wait" in CMD must not wait for it.
	disown "$beat"
	"$@" || rc=$?
	# Its sleep too, which holds the caller's open files (a lock) meanwhile:
	# the loop first (killed while it waits, it says nothing), then the sleep.
	local kids
	kids=$(pgrep -P "$beat" 2>/dev/null) || true
	kill "$beat" 2>/dev/null || true
	# shellcheck disable=SC2086 # one pid per word
	[[ -z $kids ]] || kill $kids 2>/dev/null || true
	wait "$beat" 2>/dev/null || true
	return "$rc"
}

# stale WHAT: something was served from a cache because the archive could
# not be reached. Said now, and again in make check's summary (a warning
# there, and a failure under CI=true).
stale() {
	warn "$*"
	mkdir -p "$BUILD/results"
	printf '%s\n' "$*" >>"$BUILD/results/warnings"
}
die() {
	printf '[lab] error: %s\n' "$*" >&2
	exit 1
}

# select_programs: of the test program names on stdin, those TESTS selects
# (a program is its name, tests/NAME.c, or tutorial_test). A pattern that
# starts with a program's name, NAME or NAME.fixture.test (globs allowed
# after the dot), selects that program, and NAME its variants (NAME-m32)
# too; any other pattern, or none, selects every program, each of which
# then runs only its tests that the pattern matches (tests/harness.h).
select_programs() {
	local name sel=() names=()
	mapfile -t names
	if [[ -n ${TESTS:-} ]]; then
		for name in "${names[@]}"; do
			case $TESTS in
			"$name" | "$name".*) sel+=("$name") ;;
			*) case $name in "$TESTS"-*) sel+=("$name") ;; esac ;;
			esac
		done
	fi
	((${#sel[@]})) || sel=("${names[@]}")
	printf '%s\n' "${sel[@]}"
}

# program_selected NAME: is NAME among $LAB_PROGRAMS (lab/lab.sh sets it
# from TESTS; empty: every program)?
program_selected() {
	[[ -z ${LAB_PROGRAMS:-} || " $LAB_PROGRAMS " == *" $1 "* ]]
}

# The cache shared by every checkout on this machine (lab/cache.sh).
# shellcheck source=lab/cache.sh
. "$LAB_DIR/cache.sh"
cache_setup

# Run a command with a root prefix when we are not root.
as_root() {
	if ((EUID == 0)); then
		"$@"
	else
		sudo -n "$@"
	fi
}

# The host's architecture in the lab's words (x86_64 or arm64).
host_arch() {
	case $(uname -m) in
	aarch64 | arm64) echo arm64 ;;
	*) echo x86_64 ;;
	esac
}

# arch_vars ARCH: what the lab needs to know of an architecture.
#   deb_arch      Debian's name for it
#   qemu          the system emulator and its machine
#   console       the guest's console device
#   cross         CROSS_COMPILE for building on another host ('' if native)
#   kimage        the boot image in a built tree
#   cc, cc32      the C compilers for the static userspace and its 32-bit
#                 (compat) build
# shellcheck disable=SC2034 # the variables are the result
arch_vars() {
	case $1 in
	x86_64)
		deb_arch=amd64 console=ttyS0 kimage=arch/x86/boot/bzImage
		qemu=(qemu-system-x86_64)
		cross=x86_64-linux-gnu-
		;;
	arm64)
		deb_arch=arm64 console=ttyAMA0 kimage=arch/arm64/boot/Image.gz
		qemu=(qemu-system-aarch64 -M virt)
		cross=aarch64-linux-gnu-
		;;
	*) die "unknown architecture '$1' (x86_64 or arm64)" ;;
	esac
	[[ $1 != "$(host_arch)" ]] || cross=
	# The 32-bit builds use Debian's cross compilers, not gcc-multilib,
	# which conflicts with every cross compiler Debian 12 has.
	cc=${cross}gcc cc32=i686-linux-gnu-gcc
	[[ $1 != arm64 ]] || cc32=arm-linux-gnueabihf-gcc
}

# The newest Debian kernel headers installed on this host for a Debian
# architecture (default: the host's). The one place that picks the default
# KDIR; the Makefiles ask lab/default-kdir.sh, which calls this.
newest_headers() {
	local a=${1:-amd64}
	printf '%s\n' /usr/src/linux-headers-*-"$a" | sort -V | tail -n 1 | grep -v '\*' || true
}

# Debian 12's own kernel headers on this host for a Debian architecture:
# the newest installed linux-headers-6.1.0-N-ARCH package (bookworm's 6.1
# ABI names), with its image in /boot. Other kernels installed beside it
# (backports' 6.12, say) never stand in for it.
debian12_headers() {
	local a=${1:-amd64} pkg rel
	# (dpkg-query fails when nothing matches: an answer of nothing, not an error.)
	{ dpkg-query -W -f '${db:Status-Status} ${Package}\n' "linux-headers-6.1.0-*-$a" 2>/dev/null || true; } |
		sed -n "s/^installed \(linux-headers-6\.1\.0-[0-9]*-$a\)\$/\1/p" | sort -V -r | while read -r pkg; do
		rel=${pkg#linux-headers-}
		if [[ -d /usr/src/$pkg && -r /boot/vmlinuz-$rel ]]; then
			echo "/usr/src/$pkg"
			break
		fi
	done
}

# The Debian mirror this machine's apt uses (DEBIAN_MIRROR overrides it), so
# a local mirror or proxy serves the lab as it serves apt. With "security",
# the mirror of bookworm-security.
# shellcheck disable=SC2120 # callers pass "security" or nothing
debian_mirror() {
	local suite=bookworm url
	[[ ${1:-} == security ]] && suite=bookworm-security
	if [[ -n ${DEBIAN_MIRROR:-} ]]; then
		url=$DEBIAN_MIRROR
		[[ $suite == bookworm-security ]] && url=${DEBIAN_SECURITY_MIRROR:-${url%/debian}/debian-security}
		echo "$url"
		return
	fi
	url=$(apt-cache policy 2>/dev/null |
		sed -n "s|^ *[0-9]* \([a-z+]*://[^ ]*\) $suite/main .*|\1|p" | head -n 1)
	[[ -n $url ]] || die "no $suite mirror in this machine's apt sources; set DEBIAN_MIRROR"
	echo "${url%/}"
}

# kernel_vars NAME: load lab/kernels/NAME, the description of one kernel.
# Sets get, image, arch, suite, config, llvm, buildroot, newer_than, extras, about and check
# (see lab/kernels/README).
# shellcheck disable=SC2034 # the variables are the result
kernel_vars() {
	local file=$LAB_DIR/kernels/$1
	[[ -r $file && $1 != README ]] || die "no kernel '$1' (see: make kernels)"
	get='' image='' arch=x86_64 suite='' config='' llvm='' extras='' about='' check='' buildroot='' newer_than='' estimate=''
	# shellcheck source=/dev/null
	. "$file"
}

# umount_all DIR: undo every mount at or below DIR, deepest first.
umount_all() {
	local m
	while read -r m; do
		as_root umount -l "$m" || return 1
	done < <(awk -v r="${1%/}" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
}

# safe_rm DIR: remove a tree that may have held a chroot's mounts: unmount
# everything below it first, then never cross into another file system.
safe_rm() {
	[[ -e $1 ]] || return 0
	umount_all "$1"
	as_root rm -rf --one-file-system "$1"
}

# private_apt SUITE DEB_ARCH DIR [--fresh]: an apt of our own for one Debian suite and
# architecture, with its state under DIR but the host's configuration
# (proxy included) and Debian's archive key; the mirror is the machine's.
# Sets apt_opts for apt-get/apt-cache and runs "apt-get update" (with
# --fresh, only when the lists are older than CMISC_APT_MAX_AGE); fails if
# the archive cannot be reached (the callers fall back to their caches).
private_apt() {
	local suite=$1 arch=$2 dir=$3 keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	apt_opts=(
		-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "Dir::State::Status=$dir/status" -o Debug::NoLocking=1
		-o APT::Sandbox::User=root -o "APT::Architecture=$arch"
		-o "APT::Architectures::=$arch" -o "APT::Architectures::=$(dpkg --print-architecture)" -q
	)
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	touch "$dir/status"
	echo "deb [signed-by=$keyring] $(debian_mirror "") $suite main" >"$dir/sources.list"
	if [[ $suite == bookworm ]]; then
		# Debian 12's kernel is updated through its security suite.
		echo "deb [signed-by=$keyring] $(debian_mirror security) bookworm-security main" >>"$dir/sources.list"
	fi
	# --fresh: lists fetched within CMISC_APT_MAX_AGE minutes (60) are kept.
	# (apt dates its lists by the archive's clock: our own stamp says when
	# they were last fetched.)
	if [[ ${4:-} == --fresh && -n $(find "$dir/updated" -mmin -"${CMISC_APT_MAX_AGE:-60}" 2>/dev/null) ]]; then
		return 0
	fi
	apt-get "${apt_opts[@]}" update >"$dir/update.log" 2>&1 || return 1
	touch "$dir/updated"
}

# chroot_apt_conf ROOT: give a chroot this machine's apt settings for
# reaching the archive (proxies, and whether an expired Release file is
# accepted, as on a snapshot mirror), so its apt behaves as the host's.
chroot_apt_conf() {
	apt-config dump | grep -E '^Acquire::((https?|ftp)::)?(Proxy|Check-Valid-Until|Check-Date)' |
		as_root tee "$1/etc/apt/apt.conf.d/00lab-host" >/dev/null || true
}
