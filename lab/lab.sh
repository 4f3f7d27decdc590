#!/usr/bin/env bash
# The lab's entry point: every make target that boots a VM lands here, and
# every VM goes through lab/vmjob.sh.
#
#   lab/lab.sh run        replay the tutorial in the VM, step by step
#                         (STEP=n: only task n, from tutorial/, instead)
#   lab/lab.sh check      every test on every kernel of the default list
#                         (with TESTS=pattern and no KERNEL=: the tiny kernel)
#   lab/lab.sh shell      interactive busybox shell with the module loaded
#                         (the tiny kernel, unless KERNEL= says otherwise)
#   lab/lab.sh compare    the same random calls against cmisc and upstream's
#                         driver, compared call by call (the rust kernel)
#   lab/lab.sh gdb        gdb attached to the tiny kernel, the module's
#                         symbols loaded as it loads (GDB_SCRIPT=file: batch)
#   lab/lab.sh bench      benchmarks (bench/), printed as a table and JSON
#   lab/lab.sh detectors  deliberately buggy builds that the debug kernel's
#                         detectors must report (lab/detectors.sh)
#   lab/lab.sh kernels    every kernel the lab knows, its version and cache
#   lab/lab.sh clean-cache  remove the lab's cache (lab/cache.sh)
#
# Environment (usually from make): KERNEL=a,b (kernels from lab/kernels/),
# KDIR=/path/to/tree (build against and boot that tree), ARCH, LLVM=1,
# TESTS=pattern, TIMEOUT=seconds (per VM), TEST_TIMEOUT=seconds (per test
# program), ROOTFS=busybox|debian.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

job=${1:?usage: lab/lab.sh run|check|shell|gdb|bench|detectors|kernels|clean-cache}

if [[ $job == kernels ]]; then
	exec "$here/kernel.sh" --list
fi
if [[ $job == clean-cache ]]; then
	log "clean-cache: emptying $LAB_CACHE ($(du -sh --one-file-system "$LAB_CACHE" 2>/dev/null | cut -f1))"
	cache_clean
	exit 0
fi
# CMISC_CACHE=off: this run's own cache, empty, as on a fresh machine, and
# nothing of build/ that an earlier run keyed by that cache's paths.
if [[ ${CMISC_CACHE:-on} == off ]]; then
	log "cache: off (CMISC_CACHE=off): an empty cache for this run, $LAB_CACHE"
	with_heartbeat "cache: emptying $LAB_CACHE" cache_clean
	rm -rf "$BUILD/modules" "$BUILD/initramfs-base" "$BUILD/accel"
fi
with_heartbeat "cache: evicting the least recently used" cache_evict
# One ISO week for the whole run (lab/buildroot.sh's freshness term).
CMISC_BUILDROOT_WEEK=${CMISC_BUILDROOT_WEEK:-$(date -u +%G-W%V)}
export CMISC_BUILDROOT_WEEK

# make run STEP=n: a stage of tutorial/, or one line naming them all, before
# anything is built or booted.
if [[ $job == run && -v STEP ]]; then
	stages=$(cd "$TOP_DIR/tutorial" && for d in [0-9][0-9]-*/; do
		d=${d%%-*} && echo "${d#0}"
	done | tr '\n' ' ')
	[[ $STEP =~ ^[0-9]{1,2}$ && " $stages" == *" $((10#$STEP)) "* ]] ||
		die "STEP='$STEP' is not a tutorial stage; the stages are ${stages% } (make run STEP=n)"
fi

