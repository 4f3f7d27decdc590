#!/usr/bin/env bash
# Upstream's own C client of the Rust misc-device sample: the ```c block of
# the doc comment of samples/rust/rust_misc_device.rs. Code from elsewhere
# is never committed here, so it is taken at build time from Debian
# unstable's newest linux-source-<ver> package: apt downloads it (a private
# sources list and state under $BUILD/upstream/apt, the host's apt
# configuration and mirror, checked against Debian's archive key), and only
# that one file is taken out of the source tarball inside the .deb.
#
# usage: lab/upstream-client.sh
# Prints the path of $BUILD/upstream/<version>/rust_misc_client.c on stdout;
# the rust_misc_device.rs it came from is kept beside it. <version> is the
# Debian version of the linux-source package. Cached by version: when the
# newest one is already extracted nothing is downloaded. When the archive
# cannot be reached, the newest cached copy is used, and the lab says so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

(($# == 0)) || {
	echo "usage: lab/upstream-client.sh" >&2
	exit 2
}

suite=sid
member=samples/rust/rust_misc_device.rs
top=$LAB_CACHE/upstream
apt_dir=$LAB_CACHE/apt-state/upstream-$suite
host=$(dpkg --print-architecture)
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=
	-o "Dir::State::Status=$apt_dir/status" -o Debug::NoLocking=1
	-o APT::Sandbox::User=root -o "APT::Architecture=$host"
	-o "APT::Architectures::=$host" -o Acquire::Languages=none -q
)

# The newest cached extraction's directory (named by a version, so never a
# leftover temporary one), or nothing.
newest_cached() {
	find "$top" -mindepth 2 -maxdepth 2 -name rust_misc_client.c -printf '%h\n' 2>/dev/null |
		grep -E '/[0-9][^/]*$' | sort -V | tail -n 1 || true
}

# Use the newest cached copy after a failure ($1 says which), or die.
fall_back() {
	local dir
	dir=$(newest_cached)
	[[ -n $dir ]] || die "upstream client: $1, and nothing is cached under $top"
	stale "upstream client: $1; using the newest cached copy, linux-source $(basename "$dir")"
	echo "$dir/rust_misc_client.c"
	exit 0
}

# The newest linux-source-<ver> package of the suite: "PACKAGE VERSION".
newest_source() {
	local pkg
	pkg=$(apt-cache "${apt_opts[@]}" pkgnames linux-source- 2>/dev/null |
		grep -E '^linux-source-[0-9]+(\.[0-9]+)+$' | sort -V | tail -n 1) || true
	[[ -n $pkg ]] || return 0
	echo "$pkg $(apt-cache "${apt_opts[@]}" show "$pkg" 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -n 1)"
}

# The ```c block of the //! doc comment on stdin, prefixes removed, else
# nothing and status 1.
client_of() {
	awk '
	in_c && /^\/\/!( )?```[ \t]*$/ { done = 1; exit }
	in_c {
		if ($0 !~ /^\/\/!/) { broken = 1; exit }
		line = $0
		sub(/^\/\/!( )?/, "", line)
		print line
		next
	}
	/^\/\/!( )?```c[ \t]*$/ { in_c = 1 }
	END { exit !(done && !broken) }'
}

# extract TARBALL PKG VERSION: the client out of a linux-source tarball
# into $top/VERSION; prints its path.
extract() {
	local tarball=$1 pkg=$2 version=$3 work
	work=$(mktemp -d "$top/tmp.XXXXXX")
	tar -xJOf "$tarball" --wildcards --no-wildcards-match-slash "*/$member" >"$work/rust_misc_device.rs" ||
		die "upstream client: no $member in $pkg $version"
	[[ -s $work/rust_misc_device.rs ]] || die "upstream client: no $member in $pkg $version"
	client_of <"$work/rust_misc_device.rs" >"$work/rust_misc_client.c" ||
		die "upstream client: no complete \`\`\`c block in the doc comment of $member ($pkg $version)"
	mkdir -p "$top/$version"
	mv "$work/rust_misc_device.rs" "$top/$version/rust_misc_device.rs"
	mv "$work/rust_misc_client.c" "$top/$version/rust_misc_client.c"
	rm -rf "$work"
	echo "$top/$version/rust_misc_client.c"
}

mkdir -p "$top"
# The Rust kernel's own source, when its build root is here: the client
# then matches the driver it talks to, version for version.
if broot=$("$here/buildroot.sh" "$suite" --cached 2>/dev/null); then
	tarball=$(printf '%s\n' "$broot"/usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
	pkg=$(basename "$tarball" .tar.xz)
	version=$(dpkg-query --admindir="$broot/var/lib/dpkg" -W -f '${Version}' "$pkg" 2>/dev/null || true)
	if [[ -r $tarball && -n $version ]]; then
		if [[ -s $top/$version/rust_misc_client.c ]]; then
			log "upstream client: $pkg $version, the rust kernel's source (cached)"
			echo "$top/$version/rust_misc_client.c"
			exit 0
		fi
		exec 9>"$top/lock"
		flock 9
		log "upstream client: from $pkg $version, the rust kernel's source in the $suite build root"
		extract "$tarball" "$pkg" "$version"
		exit 0
	fi
fi

mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
touch "$apt_dir/status"
# One run at a time: the private apt state has no lock of its own.
exec 9>"$top/lock"
flock 9
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror "") $suite main" \
	>"$apt_dir/sources.list"
# --error-on=any: an index that could not be fetched is a failure, not a
# warning about old lists being used.
apt-get "${apt_opts[@]}" --error-on=any update >"$apt_dir/update.log" 2>&1 ||
	fall_back "the $suite archive cannot be reached (see $apt_dir/update.log)"
read -r pkg version < <(newest_source) || true
[[ -n ${pkg:-} && -n ${version:-} ]] || die "upstream client: no linux-source-<version> package in $suite"

dir=$top/$version
client=$dir/rust_misc_client.c
if [[ -s $client ]]; then
	log "upstream client: $pkg $version (cached)"
	echo "$client"
	exit 0
fi

start=$SECONDS
log "upstream client: fetching $pkg $version from $suite"
work=$(mktemp -d "$top/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get "${apt_opts[@]}" download "$pkg=$version") >"$apt_dir/download.log" 2>&1 ||
	fall_back "apt-get download $pkg=$version failed (see $apt_dir/download.log)"
debs=("$work"/*.deb)
[[ -f ${debs[0]} ]] || die "upstream client: apt-get download left no .deb"

# The .deb holds usr/src/linux-source-<ver>.tar.xz; take only that member out
# of the data tarball, then only the sample out of it.
dpkg-deb --fsys-tarfile "${debs[0]}" |
	tar -xO --wildcards --no-wildcards-match-slash './usr/src/linux-source-*.tar.xz' >"$work/src.tar.xz" ||
	die "upstream client: no usr/src/linux-source-*.tar.xz in ${debs[0]##*/}"
rm -f "${debs[@]}"
client=$(extract "$work/src.tar.xz" "$pkg" "$version")
log "upstream client: $pkg $version extracted in $((SECONDS - start)) s"
echo "$client"
