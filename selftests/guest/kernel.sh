#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh KREL: prints the path of a bootable kernel for KREL. Debian's
# kernels have CONFIG_PVH, so the ELF vmlinux inside the bzImage boots
# straight from QEMU's -kernel, about twice as fast as through the BIOS;
# it is extracted once into the cache. Falls back to the bzImage.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
krel=$1
root=$(kernel_root "$krel")
ensure_kernel_image "$krel"
bz=$root/boot/vmlinuz-$krel
elf=$root/boot/vmlinux-$krel.pvh
# The payload is xz (6.1) or zstd (6.12): find its magic, decompress from
# there and keep the result if it is an ELF with the PVH (Xen) entry note.
try_unpack() {
	local magic=$1 tool=$2 off
	off=$(LC_ALL=C grep -obUaP "$magic" "$bz" | head -n1 | cut -d: -f1 || true)
	[ -n "$off" ] || return 1
	tail -c +"$((off + 1))" "$bz" | $tool -dc 2>/dev/null >"$elf.tmp" || true
	if [ "$(head -c 4 "$elf.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
		readelf -n "$elf.tmp" 2>/dev/null | grep -q Xen; then
		mv "$elf.tmp" "$elf"
		return 0
	fi
	rm -f "$elf.tmp"
	return 1
}
if [ ! -s "$elf" ]; then
	try_unpack '\xfd7zXZ\x00' xz || try_unpack '\x28\xb5\x2f\xfd' zstd || true
fi
if [ -s "$elf" ]; then echo "$elf"; else echo "$bz"; fi