# make check's list: every kernel with check=yes, plus, without ARCH=,
# those with check=cross whose architecture is not the host's. With ARCH=,
# only the kernels of that architecture that need no build root of
# another architecture.
default_kernels() {
	local f name want=${ARCH:-} host
	host=$(host_arch)
	for f in "$here"/kernels/*; do
		name=$(basename "$f")
		[[ $name == README ]] && continue
		kernel_vars "$name"
		case $check in
		yes) ;;
		cross) [[ -z $want && $arch != "$host" ]] || continue ;;
		*) continue ;;
		esac
		if [[ -n $want ]]; then
			[[ $arch == any || $arch == "$want" ]] || continue
			[[ -z $buildroot || $want == "$host" ]] || continue
		fi
		echo "$name"
	done
}

# The kernels of this job: KDIR, KERNEL=a,b, or the job's default.
kernels() {
	if [[ -n ${KDIR:-} ]]; then
		echo custom
	elif [[ -n ${KERNEL:-} ]]; then
		echo "${KERNEL//,/ }"
	elif [[ ($job == check && -n ${TESTS:-}) || $job == shell ]] && [[ -z ${ARCH:-} && $(host_arch) == x86_64 ]]; then
		# The edit loop: the tiny kernel (lab/kernels/tiny), which boots in
		# a second or two, where Debian's generic one takes many more.
		echo tiny
	elif [[ $job == check ]]; then
		default_kernels
	elif [[ $job == detectors ]]; then
		echo debug
	elif [[ $job == bench ]]; then
		# Debian's kernel, and the Rust kernel where upstream's driver runs too.
		echo distro rust
	elif [[ $job == gdb ]]; then
		echo tiny
	elif [[ $job == compare ]]; then
		echo rust
	else
		echo distro
	fi
}

# bench_json TAG NAME: the JSON a bench VM sent, as build/bench/NAME.json,
# and its summary line counted into the totals.
bench_json() {
	local results=$BUILD/$1/logs/results.log out=$BUILD/bench/$2.json line
	mkdir -p "$BUILD/bench"
	tr -d '\r' <"$results" | sed -n '/^lab-json-begin/,/^lab-json-end/p' | sed '1d;$d' >"$out"
	[[ -s $out ]] || return 1
	log "bench: JSON in $out"
	bench_files+=("$out")
	line=$(tr -d '\r' <"$results" | sed -n 's/^bench: \([0-9]*\) rows, \([0-9]*\) targets met, \([0-9]*\) missed$/\1 \2 \3/p' | tail -n 1)
	[[ -n $line ]] || return 1
	read -r r m x <<<"$line"
	rows=$((rows + r)) met=$((met + m)) missed=$((missed + x))
}

# follow_on JOB KERNEL TAG WHAT: a job that runs after the kernel's own
# check (upstream, compare, gdb). If that check ended before its VM could
# run (the kernel unavailable, the modules not built, no boot), record
# JOB as not run for the same reason instead of building it all again.
# Returns 0 when it recorded (the caller skips the job).
follow_on() {
	local job=$1 kernel=$2 tag=$3 what=$4 main outcome
	main=$BUILD/results/kernels/${kernel//\//-}.json
	[[ ${ROOTFS:-busybox} == debian ]] && main=$BUILD/results/kernels/debian.json
	outcome=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["outcome"])' "$main" 2>/dev/null) || return 1
	case $outcome in
	"kernel unavailable" | "module build failed" | "boot failed") ;;
	*) return 1 ;;
	esac
	log "$what: not run, the kernel's own check ended in: $outcome"
	"$here/verdict.py" outcome --kernel "$kernel" --outcome "$outcome" \
		--reason "$what not run: the kernel's own check ended in: $outcome" \
		--out "$BUILD/results/kernels/$tag.json"
}

step() {
	local name=$1 start=$SECONDS
	shift
	with_heartbeat "$name" "$@" || die "failed at step: $name (exit $?)"
	log "$name: $((SECONDS - start)) s"
}

if [[ ${ROOTFS:-busybox} == debian ]]; then
	step setup "$here/setup.sh" packaging
elif [[ $job == bench ]]; then
	step setup "$here/setup.sh" bench
else
	step setup "$here/setup.sh"
fi
# This run's records and warnings only (a stale cache may be met as early
# as the userspace build: the upstream client).
rm -rf "$BUILD/results/kernels" "$BUILD/results/warnings"
# TESTS= naming a program: build, pack and start that program alone.
LAB_PROGRAMS=''
if [[ -n ${TESTS:-} && $job == check && ${ROOTFS:-busybox} == busybox ]]; then
	every=$( { make -s -C "$TOP_DIR" print-programs; echo tutorial_test; } | sort)
	chosen=$(select_programs <<<"$every")
	if [[ $chosen != "$every" ]]; then
		LAB_PROGRAMS=$(tr '\n' ' ' <<<"$chosen")
		LAB_PROGRAMS=${LAB_PROGRAMS% }
		log "TESTS=$TESTS: only $LAB_PROGRAMS (of $(wc -l <<<"$every") programs) is built, packed and run"
	fi
fi
export LAB_PROGRAMS
step "userspace build" make -s -C "$TOP_DIR" userspace LAB_ONLY="$LAB_PROGRAMS" >&2
if [[ $job == check ]]; then
	# The judge is judged first: recorded guest outputs, each with the
	# verdict it must get, in seconds and without a VM. A pass is
	# remembered by the content of everything it reads (all of lab/, the
	# kernel's KTAP parser, python3's version): a change to any reruns it.
	judge_key=$(cache_key "$( (cd "$TOP_DIR" && find lab -type f ! -path '*/__pycache__/*' -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum; sha256sum "$BUILD"/ksft/kunit/*.py; python3 --version))")
	if [[ -e $LAB_CACHE/stamps/verdict-selftest-$judge_key ]]; then
		log "verdict self-test: passed on these same sources before ($judge_key)"
	else
		step "verdict self-test" "$here/verdict_test.py" >&2
		# And the cache's rules (lab/cache.sh), on a scratch cache.
		step "cache self-test" "$here/cache_test.sh" >&2
		mkdir -p "$LAB_CACHE/stamps" && touch "$LAB_CACHE/stamps/verdict-selftest-$judge_key"
	fi
fi

if [[ $job == detectors ]]; then
	exec "$here/detectors.sh"
fi
if [[ ${ROOTFS:-busybox} == debian ]]; then
	[[ $job == run || $job == check ]] || die "ROOTFS=debian is for make run and make check"
	export KERNEL=distro
fi

if [[ $job != shell && -z ${KDIR:-} ]]; then
	# shellcheck disable=SC2046 # one kernel name per word
	"$here/kernel.sh" --plan $(kernels) >&2
fi
# overlap KERNEL...: while the CPU builds kernels and boots VMs in the
# foreground, fetch in the background what only waits on the network and
# the disk: the build roots, then the fetched kernels, each into the cache
# (lab/cache.sh), where the foreground finds it, or waits on its lock. A
# failure here is only logged: the foreground then does the same step
# itself and reports it.
overlap() {
	local k roots=() fetches=() log=$BUILD/overlap.log
	for k in "$@"; do
		kernel_vars "$k"
		[[ $arch == any ]] && arch=${ARCH:-$(host_arch)}
		[[ -z $buildroot || " ${roots[*]} " == *" $buildroot "* ]] || roots+=("$buildroot")
		if [[ $get == fetch || ($get == packaged && $arch != "$(host_arch)") ]]; then
			fetches+=("$k")
		fi
	done
	((${#roots[@]} + ${#fetches[@]})) || return 0
	: >"$log"
	log "overlap: fetching in the background: ${roots[*]/#/build root }${roots:+ }${fetches[*]} (log: $log)"
	# A session of its own, so that stop_overlap ends all of it.
	# shellcheck disable=SC2016 # expanded by the inner shell
	setsid bash -c 'here=$1 n=$2 && shift 2
		for k in "${@:1:n}"; do
			"$here/buildroot.sh" "$k" || echo "overlap: build root $k failed"
		done
		for k in "${@:$((n + 1))}"; do
			"$here/kernel.sh" "$k" || echo "overlap: kernel $k failed"
		done' bash "$here" "${#roots[@]}" "${roots[@]}" "${fetches[@]}" </dev/null >>"$log" 2>&1 &
	overlap_pid=$!
}
overlap_pid='' chain_pids=()
# kill_tree PID: PID and everything it started, children first.
# shellcheck disable=SC2317 # run by the EXIT trap
kill_tree() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$c"
	done
	kill -TERM "$1" 2>/dev/null || true
}
# shellcheck disable=SC2317 # run by the EXIT trap
stop_background() {
	local pid
	[[ -z $overlap_pid ]] || kill -TERM -- "-$overlap_pid" 2>/dev/null || true
	# make check's kernels that still run when this script ends early
	# (an error, Ctrl-C): none outlives it.
	for pid in "${chain_pids[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill_tree "$pid"
	done
	return 0
}
trap stop_background EXIT
if [[ $job == check && -z ${KDIR:-} && -z ${ROOTFS:-} ]]; then
	# shellcheck disable=SC2046 # one kernel name per word
	(($(kernels | wc -w) > 1)) && overlap $(kernels)
fi

# check_chain KERNEL TAG: make check on one kernel: its suite, then the
# jobs its description adds (make gdb's test, the suite on upstream's
# driver, make compare). Fails if any of them failed.
check_chain() {
	local kernel=$1 tag=$2 crc=0 result
	result=$("$here/vmjob.sh" check "$kernel" "$tag" | tail -n 1) || crc=1
	[[ $result != *" skip "* ]] || return "$crc"
	# TESTS= naming a program runs that program alone, none of these.
	[[ -z $LAB_PROGRAMS ]] || return "$crc"
	if grep -q '^extras=gdb' "$here/kernels/$kernel" 2>/dev/null; then
		# make gdb's batch test: a breakpoint in cmisc_ioctl, hit by
		# cmisc-hello in the guest, with the module's symbols.
		follow_on gdb "$kernel" "$tag-gdb" "make gdb's test on $kernel" ||
			LAB_GDB_TEST=1 GDB_SCRIPT=$here/gdb/hello.gdb "$here/vmjob.sh" gdb "$kernel" "$tag-gdb" >/dev/null || crc=1
	fi
	if grep -q '^extras=upstream' "$here/kernels/$kernel" 2>/dev/null; then
		# The same suite against upstream's Rust driver on this kernel,
		# then both drivers call for call (make compare).
		follow_on upstream "$kernel" "$tag-upstream" "the suite on upstream's driver" ||
			"$here/vmjob.sh" upstream "$kernel" "$tag-upstream" >/dev/null || crc=1
		follow_on compare "$kernel" "$tag-compare" "make compare on $kernel" ||
			"$here/vmjob.sh" compare "$kernel" "$tag-compare" >/dev/null || crc=1
	fi
	return "$crc"
}

# check_records KERNEL TAG: the records check_chain writes, in order.
check_records() {
	local kernel=$1 tag=$2
	echo "$BUILD/results/kernels/${tag//\//-}.json"
	[[ -z $LAB_PROGRAMS ]] || return 0
	if grep -q '^extras=gdb' "$here/kernels/$kernel" 2>/dev/null; then
		echo "$BUILD/results/kernels/$tag-gdb.json"
	fi
	if grep -q '^extras=upstream' "$here/kernels/$kernel" 2>/dev/null; then
		echo "$BUILD/results/kernels/$tag-upstream.json" "$BUILD/results/kernels/$tag-compare.json"
	fi
}

# check_parallel KERNEL...: check_chain on LAB_JOBS kernels at a time
# (default: one per two cores). Kernels built from source start
# first, the longest step of a cold run. Each chain's output goes to its
# log and is shown whole when it ends; meanwhile a line every 30 s says
# what runs and its last line.
check_parallel() {
	local k first=() rest=() queue pid t0 last=$SECONDS crc
	local -A running=() started=()
	# Built kernels first, the longest build (its stated estimate) first.
	mapfile -t first < <(for k in "$@"; do
		kernel_vars "$k"
		[[ $get != build ]] || echo "${estimate:-0} $k"
	done | sort -rn | cut -d' ' -f2)
	for k in "$@"; do
		grep -q '^get=build' "$here/kernels/$k" 2>/dev/null || rest+=("$k")
	done
	queue=("${first[@]}" "${rest[@]}")
	mkdir -p "$BUILD/chains"
	log "check: ${#queue[@]} kernels, ${LAB_JOBS:-$lab_jobs} at a time (LAB_JOBS=1: one after the other, live); each one's output is shown when it ends"
	while ((${#queue[@]} + ${#running[@]})); do
		while ((${#running[@]} < ${LAB_JOBS:-$lab_jobs} && ${#queue[@]})); do
			k=${queue[0]}
			queue=("${queue[@]:1}")
			check_chain "$k" "$k" >"$BUILD/chains/$k.log" 2>&1 &
			running[$k]=$! started[$k]=$SECONDS
			chain_pids+=("$!")
			log "check: $k started"
		done
		sleep 1
		for k in "${!running[@]}"; do
			pid=${running[$k]}
			kill -0 "$pid" 2>/dev/null && continue
			crc=0
			wait "$pid" || crc=$?
			unset "running[$k]"
			((crc == 0)) || rc=1
			log "check: ----- $k, after $((SECONDS - started[$k])) s (exit $crc); its output: -----"
			cat "$BUILD/chains/$k.log" >&2
			log "check: ----- end of $k's output -----"
		done
		if ((SECONDS - last >= 30 && ${#running[@]})); then
			last=$SECONDS
			for k in "${!running[@]}"; do
				t0=$(tr '\r' '\n' <"$BUILD/chains/$k.log" | grep -v '^\s*$' | tail -n 1 | cut -c1-100) || true
				log "check: $k running for $((SECONDS - started[$k])) s: ${t0:-(no output yet)}"
			done
		fi
	done
}

# How many kernels make check runs at once: one per two cores (a TCG guest
# has two vCPUs; two guests on two cores measured slower than one after
# the other here: debug's VM took 533 s beside kcsan's, 290 s alone).
lab_jobs=$(($(nproc) / 2))
((lab_jobs >= 1)) || lab_jobs=1
rc=0 records=() bench_files=() rows=0 met=0 missed=0 sequential=$(kernels)
if [[ $job == check && ${ROOTFS:-busybox} == busybox && ${LAB_JOBS:-$lab_jobs} -gt 1 && $(kernels | wc -w) -gt 1 ]]; then
	for kernel in $(kernels); do
		mapfile -t -O "${#records[@]}" records < <(check_records "$kernel" "$kernel" | tr ' ' '\n')
	done
	# shellcheck disable=SC2046 # one kernel name per word
	check_parallel $(kernels)
	sequential=''
fi
for kernel in $sequential; do
	tag=$kernel
	[[ ${ROOTFS:-busybox} == debian ]] && tag=debian
	if [[ $job == shell || $job == gdb ]]; then
		"$here/vmjob.sh" "$job" "$kernel" || rc=1
		continue
	fi
	if [[ $job == check ]]; then
		mapfile -t -O "${#records[@]}" records < <(check_records "$kernel" "$tag" | tr ' ' '\n')
		check_chain "$kernel" "$tag" || rc=1
		continue
	fi
	records+=("$BUILD/results/kernels/${tag//\//-}.json")
	result=$("$here/vmjob.sh" "$job" "$kernel" "$tag" | tail -n 1) || rc=1
	read -r _ _ p f _ <<<"$result"
	[[ ${p:-} != skip ]] || continue
	[[ -n ${f:-} ]] || p=0 f=1
	case $job in
	compare) ;;
	run)
		if ((f == 0)) && ((rc == 0)); then
			log "run: every tutorial step passed on $kernel"
		else
			log "run: FAILED on $kernel (see $BUILD/$tag/logs)"
			rc=1
		fi
		;;
	bench)
		bench_json "$tag" "$kernel" || rc=1
		if grep -q '^extras=upstream' "$here/kernels/$kernel" 2>/dev/null; then
			# The same bench against upstream's Rust driver on this kernel.
			BENCH_DRIVER=upstream "$here/vmjob.sh" bench "$kernel" "$tag-upstream" >/dev/null || rc=1
			bench_json "$tag-upstream" "$kernel-upstream" || rc=1
		fi
		;;
	esac
done

if [[ $job == bench ]]; then
	if ((${#bench_files[@]})); then
		"$TOP_DIR/bench/table.sh" "${bench_files[@]}" >"$BUILD/bench/table.md" &&
			log "bench: table in $BUILD/bench/table.md"
		"$TOP_DIR/bench/plot.sh" "$BUILD/bench/per-byte.png" "${bench_files[@]}" &&
			log "bench: plot in $BUILD/bench/per-byte.png"
		cat "$BUILD/bench/table.md"
	fi
	echo "bench: $rows rows, $met targets met, $missed missed"
fi
if [[ $job == check || $job == compare ]]; then
	# Every kernel's record, in order, whatever became of its job: the
	# matrix, results.json, junit.xml and the totals.
	warnings=()
	if [[ -r $BUILD/results/warnings ]]; then
		mapfile -t lines <"$BUILD/results/warnings"
		for w in "${lines[@]}"; do
			warnings+=(--warning "$w")
		done
	fi
	"$here/verdict.py" report "$BUILD/results" "${records[@]}" "${warnings[@]}" || rc=1
fi
exit "$rc"
