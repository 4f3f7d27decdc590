#!/bin/sh
# shellcheck shell=dash
# The tutorial's tasks 7 to 11 (docs/tutorial.md), replayed in the guest on
# the modules of tutorial/NN-*/, which the lab packs as
# /lib/modules/tutorial/NN-*/hello.ko.
#
#   tutorial.sh N      replay task N as the tutorial types it (make run
#                      STEP=N): each command, what it printed and what the
#                      kernel logged meanwhile. The first output that is not
#                      the tutorial's stops the replay, named; exit 1.
#   tutorial.sh --tap  every stage, as kselftest TAP with one result per
#                      stage (make check runs it as /lab/tests/tutorial_test).
#                      CMISC_TESTS picks stages by their full name,
#                      tutorial_test.stage-N.NAME, as it picks the other
#                      tests. The stages register the node that cmisc has,
#                      so the module under test ($CMISC_MODULE, default
#                      cmisc) is unloaded first and $CMISC_KO loaded again
#                      at the end.
DEV=/dev/rust-misc-device
MODS=/lib/modules/tutorial
TAP='' MARK='' OUT='' NEW='' RC=0 CMD='' WHY=''

# say TEXT: show a line of the replay (a TAP comment in TAP mode).
say() {
	if [ -n "$TAP" ]; then
		printf '%s\n' "$*" | sed 's/^/# /'
	else
		printf '%s\n' "$*"
	fi
}

# mark NAME: write a line of our own into the kernel log; a stage's kernel
# messages are those after it (found by position, not by counting the
# ring's lines). /dev/kmsg drops writes beyond a burst of 10 in 5 s, so
# check that it arrived.
mark() {
	MARK="lab-tutorial-$$-$1"
	for _ in 1 2 3 4 5 6 7; do
		echo "<7>$MARK" >/dev/kmsg
		dmesg | grep -q "$MARK\$" && return 0
		sleep 1
	done
	WHY="could not mark the kernel log"
	return 1
}

# since_mark: the kernel's lines since the mark, without timestamps.
since_mark() {
	dmesg | sed -n "/$MARK\$/,\$p" | sed '1d; s/^\[[ 0-9.]*\] //'
}

# run CMDLINE: run a command line as the tutorial types it, in the stage's
# directory. Its output (stdout and stderr) goes to OUT, its status to RC
# and the kernel lines it caused to NEW; all three are shown.
run() {
	CMD=$1
	seen=$(since_mark | wc -l)
	say "\$ $CMD"
	OUT=$(sh -c "$CMD" 2>&1)
	RC=$?
	NEW=$(since_mark | tail -n +$((seen + 1)))
	[ -z "$OUT" ] || say "$OUT"
	[ "$RC" -eq 0 ] || say "(exit status $RC)"
	[ -z "$NEW" ] || say "$(printf '%s\n' "$NEW" | sed 's/^/  dmesg: /')"
}

# The checks of the last command: each names it and the difference.
differ() {
	WHY="'$CMD' $*"
	return 1
}
want_rc() {
	[ "$RC" -eq "$1" ] || differ "exited with status $RC, not $1"
}
want_out() {
	[ "$OUT" = "$1" ] || differ "printed '$OUT', not '$1'"
}
want_line() {
	printf '%s\n' "$OUT" | grep -qxF -- "$1" || differ "printed no line '$1'"
}
want_log() {
	printf '%s\n' "$NEW" | grep -qxF -- "$1" || differ "logged no line '$1'"
}
# want_node: ls -l shows a character device of root's, mode 0600, major 10.
want_node() {
	# shellcheck disable=SC2086 # split ls -l into its fields
	set -- $OUT
	[ "$1 $3 $4 $5" = "crw------- root root 10," ] ||
		differ "shows '$1 $3 $4 $5', not 'crw------- root root 10,'"
}

# load [misc] and unload [misc]: insmod and rmmod with their messages (and
# the misc device's node, from task 8 on).
load() {
	run 'insmod hello.ko'
	want_rc 0 || return 1
	want_log 'hello: C minimal sample (init)' || return 1
	[ "${1:-}" = misc ] || return 0
	want_log 'hello: Initialising C misc device sample' || return 1
	run "ls -l $DEV"
	want_rc 0 || return 1
	want_node
}
unload() {
	run 'rmmod hello'
	want_rc 0 || return 1
	want_log 'hello: My numbers are [72, 108, 200]' || return 1
	want_log 'hello: C minimal sample (exit)' || return 1
	[ "${1:-}" = misc ] || return 0
	run "ls -l $DEV"
	want_rc 1 || return 1
	want_out "ls: $DEV: No such file or directory"
}

# Task 7: a module that logs on load and on unload.
stage_7() {
	load || return 1
	unload
}

# Task 8: the misc device; opening it still fails, with ENOTTY.
stage_8() {
	load misc || return 1
	run "cat $DEV"
	want_rc 1 || return 1
	want_out "cat: can't open '$DEV': Inappropriate ioctl for device" || return 1
	unload misc
}

# Task 9: open succeeds and logs the opener's uid; there is no read yet.
stage_9() {
	load misc || return 1
	run "cat $DEV"
	want_rc 1 || return 1
	want_out 'cat: read error: Invalid argument' || return 1
	want_log 'hello: Opening C misc device sample (uid = 0)' || return 1
	unload misc
}

