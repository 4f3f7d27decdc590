#!/usr/bin/env bash
# `make lint`: every static check, failing on any finding.
#   checkpatch.pl --strict (from Debian's linux-source, never copied here)
#   sparse (make C=1) and W=1 on the modules, with -Werror
#   ShellCheck over every shell script
#   the CI files: current with lab/kernels/, and valid (lab/ci-lint.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

"$here/setup.sh"
status=0

cp_dir=$BUILD/checkpatch
if [[ ! -x $cp_dir/checkpatch.pl ]]; then
	mkdir -p "$cp_dir"
	tar -C "$cp_dir" --strip-components=2 -xJf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi
checkpatch() {
	(cd "$TOP_DIR" && "$cp_dir/checkpatch.pl" --no-tree --strict --quiet --show-types "$@")
}
mapfile -t kernel_c < <(cd "$TOP_DIR" && git ls-files 'driver/*.[ch]' 'tutorial/*.[ch]' include/uapi)
log "lint: checkpatch --strict on ${#kernel_c[@]} files"
for f in "${kernel_c[@]}"; do
	if [[ $f == driver/cmisc_compat.h ]]; then
		# The one place allowed to test LINUX_VERSION_CODE: out-of-tree code
		# must build on several kernels, which upstream code never does.
		checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "$f" || status=1
	else
		checkpatch -f "$f" || status=1
	fi
done

log "lint: sparse (C=1) and W=1 against Debian's headers"
out=$BUILD/lint
rm -rf "$out"
mkdir -p "$out"
cp -r "$TOP_DIR/driver" "$TOP_DIR/include" "$TOP_DIR/VERSION" "$out/"
cp -r "$TOP_DIR/tutorial" "$out/"
kdir=$("$here/default-kdir.sh")
for d in "$out"/driver "$out"/tutorial/*/; do
	if ! make -s -C "$d" KDIR="$kdir" C=1 W=1 KCFLAGS=-Werror >"$out/build.log" 2>&1; then
		cat "$out/build.log"
		status=1
	elif grep -E 'warning|error' "$out/build.log" | grep -v 'Skipping BTF'; then
		status=1
	fi
done

log "lint: shellcheck"
(cd "$TOP_DIR" && shellcheck -x .ci/run lab/*.sh lab/guest/init lab/guest/*.sh lab/guest/*/*.sh bench/*.sh) || status=1

log "lint: the CI files (lab/ci-lint.sh)"
"$here/ci-lint.sh" || status=1

if ((status == 0)); then
	log "lint: clean"
else
	log "lint: FAILED"
fi
exit "$status"
