#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkimage.sh KREL KODIR OUT.cpio
# The guest's base initramfs: busybox, hvkit's modules (every .ko under
# KODIR), the stock modules selftests/config names with what they depend
# on (from the unpacked linux-image of KREL), hvkit's binaries with the
# libraries ldd names, Debian tools unpacked from their .deb files, and the
# init script. Rebuilt only when one of those inputs changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
krel=$1 kodir=$2 out=$3
kroot=$(kernel_root "$krel")
ensure_kernel_image "$krel"
conf=$top/selftests/config
userbin=$top/build/user/bin
# Two runs at once (make check-debug's two guests) build the image once:
# the second waits here, then finds it up to date.
mkdir -p "$(dirname "$out")"
exec 8>"$out.lock"
flock 8

# Stock modules: resolve with depmod on the unpacked image (once).
kmods=$kroot/lib/modules/$krel
[ -f "$kmods/modules.dep" ] || depmod -b "$kroot" "$krel"
# "module NAME" must exist (as a module or built in); "module? NAME" is
# taken where the kernel has it (a benchmark's reference device, say,
# that the debug kernel leaves out).
stock=()
while read -r kw m _; do
	[ -n "$m" ] && [ "${m#\#}" = "$m" ] || continue
	if ! deps=$(modprobe -d "$kroot" -S "$krel" --show-depends "$m" 2>/dev/null); then
		[ "$kw" = "module?" ] && continue
		die "stock module '$m' (selftests/config) not found in linux-image-$krel"
	fi
	while read -r verb path _; do
		[ "$verb" = insmod ] && stock+=("$path")
	done <<<"$deps"
done < <(grep -E '^module\??[[:space:]]' "$conf")

# Debian packages whose files the tests use, unpacked from their .deb.
debs=($(sed -n 's/^deb[[:space:]]\+//p' "$conf"))

# hvkit's own binaries, if userspace has been built.
bins=()
[ -d "$userbin" ] && while IFS= read -r b; do bins+=("$b"); done < <(find "$userbin" -maxdepth 1 -type f -perm -u+x | sort)

# Skip the work when nothing changed.
inputs=$( {
	echo "$krel ${debs[*]:-}"
	sha256sum /bin/busybox "$top/selftests/guest/init" "$conf" "$0" "$top/scripts/install.sh"
	find "$top/packaging" "$top/man" -type f -print0 | sort -z | xargs -0r sha256sum
	[ ! -d "$top/daemons" ] || find "$top/daemons/systemd" "$top/daemons/udev" -type f -print0 2>/dev/null |
		sort -z | xargs -0r sha256sum
	find "$kodir" -name '*.ko' -print0 | sort -z | xargs -0r sha256sum
	printf '%s\n' "${stock[@]:-}"
	[ ${#bins[@]} -eq 0 ] || sha256sum "${bins[@]}"
} | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.inputs" 2>/dev/null)" = "$inputs" ]; then
	exit 0
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,mnt,etc,root,hvkit,lib/modules/"$krel"/extra}
cp /bin/busybox "$stage/bin/busybox"
cp "$top/selftests/guest/init" "$stage/init"
chmod +x "$stage/init"
# hvkit as an operator installs it (make install DESTDIR=): its modules in
# updates/hvkit, hvctl and the daemons, man pages, units and rules, the
# driver switch set to hvkit. The test modules, which make install never
# ships, go to extra/.
parts=(modules switch)
[ ${#bins[@]} -eq 0 ] || parts+=(user)
DESTDIR=$stage HVKIT_KREL=$krel HVKIT_KMOD=$kodir "$top/scripts/install.sh" "${parts[@]}" \
	>"$stage/.install.log" 2>&1 || { cat "$stage/.install.log"; die "make install into the guest image failed"; }
rm -f "$stage/.install.log"
"$stage/usr/sbin/hvkit-select" --root "$stage" hvkit >/dev/null 2>&1 ||
	die "hvkit-select --root $stage hvkit failed"
[ -d "$kodir/selftests" ] && for ko in $(find "$kodir/selftests" -name '*.ko' | sort); do
	cp "$ko" "$stage/lib/modules/$krel/extra/"
done
for path in "${stock[@]:-}"; do
	[ -n "$path" ] || continue
	rel=${path#"$kroot"/}
	mkdir -p "$stage/$(dirname "$rel")"
	case "$path" in
	*.xz) xz -dc "$path" >"$stage/${rel%.xz}" ;;
	*.zst) zstd -qdc "$path" >"$stage/${rel%.zst}" ;;
	*) cp "$path" "$stage/$rel" ;;
	esac
done
cp "$kmods"/modules.builtin* "$kmods"/modules.order "$stage/lib/modules/$krel/" 2>/dev/null || true
depmod -b "$stage" "$krel"

# Debian packages: unpack from the apt cache (downloaded when missing).
if [ ${#debs[@]} -gt 0 ]; then
	dcache=$(hvkit_cache)/debs
	mkdir -p "$dcache"
	for d in "${debs[@]}"; do
		f=$(ls "$dcache/${d}"_*.deb 2>/dev/null | head -n1 || true)
		if [ -z "$f" ]; then
			(cd "$dcache" && apt-get download "$d" >/dev/null 2>&1) ||
				die "cannot download Debian package $d (selftests/config)"
			f=$(ls "$dcache/${d}"_*.deb | head -n1)
		fi
		dpkg-deb -x "$f" "$stage"
	done
fi

# Every library the binaries (hvkit's and the unpacked tools) need.
libs=$( { for f in $(find "$stage" -type f -perm -u+x ! -name '*.ko' ! -name init); do
	{ ldd "$f" 2>/dev/null || true; } | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'
done } | sort -u)
for l in $libs; do
	[ -f "$l" ] || continue
	mkdir -p "$stage/$(dirname "$l")"
	cp -L "$l" "$stage/$l"
done
# The dynamic loader lives at /lib64 on amd64.
if [ -n "$libs" ]; then
	mkdir -p "$stage/lib64"
	cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
fi

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$inputs" >"$out.inputs"
