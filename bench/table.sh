#!/usr/bin/env bash
# The bench's JSON as a Markdown table for the README: for each kernel (and
# clock), the driver rows of cmisc and of upstream's rust_misc_device beside
# the baselines measured in the same boot.
#
# usage: bench/table.sh FILE.json...
#        bench/table.sh --tsv FILE.json...
#
# Each FILE is what cmisc-bench --json wrote (an array of flat objects); the
# driver, kernel and clock come from the objects, not from the file names.
# Give cmisc's and upstream's runs on the same kernel to get both columns.
# Each ratio is against the baseline of the figure's own boot; the baseline
# column shows cmisc's boot's (upstream's when there is no cmisc run).
#
# --tsv prints every row of every file instead, tab-separated, one line per
# row, after a "#"-header naming the columns (bench/plot.sh reads it);
# null is an empty field.
#
# Plain bash and awk (mawk, gawk or busybox): no jq, no python.
set -euo pipefail

usage() {
	echo "usage: bench/table.sh [--tsv] FILE.json..." >&2
	exit 2
}

mode=markdown
if [[ ${1:-} == --tsv ]]; then
	mode=tsv
	shift
fi
(($# > 0)) || usage
for f in "$@"; do
	[[ -r $f ]] || {
		echo "bench/table.sh: cannot read $f" >&2
		exit 1
	}
done

# The columns of --tsv, in order.
fields='name driver kernel clock unit group per_op per_byte bytes baseline baseline_ratio target limit met'

# JSON to TSV: a small parser for an array of flat objects (string, number,
# true, false, null values), which is all cmisc-bench writes.
to_tsv() {
	awk -v fields="$fields" '
	function fail(msg) {
		printf "bench/table.sh: %s: %s (at character %d)\n", FILENAME, msg, pos > "/dev/stderr"
		bad = 1
		exit 1
	}
	function ws() {
		while (pos <= len && index(" \t\r\n", substr(s, pos, 1)))
			pos++
	}
	function expect(c) {
		ws()
		if (substr(s, pos, 1) != c)
			fail("expected " c)
		pos++
	}
	function str(   out, c, e) {
		expect("\"")
		out = ""
		while (pos <= len) {
			c = substr(s, pos, 1)
			pos++
			if (c == "\"")
				return out
			if (c == "\\") {
				e = substr(s, pos, 1)
				pos++
				if (e == "u") {
					pos += 4
					c = "?"
				} else if (e == "n" || e == "t" || e == "r" || e == "b" || e == "f") {
					c = " "
				} else {
					c = e
				}
			}
			out = out c
		}
		fail("unterminated string")
	}
	function value(   c, start) {
		ws()
		c = substr(s, pos, 1)
		if (c == "\"")
			return str()
		if (c == "{" || c == "[")
			fail("nested values are not cmisc-bench JSON")
		start = pos
		while (pos <= len && !index(",}] \t\r\n", substr(s, pos, 1)))
			pos++
		c = substr(s, start, pos - start)
		if (c == "")
			fail("expected a value")
		return c == "null" ? "" : c
	}
	function object(   k, v, i, c, line) {
		split("", o)
		expect("{")
		ws()
		if (substr(s, pos, 1) == "}") {
			pos++
		} else {
			for (;;) {
				k = str()
				expect(":")
				v = value()
				o[k] = v
				ws()
				c = substr(s, pos, 1)
				pos++
				if (c == "}")
					break
				if (c != ",")
					fail("expected , or }")
			}
		}
		if (!("name" in o) || !("per_op" in o))
			fail("an object without name or per_op")
		line = ""
		for (i = 1; i <= nf; i++)
			line = line (i > 1 ? "\t" : "") ((f[i] in o) ? o[f[i]] : "")
		print line
	}
	function parse(   c) {
		len = length(s)
		pos = 1
		expect("[")
		ws()
		if (substr(s, pos, 1) == "]")
			return
		for (;;) {
			object()
			ws()
			c = substr(s, pos, 1)
			pos++
			if (c == "]")
				break
			if (c != ",")
				fail("expected , or ]")
		}
	}
	BEGIN {
		RS = "\001"
		nf = split(fields, f, " ")
		line = "#"
		for (i = 1; i <= nf; i++)
			line = line (i > 1 ? "\t" : " ") f[i]
		print line
	}
	{ s = $0; parse() }
	' "$@"
}

if [[ $mode == tsv ]]; then
	to_tsv "$@"
	exit
fi

tsv=$(to_tsv "$@")
awk -F '\t' -v fields="$fields" '
# 1234567.8 -> 1,234,568
function commas(x,   s, neg, out) {
	s = sprintf("%.0f", x)
	neg = substr(s, 1, 1) == "-"
	if (neg)
		s = substr(s, 2)
	out = ""
	while (length(s) > 3) {
		out = "," substr(s, length(s) - 2) out
		s = substr(s, 1, length(s) - 3)
	}
	return (neg ? "-" : "") s out
}
# One driver cell: the figure, per byte for I/O rows, and the ratio.
function cell(k,   t) {
	if (!(k in per_op))
		return "-"
	t = commas(per_op[k])
	if (per_byte[k] != "")
		t = t " = " sprintf("%.3f", per_byte[k]) "/B"
	if (ratio[k] != "")
		t = t " (" sprintf("%.3f", ratio[k]) "x)"
	return t
}
BEGIN {
	nf = split(fields, f, " ")
	for (i = 1; i <= nf; i++)
		col[f[i]] = i
	nrows = split("hello get_value set_value write_4k write_64k write_1m write_64k_new_buffer write_1m_new_buffer read_4k read_64k read_1m", rows, " ")
	split("HELLO|GET_VALUE|SET_VALUE|write 4 KiB|write 64 KiB|write 1 MiB|write 64 KiB, new buffer|write 1 MiB, new buffer|read 4 KiB|read 64 KiB|read 1 MiB", labels, "|")
	base_label["devnull_ioctl"] = "`/dev/null` ioctl (ENOTTY)"
	for (i = 1; i <= 3; i++) {
		split("4k 64k 1m", sz, " ")
		split("4 KiB|64 KiB|1 MiB", szl, "|")
		base_label["tmpfs_write_" sz[i]] = "tmpfs file"
		base_label["tmpfs_read_" sz[i]] = "tmpfs file"
		base_label["write_" sz[i]] = "one length, spare reused"
	}
}
/^#/ { next }
{
	name = $col["name"]; drv = $col["driver"]; g = $col["kernel"] SUBSEP $col["clock"]
	if (!(g in seen)) {
		seen[g] = 1
		order[++ngroups] = g
		unit[g] = $col["unit"]
	}
	k = g SUBSEP drv SUBSEP name
	if ((k in per_op) && !(g SUBSEP drv in warned)) {
		warned[g SUBSEP drv] = 1
		printf "bench/table.sh: more than one %s run on %s (%s clock): the last one counts\n", drv, $col["kernel"], $col["clock"] > "/dev/stderr"
	}
	have[g SUBSEP drv] = 1
	per_op[k] = $col["per_op"]
	per_byte[k] = $col["per_byte"]
	baseline[k] = $col["baseline"]
	ratio[k] = $col["baseline_ratio"]
	target[k] = $col["target"]
	limit[k] = $col["limit"]
	met[k] = $col["met"]
}
END {
	if (!ngroups) {
		print "bench/table.sh: no rows in the files given" > "/dev/stderr"
		exit 1
	}
	for (gi = 1; gi <= ngroups; gi++) {
		g = order[gi]
		split(g, kc, SUBSEP)
		c = (g SUBSEP "cmisc") in have
		u = (g SUBSEP "upstream") in have
		bdrv = c ? "cmisc" : "upstream"
		if (gi > 1)
			print ""
		printf "Kernel %s, clock %s: %s per call%s.\n\n", kc[1], kc[2],
			unit[g] == "instructions" ? "guest instructions" : unit[g],
			unit[g] == "instructions" ? " (QEMU `-icount shift=0`)" : " of wall time"
		head = "| op | baseline"
		rule = "| --- | ---"
		if (c) { head = head " | cmisc"; rule = rule " | ---" }
		if (u) { head = head " | upstream"; rule = rule " | ---" }
		if (c) { head = head " | target"; rule = rule " | ---" }
		print head " |"
		print rule " |"
		for (r = 1; r <= nrows; r++) {
			kc_ = g SUBSEP "cmisc" SUBSEP rows[r]
			ku = g SUBSEP "upstream" SUBSEP rows[r]
			if (!(kc_ in per_op) && !(ku in per_op))
				continue
			kb = g SUBSEP bdrv SUBSEP rows[r]
			if (!(kb in per_op))
				kb = (kc_ in per_op) ? kc_ : ku
			b = baseline[kb]
			bk = g SUBSEP (kb == kc_ ? "cmisc" : "upstream") SUBSEP b
			if (b == "" || !(bk in per_op))
				bt = "-"
			else {
				bt = ((b in base_label) ? base_label[b] : "`" b "`") ": " commas(per_op[bk])
				if (per_byte[bk] != "")
					bt = bt " = " sprintf("%.3f", per_byte[bk]) "/B"
			}
			line = "| " labels[r] " | " bt
			if (c) line = line " | " cell(kc_)
			if (u) line = line " | " cell(ku)
			if (c) {
				if (target[kc_] == "")
					line = line " | -"
				else
					line = line " | <= " sprintf("%.2f", limit[kc_]) "x, " (met[kc_] == "true" ? "met" : "**MISSED**")
			}
			print line " |"
		}
		if (c && u)
			printf "\nEach ratio is against the baseline measured in the same boot as the figure; the baseline column shows cmisc'"'"'s boot.\n"
	}
}' <<<"$tsv"
