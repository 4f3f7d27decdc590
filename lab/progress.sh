#!/usr/bin/env bash
# Run a long command with its output in a log file, and show that it is
# alive: on a terminal, one line updated in place; otherwise (CI, a pipe) a
# plain line every 30 s, never a carriage return. When the command fails,
# the last 40 lines of its log are shown.
#
# usage: lab/progress.sh LABEL LOG TOTAL STATS -- CMD...
#   LABEL  what runs ("rust kernel: building")
#   LOG    where the command's stdout and stderr go
#   TOTAL  the expected count of steps (kbuild's "  CC  file.o" lines and
#          their kin in LOG), or "" when unknown
#   STATS  a file to record "STEPS SECONDS" in when the command succeeds, so
#          the next run of the same build knows its total ("" for none)
# Exits with the command's status. PROGRESS_EVERY (seconds, default 30) is
# the interval of the plain lines. PROGRESS_LIMIT (seconds, default 10800)
# is a hard limit: a command that outlives it is stopped and fails, so that
# a hung download or build cannot hang the host's run forever.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

if (($# < 6)) || [[ $5 != -- ]]; then
	die "usage: lab/progress.sh LABEL LOG TOTAL STATS -- CMD..."
fi
label=$1 logfile=$2 total=$3 stats=$4
shift 5
mkdir -p "$(dirname "$logfile")"
: >"$logfile"

# kbuild's short lines ("  CC [M]  drivers/x.o", "  LD      vmlinux") are its
# steps; other tools' output only proves it is alive.
steps() { grep -c -E '^  [A-Z][A-Z0-9_]+ ' "$logfile" || true; }

hms() {
	local s=$1
	if ((s >= 3600)); then
		printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
	elif ((s >= 60)); then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

line() {
	local n elapsed=$((SECONDS - start)) text
	n=$(steps)
	if [[ -n $total ]] && ((total > 0)); then
		local pct=$((n * 100 / total)) left=unknown
		((pct <= 99)) || pct=99
		if ((n > 0)); then
			left=$(((total - n) * elapsed / n))
			((left >= 0)) || left=0
			left="about $(hms "$left")"
		fi
		text="$label: $n/$total steps, $pct%, $(hms "$elapsed") elapsed, $left left"
	elif ((n > 0)); then
		text="$label: $n steps, $(hms "$elapsed") elapsed, time left unknown"
	else
		text="$label: $(hms "$elapsed") elapsed, $(wc -l <"$logfile") lines logged, time left unknown"
	fi
	printf '%s' "$text"
}

start=$SECONDS limit=${PROGRESS_LIMIT:-10800}
"$@" >"$logfile" 2>&1 &
pid=$!
# The watchdog: the command and everything it started, after the limit.
(
	sleep "$limit"
	kill -0 "$pid" 2>/dev/null || exit 0
	echo "(lab/progress.sh: stopped after its limit of $limit s)" >>"$logfile"
	pkill -TERM -P "$pid" || true
	kill -TERM "$pid" || true
) >/dev/null 2>&1 &
watchdog=$!
disown "$watchdog"
if [[ -t 2 ]]; then
	while kill -0 "$pid" 2>/dev/null; do
		printf '\r\033[K[lab] %s' "$(line)" >&2
		sleep 1
	done
	printf '\r\033[K' >&2
else
	last=$SECONDS every=${PROGRESS_EVERY:-30}
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if ((SECONDS - last >= every)); then
			printf '[lab] %s\n' "$(line)" >&2
			last=$SECONDS
		fi
	done
fi
rc=0
wait "$pid" || rc=$?
# The watchdog's sleep too: it holds every file the caller had open (a
# cache entry's lock, lab/cache.sh) until it ends.
pkill -P "$watchdog" 2>/dev/null || true
kill "$watchdog" 2>/dev/null || true
if ((rc != 0)); then
	printf '[lab] %s: failed (exit %d) after %s; the last lines of %s:\n' \
		"$label" "$rc" "$(hms $((SECONDS - start)))" "$logfile" >&2
	tail -n 40 "$logfile" | sed 's/^/  | /' >&2
	exit "$rc"
fi
printf '[lab] %s: done in %s (log: %s)\n' "$label" "$(hms $((SECONDS - start)))" "$logfile" >&2
if [[ -n $stats ]]; then
	mkdir -p "$(dirname "$stats")"
	echo "$(steps) $((SECONDS - start))" >"$stats.tmp" && mv "$stats.tmp" "$stats"
fi
