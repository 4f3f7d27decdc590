#!/usr/bin/env bash
# Cost per byte against transfer size, from the bench's JSON: cmisc,
# upstream's rust_misc_device and the tmpfs file, write and read, at 4 KiB,
# 64 KiB and 1 MiB (log x axis). One panel per kernel (and clock), stacked.
#
# usage: bench/plot.sh OUT.png FILE.json...
#
# The driver, kernel and clock come from the JSON objects (bench/table.sh
# --tsv reads them). The tmpfs lines are those of cmisc's boot, or of
# upstream's when there is no cmisc run on that kernel. Needs gnuplot
# (Debian: gnuplot-nox).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if (($# < 2)) || [[ $1 != *.png ]]; then
	echo "usage: bench/plot.sh OUT.png FILE.json..." >&2
	exit 2
fi
out=$1
shift
command -v gnuplot >/dev/null || {
	echo "bench/plot.sh: gnuplot is missing (Debian: apt-get install gnuplot-nox)" >&2
	exit 1
}
terminal=png
if gnuplot -e 'set terminal' 2>&1 | grep -q '^ *pngcairo '; then
	terminal=pngcairo
fi

tsv=$("$here/table.sh" --tsv "$@")

# The gnuplot script: one datablock per panel and series ("size per_byte"
# lines), then one plot per panel.
script=$(awk -F '\t' -v out="$out" -v terminal="$terminal" '
function quote(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}
BEGIN {
	nseries = split("cmisc:write cmisc:read upstream:write upstream:read tmpfs:write tmpfs:read", series, " ")
	split("4k 64k 1m", tags, " ")
	split("4096 65536 1048576", sizes, " ")
	# colour per target, solid for write and dashed for read
	color["cmisc"] = "#1f77b4"; color["upstream"] = "#d62728"; color["tmpfs"] = "#2ca02c"
	label["cmisc"] = "cmisc"; label["upstream"] = "upstream rust_misc_device"; label["tmpfs"] = "tmpfs file"
}
/^#/ {
	for (i = 1; i <= NF; i++)
		col[substr($i, 1 + (i == 1) * 2)] = i
	next
}
$col["bytes"] != "" {
	g = $col["kernel"] SUBSEP $col["clock"]
	if (!(g in seen)) {
		seen[g] = 1
		order[++ngroups] = g
		unit[g] = $col["unit"]
	}
	per_byte[g SUBSEP $col["driver"] SUBSEP $col["name"]] = $col["per_byte"]
	have[g SUBSEP $col["driver"]] = 1
}
END {
	if (!ngroups) {
		print "bench/plot.sh: no read or write rows in the files given" > "/dev/stderr"
		exit 1
	}
	printf "set terminal %s size 900,%d noenhanced\n", terminal, 480 * ngroups
	printf "set output %s\n", quote(out)
	print "set logscale x 2"
	print "set xrange [2896:1482910]"
	print "set xtics (\"4 KiB\" 4096, \"64 KiB\" 65536, \"1 MiB\" 1048576)"
	print "set yrange [0:*]"
	print "set grid"
	print "set key below"
	printf "set multiplot layout %d,1\n", ngroups
	for (gi = 1; gi <= ngroups; gi++) {
		g = order[gi]
		split(g, kc, SUBSEP)
		tdrv = ((g SUBSEP "cmisc") in have) ? "cmisc" : "upstream"
		plot = ""
		for (s = 1; s <= nseries; s++) {
			split(series[s], ts, ":")
			drv = ts[1] == "tmpfs" ? tdrv : ts[1]
			prefix = ts[1] == "tmpfs" ? "tmpfs_" ts[2] "_" : ts[2] "_"
			data = ""
			for (t = 1; t <= 3; t++) {
				k = g SUBSEP drv SUBSEP prefix tags[t]
				if ((k in per_byte) && per_byte[k] != "")
					data = data sizes[t] " " per_byte[k] "\n"
			}
			if (data == "")
				continue
			printf "$d%d_%d << EOD\n%sEOD\n", gi, s, data
			plot = plot (plot == "" ? "" : ", ") sprintf("$d%d_%d using 1:2 with linespoints lw 2 pt 7 dt %d lc rgb \"%s\" title \"%s %s\"", gi, s, ts[2] == "write" ? 1 : 2, color[ts[1]], label[ts[1]], ts[2])
		}
		printf "set title %s\n", quote("kernel " kc[1] ", clock " kc[2] ": cost per byte against bytes per call")
		printf "set ylabel %s\n", quote((unit[g] == "instructions" ? "guest instructions" : unit[g]) " per byte")
		print "plot " plot
	}
	print "unset multiplot"
}' <<<"$tsv")

gnuplot <<<"$script"
[[ -s $out ]] || {
	echo "bench/plot.sh: gnuplot wrote no $out" >&2
	exit 1
}
echo "bench/plot.sh: $out"
