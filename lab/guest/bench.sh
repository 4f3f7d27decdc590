#!/bin/sh
# shellcheck shell=dash
# `make bench` in the guest: load the module, run the benchmark, send the
# table and the JSON back on the results channel.
#
# The init exports CMISC_KO (cmisc's module, or upstream's when the driver
# is upstream), LAB_DRIVER (cmisc | upstream) and LAB_BENCH_CLOCK (icount |
# wall); the kernel command line's lab_driver= and lab_bench_clock= stand
# in for the last two if they are missing.
#
# With lab_bench_pressure=1 on the kernel command line (make bench
# BENCH_PRESSURE=1), the bench runs under memory pressure: bench/fragment
# holds almost all of the memory and leaves the free half of it in single
# pages, with no free block of 64 KiB or more where GFP_KERNEL allocations
# go; it runs in the background until the bench is done. The compaction
# and reclaim counters of /proc/vmstat (allocstall_*: direct reclaims,
# summed over the zones; pageoutrun: kswapd's runs) and /proc/buddyinfo,
# before and after the bench, follow the table, with or without pressure.
driver=${LAB_DRIVER:-${lab_driver:-cmisc}}
clock=${LAB_BENCH_CLOCK:-${lab_bench_clock:-wall}}
pressure=${lab_bench_pressure:-0}

# compaction: the kernel's compaction and reclaim counters, on one line.
compaction() {
	awk '/^compact_(stall|fail|success|daemon_wake) / { printf "%s %s ", $1, $2 }
		/^allocstall_/ { stalls += $2 }
		/^pageoutrun / { runs = $2 }
		END { printf "allocstall_* %d pageoutrun %d\n", stalls, runs }' /proc/vmstat
}

insmod "$CMISC_KO" || exit 1
echo "# kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs, driver $driver, clock $clock, pressure $pressure"

rm -f /tmp/pressure.txt
fragment_pid=
if [ "$pressure" = 1 ]; then
	# Only the bench's own allocations may compact: no proactive compaction
	# and no watermark boosting (which wakes kcompactd when an allocation
	# takes a block of another migrate type, as fragment's pipes do).
	echo 0 >/proc/sys/vm/compaction_proactiveness
	echo 0 >/proc/sys/vm/watermark_boost_factor
	# The lowest zone (DMA, 16 MiB) for its own allocations alone, as on any
	# machine of a few GiB, where its protection is larger than the zone:
	# in this 1 GiB guest its free blocks would serve the bench's 64 KiB.
	read -r _ ratios </proc/sys/vm/lowmem_reserve_ratio
	echo "1 $ratios" >/proc/sys/vm/lowmem_reserve_ratio
	/lab/bench/fragment >/tmp/fragment.txt 2>&1 &
	fragment_pid=$!
	until grep -qs '^fragment: ready' /tmp/fragment.txt; do
		if ! kill -0 "$fragment_pid" 2>/dev/null; then
			cat /tmp/fragment.txt
			echo "bench: fragment ended before it was ready"
			exit 1
		fi
		sleep 1
	done
	cat /tmp/fragment.txt >>/tmp/pressure.txt
fi
echo "# vmstat before the bench: $(compaction)" >>/tmp/pressure.txt
sed 's/^/# buddyinfo before the bench: /' /proc/buddyinfo >>/tmp/pressure.txt

# Keep the console quiet while measuring: upstream's driver logs a dev_info
# line on every call, and under icount any work the console does is
# counted. The messages still reach the kernel log.
printk=$(cat /proc/sys/kernel/printk)
echo 1 >/proc/sys/kernel/printk
rm -f /tmp/bench.txt /tmp/bench.json
# The bench prints nothing until it has measured everything, so nothing is
# lost by showing its table afterwards; and its status is its own, not tee's.
/lab/bench/cmisc_bench --clock "$clock" --driver "$driver" --json /tmp/bench.json >/tmp/bench.txt
rc=$?
echo "# vmstat after the bench: $(compaction)" >>/tmp/pressure.txt
sed 's/^/# buddyinfo after the bench: /' /proc/buddyinfo >>/tmp/pressure.txt
if [ -n "$fragment_pid" ]; then
	kill "$fragment_pid"
	wait "$fragment_pid" 2>/dev/null
fi
echo "$printk" >/proc/sys/kernel/printk
cat /tmp/bench.txt /tmp/pressure.txt

# Exit 0 even when targets are missed (the summary line says how many);
# 1 if a call failed, with whatever rows were measured sent all the same.
[ -s /tmp/bench.json ] || exit 1
{
	echo "lab-bench-begin"
	cat /tmp/bench.txt /tmp/pressure.txt
	echo "lab-json-begin"
	cat /tmp/bench.json
	echo "lab-json-end"
} >>"$LAB_RESULTS"
exit "$rc"
