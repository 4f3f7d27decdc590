#!/usr/bin/env bash
# How fast the lab is, each figure next to its target (wall clock on this
# machine; the lab's own guests are judged elsewhere, this only times it).
#
# usage: bench/lab-speed.sh [loop] [loop-edit] [shell] [ci-cold] [ci-warm]
#          (default: loop loop-edit shell)
#   loop     make check TESTS=ioctl_test, warm, after touching
#            driver/cmisc_main.c: median of RUNS (default 5)      target 10 s
#   loop-edit  the same after changing its content (the module is
#            rebuilt; the lab keys it by content, so a touch alone is not)
#   shell    make shell until its prompt, warm: median of RUNS    target  5 s
#   ci-cold  .ci/run in a fresh clone of HEAD with an empty cache  target 35 min
#   ci-warm  .ci/run in another fresh clone, with the cache that
#            ci-cold (or an earlier run) left                      target 12 min
# The ci figures use CMISC_CACHE_DIR=${SPEED_CACHE:-$BUILD/speed-cache};
# ci-cold empties it first. Each line: WHAT  FIGURE  TARGET  met|MISSED.
# Exits 1 if a target is missed or a run fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$top/build}
runs=${RUNS:-5}
speed_cache=${SPEED_CACHE:-$BUILD/speed-cache}
missed=0
results=()

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# verdict WHAT FIGURE TARGET UNIT
verdict() {
	local what=$1 fig=$2 target=$3 unit=$4 ok=met
	awk -v f="$fig" -v t="$target" 'BEGIN { exit !(f <= t) }' || { ok=MISSED; missed=1; }
	results+=("$(printf '%-58s %8s %-3s  target %5s %-3s  %s' "$what" "$fig" "$unit" "$target" "$unit" "$ok")")
	echo "speed: ${results[-1]}"
}

# loop touch|edit: the edit loop, RUNS times after touching the driver's
# main file, or after changing its content (a comment of its own each
# time, so that the module really is rebuilt; the file is put back after).
loop() {
	local how=$1 i t times=() main=$top/driver/cmisc_main.c
	echo "speed: warming up (make check TESTS=ioctl_test once)"
	make -s -C "$top" check TESTS=ioctl_test >"$BUILD/speed-loop.log" 2>&1 ||
		{ tail -n 30 "$BUILD/speed-loop.log"; echo "speed: the warm-up run failed"; exit 1; }
	cp -p "$main" "$BUILD/speed-main.c"
	trap 'cp -p "$BUILD/speed-main.c" "$main"' EXIT
	for ((i = 1; i <= runs; i++)); do
		if [[ $how == edit ]]; then
			cp -p "$BUILD/speed-main.c" "$main"
			printf '/* lab-speed: edit %s */\n' "$(date +%s.%N)" >>"$main"
		fi
		touch "$main"
		t=$(now)
		make -s -C "$top" check TESTS=ioctl_test >"$BUILD/speed-loop.log" 2>&1 ||
			{ tail -n 30 "$BUILD/speed-loop.log"; echo "speed: run $i failed"; exit 1; }
		times+=("$(since "$t")")
		echo "speed: loop ($how) run $i: ${times[-1]} s ($(tail -n 1 "$BUILD/speed-loop.log"))"
	done
	cp -p "$BUILD/speed-main.c" "$main"
	trap - EXIT
	if [[ $how == edit ]]; then
		verdict "make check TESTS=ioctl_test after an edit of the driver" \
			"$(printf '%s\n' "${times[@]}" | median)" 10 s
	else
		verdict "make check TESTS=ioctl_test after touching the driver" \
			"$(printf '%s\n' "${times[@]}" | median)" 10 s
	fi
}

# One make shell, timed until its prompt; then poweroff.
shell_once() {
	python3 - "$top" <<'PY'
import os, pty, sys, time, select
top = sys.argv[1]
t0 = time.monotonic()
pid, fd = pty.fork()
if pid == 0:
    os.chdir(top)
    os.execvp('make', ['make', '-s', 'shell'])
buf = b''
deadline = t0 + 600
prompt = None
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if not r:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    buf += data
    if prompt is None and b'cmisc-lab:' in buf.split(b'Leave with', 1)[-1]:
        prompt = time.monotonic() - t0
        os.write(fd, b'poweroff\n')
os.waitpid(pid, 0)
if prompt is None:
    sys.stderr.write(buf.decode('utf-8', 'replace')[-3000:])
    sys.exit(1)
print('%.1f' % prompt)
PY
}

shell() {
	local i t times=()
	shell_once >/dev/null || { echo "speed: make shell never showed its prompt"; exit 1; }
	for ((i = 1; i <= runs; i++)); do
		t=$(shell_once) || { echo "speed: make shell never showed its prompt"; exit 1; }
		times+=("$t")
		echo "speed: shell run $i: $t s to the prompt"
	done
	verdict "make shell to its prompt" "$(printf '%s\n' "${times[@]}" | median)" 5 s
}

# ci NAME: .ci/run in a fresh clone of HEAD, with the speed cache.
ci() {
	local name=$1 clone=$BUILD/speed-$1 t rc=0
	rm -rf --one-file-system "$clone"
	git clone -q "$top" "$clone"
	t=$(now)
	(cd "$clone" && CMISC_CACHE_DIR=$speed_cache .ci/run) >"$BUILD/speed-$name.log" 2>&1 || rc=$?
	t=$(since "$t")
	grep -E '^ci: |passed, .* failed' "$BUILD/speed-$name.log" | sed 's/^/speed:   /'
	if ((rc != 0)); then
		echo "speed: .ci/run ($name) failed (exit $rc; log: $BUILD/speed-$name.log)"
		missed=1
	fi
	rm -rf --one-file-system "$clone"
	verdict ".ci/run, $name" "$(awk -v s="$t" 'BEGIN { printf "%.1f", s / 60 }')" "$2" min
}

(($#)) || set -- loop loop-edit shell
for what in "$@"; do
	case $what in
	loop) loop touch ;;
	loop-edit) loop edit ;;
	shell) shell ;;
	ci-cold)
		# lab/cache.sh's cache_clean: unmounts first, never crosses a mount.
		CMISC_CACHE_DIR=$speed_cache "$top/lab/lab.sh" clean-cache
		ci cold 35
		;;
	ci-warm) ci warm 12 ;;
	*)
		echo "usage: bench/lab-speed.sh [loop] [loop-edit] [shell] [ci-cold] [ci-warm]" >&2
		exit 2
		;;
	esac
done
echo
printf '%s\n' "${results[@]}"
exit "$missed"
