# SPDX-License-Identifier: GPL-2.0
# Helpers shared by hvkit's scripts. Source it; it defines functions only.

log() { printf 'hvkit: %s\n' "$*" >&2; }
die() { printf 'hvkit: error: %s\n' "$*" >&2; exit 1; }

# Where downloaded kernel images, unpacked packages and guest images live.
# Outside the tree so that clean clones share it; every entry is keyed by
# the exact package version, so a stale entry is never reused.
hvkit_cache() {
	local c=${HVKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvkit}
	mkdir -p "$c"
	printf '%s\n' "$c"
}

# Debian's meta package for the headers of a kernel series.
headers_meta() {
	case "$1" in
	6.1) echo linux-headers-amd64 ;;
	*) echo "linux-headers-$1-amd64" ;;
	esac
}

# The exact release (uname -r) of the installed headers of a series,
# e.g. "6.12" -> "6.12.117+deb12-amd64", "6.1" -> "6.1.0-56-amd64".
krel_of() {
	local s=$1 d best=
	for d in /usr/src/linux-headers-"$s".*-amd64; do
		[ -e "$d/Module.symvers" ] || continue
		best=$(printf '%s\n%s\n' "$best" "${d#/usr/src/linux-headers-}" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# Unpacked image for release $1 in the cache: prints its root directory.
kernel_root() { printf '%s/kernel/%s\n' "$(hvkit_cache)" "$1"; }

ensure_kernel_image() {
	local krel=$1 root dl deb
	root=$(kernel_root "$krel")
	[ -f "$root/.complete" ] && return 0
	log "fetching linux-image-$krel (unpacked into the cache, not installed)"
	dl=$(mktemp -d)
	(cd "$dl" && apt-get download "linux-image-$krel" >/dev/null 2>&1) ||
		(apt-get update >/dev/null 2>&1 && cd "$dl" && apt-get download "linux-image-$krel" >/dev/null) ||
		die "cannot download linux-image-$krel"
	deb=$(ls "$dl"/*.deb)
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$deb" "$root"
	rm -rf "$dl"
	touch "$root/.complete"
}
