#!/usr/bin/env bash
# shellcheck disable=SC2016 # the substitutions are perl, not shell
# `make detectors`: proof that the debug kernel's detectors work. Each case
# below breaks a copy of the driver on purpose, runs one test with it on
# the debug kernel (lab/vmjob.sh), and is "ok" only if that run FAILS with
# the expected report. Prints TAP and "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

passed=0 failed=0 n=0

# detector NAME FILE PERL-SUBSTITUTION TESTS EXPECTED-REPORT
# (DETECTORS=pattern runs only the cases whose name matches.)
detector() {
	local name=$1 file=$2 subst=$3 tests=$4 expect=$5
	local tree=$BUILD/detectors/$name/tree logdir=$BUILD/detectors/$name/logs found verdict=0

	# shellcheck disable=SC2053 # a glob, on purpose
	[[ -z ${DETECTORS:-} || $name == ${DETECTORS} ]] || return 0
	n=$((n + 1))
	rm -rf "$tree"
	mkdir -p "$tree"
	cp -r "$TOP_DIR/driver" "$TOP_DIR/include" "$TOP_DIR/VERSION" "$TOP_DIR/tutorial" "$tree/"
	perl -0pi -e "$subst" "$tree/$file"
	if cmp -s "$tree/$file" "$TOP_DIR/$file"; then
		echo "not ok $n detector.$name # the bug did not apply to $file"
		failed=$((failed + 1))
		return
	fi
	TESTS=$tests TIMEOUT=600 "$here/vmjob.sh" check debug "detectors/$name" "$tree" >/dev/null || verdict=$?
	found=$(cat "$logdir"/console.log "$logdir"/dmesg.log "$logdir"/results.log 2>/dev/null |
		tr -d '\r' | grep -m 1 -E "$expect" || true)
	if ((verdict == 0)); then
		echo "not ok $n detector.$name # the buggy build passed"
		failed=$((failed + 1))
	elif [[ -z $found ]]; then
		echo "not ok $n detector.$name # failed, but without '$expect'"
		failed=$((failed + 1))
	else
		echo "ok $n detector.$name # reported: $found"
		passed=$((passed + 1))
	fi
}

detector kasan-out-of-bounds-read driver/cmisc_main.c \
	's/(\t\tret = copy_to_iter\()/\t\tret = READ_ONCE(((u8 *)cf->data.bytes)[cf->data.len]);\n$1/' \
	'rw_test.dev.write_then_read_returns_the_bytes' \
	'BUG: KASAN: slab-out-of-bounds'

# A buffer past the largest kmalloc() comes from vmalloc(): make every
# buffer a vmalloc'ed one and over-read it by a byte. KASAN_VMALLOC must
# see it (without it, this read would land in unchecked memory).
detector kasan-vmalloc-over-read driver/cmisc_core.c \
	's/(\tnext->bytes = )kvmalloc\(len, [^;]*\);\n/$1vmalloc(len);\n\tif (next->bytes)\n\t\t(void)READ_ONCE(((u8 *)next->bytes)[len]);\n/; s/(#include <linux\/slab.h>\n)/$1#include <linux\/vmalloc.h>\n/' \
	'limits_test.limits.empty_buffer_holds_nothing' \
	'BUG: KASAN: vmalloc-out-of-bounds'

# The same over-read done by copy_to_iter() is stopped earlier, by
# HARDENED_USERCOPY's object-size check.
detector usercopy-over-read driver/cmisc_main.c \
	's/(n = min_t\(size_t, want, cf->data\.len) - pos\);/$1 + 64 - pos);/' \
	'rw_test.dev.write_then_read_returns_the_bytes' \
	'usercopy: Kernel memory exposure attempt'

detector kmemleak-leaked-buffer driver/cmisc_main.c \
	's/\tcmisc_data_free\(&cf->data\);\n//' \
	'rw_test.dev.write_then_read_returns_the_bytes' \
	'not ok 1 kmemleak.no_leaks_from_cmisc'

detector lockdep-missing-unlock driver/cmisc_main.c \
	's/(pos = vfs_setpos\(file, pos, cf->data\.len\);\n)\tmutex_unlock\(&cf->lock\);\n/$1/' \
	'rw_test.dev.lseek_set_cur_end' \
	'lock held when returning to user space'

detector failnth-missing-error-check driver/cmisc_core.c \
	's/\tif \(!next->bytes\) \{\n.*?\n\t\}\n//s' \
	'failnth.global.write_small_under_fault_injection' \
	'usercopy: Kernel memory overwrite attempt|BUG: kernel NULL pointer|error -14'

echo "$passed passed, $failed failed"
((failed == 0))