# Task 10: the HELLO ioctl answers 100; any other command is ENOTTY.
stage_10() {
	load misc || return 1
	run cmisc-hello
	want_rc 0 || return 1
	want_out 'ioctl returned 100' || return 1
	want_log 'hello: Opening C misc device sample (uid = 0)' || return 1
	want_log 'hello: IOCTLing C misc device sample' || return 1
	want_log 'hello: -> hello received (size 0, arg 0)' || return 1
	# GET_VALUE is task 11's: stage 10 answers ENOTTY, cmiscctl's exit 5.
	run 'cmiscctl get'
	want_rc 5 || return 1
	want_out "cmiscctl: get: $DEV: driver does not support this command (wrong driver or version?)" || return 1
	unload misc
}

# Task 11: GET_VALUE and SET_VALUE, write and read, per open file.
stage_11() {
	load misc || return 1
	run "printf 'get\\nset 42\\nget\\n' | cmiscctl session"
	want_rc 0 || return 1
	want_out "$(printf '0\n42')" || return 1
	run "cmiscctl write 'Hello from C' --then-read"
	want_rc 0 || return 1
	want_out 'Hello from C' || return 1
	run "exec 3<>$DEV; echo 'Hello, fd 3' >&3; cat <&3"
	want_rc 0 || return 1
	want_out 'Hello, fd 3' || return 1
	run "cat $DEV"
	want_rc 0 || return 1
	want_out '' || return 1
	run "dd if=/dev/zero of=$DEV bs=4097 count=1"
	want_rc 1 || return 1
	want_line "dd: error writing '$DEV': File too large" || return 1
	run rust-misc-client
	want_rc 0 || return 1
	want_line Success || return 1
	unload misc
}

# stage_number DIR and stage_name DIR: 9 and stage-9.open for .../09-open.
stage_number() {
	n=${1##*/}
	n=${n%%-*}
	echo "${n#0}"
}
stage_name() {
	echo "stage-$(stage_number "$1").${1##*/[0-9][0-9]-}"
}

# replay DIR: one stage, from its module's directory. Whatever happens, it
# leaves its module unloaded.
replay() {
	n=$(stage_number "$1")
	rmmod hello 2>/dev/null
	cd "$1" || return 1
	mark "$n" || return 1
	say "\$ cd $1"
	WHY=''
	case $n in
	7) stage_7 ;;
	8) stage_8 ;;
	9) stage_9 ;;
	10) stage_10 ;;
	11) stage_11 ;;
	*)
		WHY="tutorial.sh has no replay of stage $n"
		false
		;;
	esac && return 0
	rmmod hello 2>/dev/null
	return 1
}

# wanted NAME: does CMISC_TESTS select NAME? A glob must match it whole; a
# plain pattern need only occur in it (as in tests/harness.h).
wanted() {
	case ${CMISC_TESTS:-} in
	'') return 0 ;;
	*'*'* | *'?'* | *'['*)
		# shellcheck disable=SC2254 # a glob, on purpose
		case $1 in $CMISC_TESTS) return 0 ;; esac
		;;
	*) case $1 in *"$CMISC_TESTS"*) return 0 ;; esac ;;
	esac
	return 1
}

tap_main() {
	TAP=1
	dirs=''
	for d in "$MODS"/[0-9][0-9]-*; do
		[ -e "$d/hello.ko" ] || continue
		wanted "tutorial_test.$(stage_name "$d")" && dirs="$dirs $d"
	done
	echo 'TAP version 13'
	if [ -z "$dirs" ]; then
		echo "1..0 # SKIP no tutorial stage in $MODS is selected by CMISC_TESTS='${CMISC_TESTS:-}'"
		exit 0
	fi
	# shellcheck disable=SC2086 # one word per stage
	set -- $dirs
	echo "1..$#"
	module=${CMISC_MODULE:-cmisc} reload='' i=0 rc=0
	if grep -qs "^$module " /proc/modules; then
		if ! out=$(rmmod "$module" 2>&1); then
			say "$out"
			say "the stages need $DEV, and $module could not be unloaded"
			for d; do
				i=$((i + 1))
				echo "not ok $i $(stage_name "$d")"
			done
			exit 1
		fi
		reload=1
	fi
	for d; do
		i=$((i + 1))
		name=$(stage_name "$d")
		if replay "$d"; then
			echo "ok $i $name"
		else
			say "$WHY"
			echo "not ok $i $name"
			rc=1
		fi
	done
	if [ -n "$reload" ] && ! out=$(insmod "$CMISC_KO" 2>&1); then
		say "$out"
		say "could not load $CMISC_KO again"
		rc=1
	fi
	exit $rc
}

learner_main() {
	for d in "$MODS"/[0-9][0-9]-*; do
		[ "$(stage_number "$d")" = "${1#0}" ] || continue
		printf '\n=== Task %s: tutorial/%s/hello.c ===\n' "$1" "${d##*/}"
		if replay "$d"; then
			printf '\nTask %s replayed: every output was the tutorial'"'"'s.\n' "$1"
			exit 0
		fi
		printf '\nFAILED at task %s: %s\n' "$1" "$WHY"
		exit 1
	done
	echo "tutorial: no stage $1 in $MODS"
	exit 2
}

case ${1:-} in
--tap) tap_main ;;
[0-9]*) learner_main "$1" ;;
*)
	echo "usage: tutorial.sh N | --tap"
	exit 2
	;;
esac
