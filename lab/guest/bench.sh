#!/bin/sh
# shellcheck shell=dash
# `make bench` in the guest: load the module, run the benchmark, send the
# table and the JSON back on the results channel.
insmod "$CMISC_KO" || exit 1
echo "# kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs"
/lab/bench/cmisc_bench --json /tmp/bench.json | tee /tmp/bench.txt || exit 1
{
	echo "lab-bench-begin"
	cat /tmp/bench.txt
	echo "lab-json-begin"
	cat /tmp/bench.json
	echo "lab-json-end"
} >>"$LAB_RESULTS"
