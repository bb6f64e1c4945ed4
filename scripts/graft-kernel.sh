#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# graft-kernel.sh: a kernel with hvkit built in (issue 9), for the guest
# tests of make check. hvkit is grafted (scripts/graft.sh) into the debug
# kernel's source tree (cached), then built in a copy of its build tree with CONFIG_HVKIT=y, the simulated host and the echo
# device as its modules (CONFIG_HVKIT_SIM=m), and the in-tree Hyper-V
# drivers off, as the debug kernel has them. The build starts from a copy
# of the debug kernel's build tree, so only hvkit and what its options
# touch compile, with the same detectors (KASAN, lockdep, ...) on hvkit's
# built-in init paths. Cached next to the debug kernel; a change to hvkit
# rebuilds hvkit's objects and links again.
# Prints "KREL KDIR", as scripts/debug-kernel.sh does.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

read -r dkrel dout < <("$top/scripts/debug-kernel.sh") || die "no debug kernel to graft into"
dcache=$(dirname "$dout")
dkey=$(basename "$dcache")
cache=$(hvkit_cache)/graft-kernel
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
# The debug kernel's own source: its build commands name the source tree,
# so a copy elsewhere would rebuild everything. The graft adds
# drivers/hvkit and a line to drivers/Kconfig and drivers/Makefile there,
# which the debug kernel's configuration (no CONFIG_HVKIT) does not build.
src=$dcache/src
out=$cache/build
if [ "$(cat "$cache/.base" 2>/dev/null)" != "$dkey" ]; then
	log "copying the debug kernel's build tree to build hvkit in ($cache)"
	rm -rf "$out" "$cache/.base"
	cp -a "$dcache/build" "$out"
	echo "$dkey" >"$cache/.base"
fi
# Nothing to do when hvkit's sources and this recipe are what was built.
stamp_in=$(cd "$top" && { find drivers include -type f \( -name '*.[ch]' -o -name Kbuild \) \
	-not -path '*/generated/*' -not -name '*.mod.c' | sort | xargs cat; cat scripts/graft.sh "$0"; } | sha256sum | cut -c1-16)
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$out/include/generated/utsrelease.h" 2>/dev/null || true)
if [ "$(cat "$cache/.hvkit" 2>/dev/null)" = "$stamp_in" ] && [ -n "$krel" ] &&
	[ -f "$(kernel_root "$krel")/.complete" ]; then
	echo "$krel $out"
	exit 0
fi
rm -f "$cache/.hvkit"
"$top/scripts/graft.sh" "$src" "$out" >/dev/null
"$src/scripts/config" --file "$out/.config" --set-str LOCALVERSION -hvkit-graft \
	--enable HVKIT --module HVKIT_SIM
make -s -C "$src" O="$out" olddefconfig >/dev/null
grep -qx CONFIG_HVKIT=y "$out/.config" && grep -qx CONFIG_HVKIT_SIM=m "$out/.config" ||
	die "the grafted kernel's config lost CONFIG_HVKIT=y or CONFIG_HVKIT_SIM=m (a dependency is missing)"
! grep -q '^CONFIG_HYPERV=[ym]' "$out/.config" || die "the grafted kernel has the in-tree Hyper-V drivers on"
log "building the kernel with hvkit built in (incremental; log: $cache/build.log)"
make -C "$src" O="$out" -j"$(nproc)" bzImage modules >"$cache/build.log" 2>&1 ||
	{ tail -n 40 "$cache/build.log"; die "the grafted kernel did not build (log: $cache/build.log)"; }
grep -q 'hvkit_vmbus' "$out/modules.builtin" || die "hvkit_vmbus is not built in (modules.builtin)"

krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$out/include/generated/utsrelease.h")
stamp=$(cat "$out/arch/x86/boot/bzImage" "$out/modules.order" | sha256sum | cut -c1-16)
root=$(kernel_root "$krel")
if [ "$(cat "$root/.key" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$root"
	mkdir -p "$root/boot"
	cp "$out/vmlinux" "$root/boot/vmlinux-$krel.pvh"
	cp "$out/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$krel"
	make -s -C "$src" O="$out" INSTALL_MOD_PATH="$root" modules_install >/dev/null
	echo "$stamp" >"$root/.key"
	touch "$root/.complete"
fi
echo "$stamp_in" >"$cache/.hvkit"
echo "$krel $out"
