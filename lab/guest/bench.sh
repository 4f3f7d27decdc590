#!/bin/sh
# shellcheck shell=dash
# `make bench` in the guest: load the module, run the benchmark, send the
# table and the JSON back on the results channel.
#
# The init exports CMISC_KO (cmisc's module, or upstream's when the driver
# is upstream), LAB_DRIVER (cmisc | upstream) and LAB_BENCH_CLOCK (icount |
# wall); the kernel command line's lab_driver= and lab_bench_clock= stand
# in for the last two if they are missing.
driver=${LAB_DRIVER:-${lab_driver:-cmisc}}
clock=${LAB_BENCH_CLOCK:-${lab_bench_clock:-wall}}

insmod "$CMISC_KO" || exit 1
echo "# kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs, driver $driver, clock $clock"

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
echo "$printk" >/proc/sys/kernel/printk
cat /tmp/bench.txt

# Exit 0 even when targets are missed (the summary line says how many);
# 1 if a call failed, with whatever rows were measured sent all the same.
[ -s /tmp/bench.json ] || exit 1
{
	echo "lab-bench-begin"
	cat /tmp/bench.txt
	echo "lab-json-begin"
	cat /tmp/bench.json
	echo "lab-json-end"
} >>"$LAB_RESULTS"
exit "$rc"
