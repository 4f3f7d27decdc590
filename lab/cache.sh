# shellcheck shell=bash
# The lab's cache: what is slow to make and the same for every checkout
# (fetched and built kernels, build roots, the Debian guest's image,
# fetched packages, the upstream client, downloaded .debs). Sourced by
# lab/common.sh, never run.
#
# Where: $CMISC_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/cmisc.
# CMISC_CACHE=off gives a run an empty cache of its own ($BUILD/cache-off,
# emptied when the run starts): the path of a fresh machine.
#
# Layout: $LAB_CACHE/KIND/ENTRY, one directory per entry, named by a key that
# hashes everything that decides its content. An entry is made under a
# temporary name (ENTRY.tmp) and renamed when complete, so a killed build
# or a truncated download is never an entry; a leftover .tmp is removed by
# the next maker. Making an entry holds an exclusive lock (ENTRY.lock), so
# two runs from two checkouts never make the same entry at once: the
# second waits, then finds it made. Each use touches the entry; past
# CMISC_CACHE_MAX_GB (default 40) the least recently used entries go
# (cache_evict), never one in use (its lock) or used in the last
# CMISC_CACHE_KEEP_HOURS (default 6). `make clean-cache` removes it all.

# cache_setup: export LAB_CACHE (once per run; nested scripts inherit it).
cache_setup() {
	if [[ -n ${LAB_CACHE:-} ]]; then
		return 0
	fi
	if [[ ${CMISC_CACHE:-on} == off ]]; then
		LAB_CACHE=$BUILD/cache-off
	else
		LAB_CACHE=${CMISC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cmisc}
	fi
	# (Every script sources this, the Makefile's default KDIR among them: a
	# cache that cannot be made fails the step that needs it, not them all.)
	if mkdir -p "$LAB_CACHE" 2>/dev/null; then
		LAB_CACHE=$(cd "$LAB_CACHE" && pwd)
	fi
	export LAB_CACHE
}

