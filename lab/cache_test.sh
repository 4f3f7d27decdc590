#!/usr/bin/env bash
# lab/cache.sh's own test, run by make check before any VM (with the
# judge's): each rule of the cache, tried on a scratch cache in a temporary
# directory. TAP; "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export LAB_CACHE=$scratch/cache BUILD=$scratch/build
mkdir -p "$LAB_CACHE" "$BUILD"
# shellcheck source=lab/common.sh
. "$here/common.sh"

n=0 failed=0
check() {
	local name=$1
	shift
	n=$((n + 1))
	if ("$@") >"$scratch/out" 2>&1; then
		echo "ok $n cache.$name"
	else
		echo "not ok $n cache.$name"
		sed 's/^/# /' "$scratch/out"
		failed=$((failed + 1))
	fi
}

# make ENTRY CONTENT: an entry made as the lab makes one.
make_entry() {
	local work
	cache_lock "$1"
	work=$(cache_begin "$1" 1)
	echo "$2" >"$work/data"
	cache_commit "$1"
	cache_unlock
}

t_made_entry_is_a_hit() {
	make_entry "$LAB_CACHE/kernels/a" one
	cache_hit "$LAB_CACHE/kernels/a" && [[ $(cat "$LAB_CACHE/kernels/a/data") == one ]]
}

t_half_made_entry_is_no_hit_and_is_made_again() {
	local e=$LAB_CACHE/kernels/killed work
	work=$(cache_begin "$e" 1)
	echo partial >"$work/data" # ... and the maker is killed here
	! cache_hit "$e" || return 1
	make_entry "$e" whole
	cache_hit "$e" && [[ $(cat "$e/data") == whole && ! -e $e.tmp ]]
}

t_key_follows_file_content() {
	local f=$scratch/frag k1 k2 k3
	echo a >"$f"
	k1=$(cache_key "$f" word)
	k2=$(cache_key "$f" word)
	echo b >"$f"
	touch -d '+1 min' "$f"
	k3=$(cache_key "$f" word)
	[[ $k1 == "$k2" && $k1 != "$k3" && $(cache_key "$f" other) != "$k3" ]]
}

t_relative_word_is_a_word_not_a_file() {
	local k1 k2
	(cd "$scratch" && echo x >sid)
	k1=$(cd "$scratch" && cache_key sid)
	rm -f "$scratch/sid"
	k2=$(cd "$scratch" && cache_key sid)
	[[ $k1 == "$k2" ]]
}

t_second_maker_waits_then_finds_it_made() {
	local e=$LAB_CACHE/kernels/shared
	(
		cache_lock "$e"
		work=$(cache_begin "$e" 1)
		sleep 2
		echo first >"$work/data"
		cache_commit "$e"
	) &
	sleep 0.5
	cache_lock "$e"
	cache_hit "$e" || make_entry_unlocked second
	cache_unlock
	wait
	[[ $(cat "$e/data") == first ]]
}
make_entry_unlocked() { return 1; }

t_full_disk_names_the_cache_and_clean_cache() {
	local out
	out=$( (cache_begin "$LAB_CACHE/kernels/huge" $((1 << 40))) 2>&1) && return 1
	[[ $out == *"$LAB_CACHE"* && $out == *"make clean-cache"* ]]
}

t_commit_moves_absolute_links_along() {
	local e=$LAB_CACHE/kernels/linked work
	work=$(cache_begin "$e" 1)
	mkdir -p "$work/scripts"
	echo py >"$work/scripts/gdb.py"
	ln -s "$work/scripts/gdb.py" "$work/vmlinux-gdb.py"
	cache_commit "$e"
	[[ $(readlink "$e/vmlinux-gdb.py") == "$e/scripts/gdb.py" && $(cat "$e/vmlinux-gdb.py") == py ]]
}

t_eviction_takes_the_least_recently_used_only() {
	local e
	rm -rf "${LAB_CACHE:?}"/*
	for e in old older recent locked; do
		make_entry "$LAB_CACHE/kernels/$e" "$e"
		echo $((20 * 1024 * 1024)) >"$LAB_CACHE/kernels/$e.size" # 20 GiB each, on paper
	done
	# The locked one is the oldest of all: in use, it must stay anyway.
	touch -d '-4 days' "$LAB_CACHE/kernels/locked"
	touch -d '-3 days' "$LAB_CACHE/kernels/older"
	touch -d '-2 days' "$LAB_CACHE/kernels/old"
	exec 6>"$LAB_CACHE/kernels/locked.lock"
	flock 6
	# 80 GiB against a limit of 40: the two oldest unlocked entries go.
	CMISC_CACHE_MAX_GB=40 cache_evict
	exec 6>&-
	[[ ! -e $LAB_CACHE/kernels/older && ! -e $LAB_CACHE/kernels/old ]] &&
		cache_hit "$LAB_CACHE/kernels/recent" && cache_hit "$LAB_CACHE/kernels/locked"
}

t_eviction_keeps_what_was_used_lately() {
	rm -rf "${LAB_CACHE:?}"/*
	make_entry "$LAB_CACHE/kernels/fresh" x
	echo $((50 * 1024 * 1024)) >"$LAB_CACHE/kernels/fresh.size"
	CMISC_CACHE_MAX_GB=40 cache_evict
	cache_hit "$LAB_CACHE/kernels/fresh"
}

t_clean_cache_removes_only_its_own() {
	make_entry "$LAB_CACHE/kernels/x" x
	mkdir -p "$LAB_CACHE/not-ours"
	echo keep >"$LAB_CACHE/not-ours/file"
	cache_clean
	[[ ! -e $LAB_CACHE/kernels && -e $LAB_CACHE/not-ours/file ]]
}

check made_entry_is_a_hit t_made_entry_is_a_hit
check half_made_entry_is_no_hit_and_is_made_again t_half_made_entry_is_no_hit_and_is_made_again
check key_follows_file_content t_key_follows_file_content
check relative_word_is_a_word_not_a_file t_relative_word_is_a_word_not_a_file
check second_maker_waits_then_finds_it_made t_second_maker_waits_then_finds_it_made
check full_disk_names_the_cache_and_clean_cache t_full_disk_names_the_cache_and_clean_cache
check commit_moves_absolute_links_along t_commit_moves_absolute_links_along
check eviction_takes_the_least_recently_used_only t_eviction_takes_the_least_recently_used_only
check eviction_keeps_what_was_used_lately t_eviction_keeps_what_was_used_lately
check clean_cache_removes_only_its_own t_clean_cache_removes_only_its_own
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
((failed == 0))
