# shellcheck shell=bash
# Helpers shared by the lab scripts. Sourced, never run.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$LAB_DIR/.." && pwd)
BUILD=${BUILD:-$TOP_DIR/build}
export LAB_DIR TOP_DIR BUILD

log() { printf '[lab] %s\n' "$*" >&2; }
warn() { printf '[lab] warning: %s\n' "$*" >&2; }
die() {
	printf '[lab] error: %s\n' "$*" >&2
	exit 1
}

# Run a command with a root prefix when we are not root.
as_root() {
	if ((EUID == 0)); then
		"$@"
	else
		sudo -n "$@"
	fi
}