# cache_key WORDS...: a 16-digit key from the words and, for each word
# that is the absolute path of a file, its content.
cache_key() {
	local w
	for w in "$@"; do
		if [[ $w == /* && -f $w ]]; then
			printf 'file %s\n' "$(file_hash "$w")"
		else
			printf 'word %s\n' "$w"
		fi
	done | sha256sum | cut -c1-16
}

# file_hash FILE: its sha256, remembered by path, inode, size and mtime
# (the kernel source tarballs are 150 MB: hashed once, not on every run).
file_hash() {
	local f=$1 id memo h
	id=$(stat -L -c '%d %i %s %Y' "$f") || return 1
	memo=$LAB_CACHE/hashes/$(printf '%s %s' "$(readlink -f "$f")" "$id" | sha256sum | cut -c1-32)
	if [[ -s $memo ]]; then
		cat "$memo"
		return
	fi
	h=$(sha256sum <"$f" | cut -d' ' -f1)
	mkdir -p "$LAB_CACHE/hashes"
	echo "$h" >"$memo.$$" && mv "$memo.$$" "$memo"
	echo "$h"
}

# cache_lock ENTRY: hold ENTRY's lock on fd 7 until cache_unlock (or exit).
cache_lock() {
	mkdir -p "$(dirname "$1")"
	exec 7>>"$1.lock"
	if ! flock -n 7; then
		log "cache: waiting for another run making $(cache_name "$1")"
		flock 7
	fi
}
cache_unlock() { exec 7>&-; }

# cache_name ENTRY: KIND/ENTRY, for messages.
cache_name() { printf '%s' "${1#"$LAB_CACHE"/}"; }

# cache_hit ENTRY: is ENTRY complete? Marks it used.
cache_hit() {
	[[ -d $1 ]] || return 1
	touch -h "$1" 2>/dev/null || true
}

# cache_ready ENTRY: is ENTRY complete? (A question only: --cached, the
# plan and make kernels ask it without marking the entry used.)
cache_ready() { [[ -d $1 ]]; }

# cache_use ENTRY: this process uses ENTRY until it exits: a shared lock
# on ENTRY's lock, which cache_evict's exclusive one never gets meanwhile.
cache_use() {
	local fd
	mkdir -p "$(dirname "$1")"
	exec {fd}>>"$1.lock"
	flock -s "$fd"
}

# cache_begin ENTRY NEED_MIB: start making ENTRY: prints its temporary
# directory (ENTRY.tmp, emptied). Fails, naming the cache and make
# clean-cache, if its file system has less than NEED_MIB free.
cache_begin() {
	local entry=$1 need=${2:-1024} free tmp=$1.tmp
	free=$(df -P -m "$(dirname "$entry")" | awk 'NR == 2 { print $4 }')
	if ((free < need)); then
		die "cache $LAB_CACHE: $free MiB free on its file system, and $(cache_name "$entry") needs about $need MiB: make clean-cache (or set CMISC_CACHE_DIR to a larger disk)"
	fi
	safe_rm "$tmp"
	mkdir -p "$tmp"
	echo "$tmp"
}

# cache_commit ENTRY: the temporary directory becomes the entry.
cache_commit() {
	[[ -d $1.tmp ]] || die "cache: nothing made for $(cache_name "$1")"
	local link kib
	# Absolute links into the temporary name (a kernel tree's
	# vmlinux-gdb.py) point at the final name before the rename, so that
	# the entry is whole the moment it appears. (A tree made as root has
	# directories only root reads: errors there are not this entry's.)
	{ as_root find "$1.tmp" -type l -lname "$1.tmp/*" -print0 2>/dev/null || true; } |
		while IFS= read -r -d '' link; do
			as_root ln -sfn "$1/$(readlink "$link" | cut -c$((${#1} + 6))-)" "$link"
		done
	# Its size, measured once, for cache_evict.
	kib=$( { as_root du -sk --one-file-system "$1.tmp" 2>/dev/null || true; } | cut -f1)
	echo "${kib:-0}" >"$1.size"
	safe_rm "$1"
	mv -T "$1.tmp" "$1"
}

# cache_fail ENTRY WHAT: making ENTRY failed; say whether the disk is full.
cache_fail() {
	local free
	free=$(df -P -m "$(dirname "$1")" | awk 'NR == 2 { print $4 }')
	if ((free < 256)); then
		die "$2, and the disk of cache $LAB_CACHE is full ($free MiB free): make clean-cache (or set CMISC_CACHE_DIR to a larger disk)"
	fi
	die "$2"
}

# cache_entries: every entry, "LAST_USE_EPOCH KIB PATH", oldest first.
cache_entries() {
	local d kib
	for d in "$LAB_CACHE"/*/*/; do
		d=${d%/}
		# (A .tmp a killed maker left is an entry too: its lock is free.)
		[[ -d $d && $d != "$LAB_CACHE"/hashes/* ]] || continue
		kib=
		if [[ -s $d.size ]]; then
			kib=$(cat "$d.size")
		else
			kib=$( { du -sk --one-file-system "$d" 2>/dev/null || true; } | cut -f1)
		fi
		printf '%s %s %s\n' "$(stat -c %Y "$d")" "${kib:-0}" "$d"
	done | sort -n
}

# cache_evict: remove the least recently used entries while the cache is
# over CMISC_CACHE_MAX_GB; never one locked, or used in the last
# CMISC_CACHE_KEEP_HOURS.
cache_evict() {
	local max=$((${CMISC_CACHE_MAX_GB:-40} * 1024 * 1024)) keep=$((${CMISC_CACHE_KEEP_HOURS:-6} * 3600))
	local total=0 used kib path now stamp=$LAB_CACHE/stamps/evicted
	now=$(date +%s)
	# At most once an hour: sizing the entries reads the whole cache.
	if [[ -e $stamp ]] && (($(stat -c %Y "$stamp") > now - 3600)); then
		return 0
	fi
	mkdir -p "$LAB_CACHE/stamps" && touch "$stamp"
	local -a entries
	mapfile -t entries < <(cache_entries)
	for used in "${entries[@]}"; do
		read -r _ kib _ <<<"$used"
		total=$((total + kib))
	done
	((total > max)) || return 0
	for used in "${entries[@]}"; do
		((total > max)) || break
		read -r used kib path <<<"$used"
		((now - used >= keep)) || continue
		# The lock file stays: a maker or a user may hold it open.
		(
			exec 7>>"${path%.tmp}.lock"
			flock -n 7 || exit 1
			safe_rm "$path"
		) || continue
		rm -f "$path.size"
		total=$((total - kib))
		log "cache: evicted $(cache_name "$path") ($((kib / 1024)) MiB, unused since $(date -d "@$used" '+%F %R'))"
	done
}

# The cache's kinds: cache_clean removes these and nothing else, whatever
# CMISC_CACHE_DIR points at.
CACHE_KINDS=(kernels buildroot rootfs debs upstream apt apt-state stats hashes npm stamps)

# archives_lock: hold the shared archive cache ($LAB_CACHE/apt/archives)
# until this process exits: apt's own lock there would make a second
# chroot's apt-get fail, not wait, and debootstrap takes no lock at all.
archives_lock() {
	mkdir -p "$LAB_CACHE/apt/archives/partial"
	exec {archives_fd}>>"$LAB_CACHE/apt/archives.lock"
	if ! flock -n "$archives_fd"; then
		log "cache: waiting for another run using the archive cache, $LAB_CACHE/apt/archives"
		flock "$archives_fd"
	fi
}
# archives_unlock: done with it before this process ends.
archives_unlock() { exec {archives_fd}>&-; }

# cache_clean: empty the cache (make clean-cache), waiting for no one: a
# run using it at the same time loses its entries.
cache_clean() {
	local k
	for k in "${CACHE_KINDS[@]}"; do
		safe_rm "${LAB_CACHE:?}/$k"
	done
	rmdir "$LAB_CACHE" 2>/dev/null || true
}

# cache_list: make kernels' table of the cache's entries.
cache_list() {
	local used kib path total=0
	echo
	echo "cache: $LAB_CACHE (CMISC_CACHE_DIR; at most ${CMISC_CACHE_MAX_GB:-40} GiB, least recently used entries evicted past it)"
	printf '  %-60s %9s  %s\n' ENTRY MiB "LAST USED"
	while read -r used kib path; do
		total=$((total + kib))
		printf '  %-60s %9s  %s\n' "$(cache_name "$path")" $((kib / 1024)) "$(date -d "@$used" '+%F %R')"
	done < <(cache_entries)
	printf '  %-60s %9s\n' total $((total / 1024))
}
