# shellcheck shell=bash
# shellcheck disable=SC2016 # the substitutions are perl, not shell
# Proof that the debug kernel's detectors work: each case below breaks a
# copy of the driver on purpose, boots the debug kernel with it, runs one
# test, and is "ok" only if that run FAILS with the expected report.
# Sourced by lab/lab.sh for `make detectors`; uses its prepare, phase,
# passed and failed.

# detector NAME FILE PERL-SUBSTITUTION TESTS EXPECTED-REPORT
detector() {
	local name=$1 file=$2 subst=$3 tests=$4 expect=$5
	local tree=$BUILD/detectors/$name/tree logdir=$BUILD/detectors/$name/logs found status=0

	rm -rf "$tree"
	mkdir -p "$tree/examples"
	cp -r "$TOP_DIR/driver" "$TOP_DIR/include" "$TOP_DIR/VERSION" "$tree/"
	cp -r "$TOP_DIR/examples/hello" "$tree/examples/"
	perl -0pi -e "$subst" "$tree/$file"
	if cmp -s "$tree/$file" "$TOP_DIR/$file"; then
		echo "not ok $((passed + failed + 1)) detector.$name # the bug did not apply to $file"
		failed=$((failed + 1))
		return
	fi
	prepare debug "detectors/$name" "$tree"
	LAB_APPEND="lab_tests=$tests" phase "vm detector $name" \
		"$LAB_DIR/vm.sh" check "$KIMAGE" "$INITRD" "$logdir" 600 >/dev/null || status=$?
	found=$(cat "$logdir"/console.log "$logdir"/dmesg.log "$logdir"/results.log 2>/dev/null |
		tr -d '\r' | grep -m 1 -E "$expect" || true)
	if "$LAB_DIR/verdict.sh" "$logdir" "$status" "detector $name" >/dev/null 2>&1; then
		echo "not ok $((passed + failed + 1)) detector.$name # the buggy build passed"
		failed=$((failed + 1))
	elif [[ -z $found ]]; then
		echo "not ok $((passed + failed + 1)) detector.$name # failed, but without '$expect'"
		failed=$((failed + 1))
	else
		echo "ok $((passed + failed + 1)) detector.$name # reported: $found"
		passed=$((passed + 1))
	fi
}

detector kasan-out-of-bounds-read driver/cmisc_main.c \
	's/(\tret = simple_read_from_buffer)/\tif (cf->data.len)\n\t\tret = READ_ONCE(((u8 *)cf->data.bytes)[cf->data.len]);\n$1/' \
	'rw_test.dev.write_then_read_returns_the_bytes' \
	'BUG: KASAN: slab-out-of-bounds'

# The same over-read done by copy_to_user() is stopped earlier, by
# HARDENED_USERCOPY's object-size check.
detector usercopy-over-read driver/cmisc_main.c \
	's/cf->data\.bytes,\n(\s*)cf->data\.len\);/cf->data.bytes,\n$1cf->data.len + 64);/' \
	'rw_test.dev.write_then_read_returns_the_bytes' \
	'usercopy: Kernel memory exposure attempt'

detector kmemleak-leaked-buffer driver/cmisc_main.c \
	's/\tcmisc_data_free\(&cf->cdev->limits, &cf->data\);\n//' \
	'rw_test.dev.write_then_read_returns_the_bytes' \
	'not ok 1 kmemleak.no_leaks_from_cmisc'

detector lockdep-missing-unlock driver/cmisc_main.c \
	's/(value = cf->value;\n)\tmutex_unlock\(&cf->lock\);\n/$1/' \
	'ioctl_test.dev.initial_value_is_zero' \
	'lock held when returning to user space'

detector failnth-missing-error-check driver/cmisc_core.c \
	's/\t\tif \(!bytes\) \{\n.*?\n\t\t\}\n//s' \
	'failnth.global.write_small_under_fault_injection' \
	'usercopy: Kernel memory overwrite attempt|BUG: kernel NULL pointer|error -14'
