# shellcheck shell=dash
# Sourced by the guest's test runners (check.sh, debian-check.sh): run one
# TAP program and carry its output, unchanged and framed, to the host.
#
# On the results channel ($LAB_RESULTS) every program is one section:
#
#   lab-program-begin NAME UPTIME
#   |UPTIME|a line the program printed (stdout and stderr, as printed)
#   ...
#   lab-program-end NAME status=N timeout=0|1 secs=S
#
# Each of the program's lines gets the "|UPTIME|" prefix, so nothing a
# program prints can pass for a frame line. The host (lab/verdict.py)
# parses each section as KTAP and holds it against its plan, its exit
# status and the list of programs the kernel must run; what the console
# shows is for people only.
#
# The caller sets lab_count (how many programs it will run) and opens fd 3
# on the results channel; tap_run closes 3 for the programs it starts.

lab_index=0
: "${lab_count:=?}"

# tap_stamp: copy stdin to the results channel with uptime prefixes, to the
# console as is, and to /tmp/lab.out for the console's summary.
tap_stamp() {
	while IFS= read -r line || [ -n "$line" ]; do
		read -r up _ </proc/uptime
		printf '|%s|%s\n' "$up" "$line" >&3
		printf '%s\n' "$line"
		printf '%s\n' "$line" >>/tmp/lab.out
	done
}

# tap_kill_session SID: kill every process of session SID. The kselftest
# harness puts each test child in a process group of its own (setpgrp), so
# killing the program's group would leave them running.
tap_kill_session() {
	sid=$1
	for p in /proc/[0-9]*; do
		s=$(cat "$p/stat" 2>/dev/null) || continue
		# The fields after "(command) ": state, ppid, pgrp, session.
		# shellcheck disable=SC2086 # split into those fields
		set -- ${s##*) }
		[ "${4:-}" = "$sid" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	return 0
}

# tap_run NAME LIMIT CMD...: run CMD in a session of its own under a
# watchdog that kills the whole session after LIMIT seconds. Sets tap_status
# (the exit status; 128+N for a signal) and returns non-zero on a failure
# the console can see (the host decides what counts).
tap_run() {
	name=$1 limit=$2
	shift 2
	lab_index=$((lab_index + 1))
	echo "[$lab_index/$lab_count] $name"
	read -r t0 _ </proc/uptime
	echo "lab-program-begin $name $t0" >&3
	rm -f /tmp/lab.fifo /tmp/timedout /tmp/lab.out
	mkfifo /tmp/lab.fifo
	tap_stamp </tmp/lab.fifo &
	stamper=$!
	setsid "$@" >/tmp/lab.fifo 2>&1 </dev/null 3>&- &
	pid=$!
	(
		sleep "$limit"
		touch /tmp/timedout
		tap_kill_session "$pid"
	) 3>&- &
	watchdog=$!
	wait "$pid"
	tap_status=$?
	kill "$watchdog" 2>/dev/null
	# What the program left behind in its session would hold the fifo open.
	tap_kill_session "$pid"
	wait "$stamper"
	read -r t1 _ </proc/uptime
	timedout=0
	[ -e /tmp/timedout ] && timedout=1
	secs=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
	echo "lab-program-end $name status=$tap_status timeout=$timedout secs=$secs" >&3
	p=$(grep -c '^ok [0-9]* [^#]*$' /tmp/lab.out)
	s=$(grep -c '^ok [0-9]* .*# SKIP' /tmp/lab.out)
	f=$(grep -c '^not ok ' /tmp/lab.out)
	what="exit $tap_status"
	[ "$timedout" = 1 ] && what="TIMEOUT after ${limit}s"
	echo "[$lab_index/$lab_count] $name: $p ok, $f not ok, $s skipped, $what, ${secs}s"
	[ "$timedout" = 0 ] && [ "$tap_status" = 0 ]
}
