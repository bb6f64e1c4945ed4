#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms-build.sh KDIR: dkms.conf's MAKE[0]. Builds hvkit's modules in the
# source tree this script sits in (as make install-src lays it out, under
# /usr/src/hvkit-<version>, or dkms's copy of it) against the kernel build
# tree KDIR: the compile probes of drivers/compat first, then kbuild. The
# .ko files stay beside their sources (drivers/vmbus/hvkit_vmbus.ko ...).
set -euo pipefail
die() { printf 'dkms-build: error: %s\n' "$*" >&2; exit 1; }
[ $# = 1 ] || die "usage: dkms-build.sh KDIR"
kdir=$1
tree=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$kdir/Makefile" ] || die "$kdir is not a kernel build tree (no Makefile): install the kernel's headers"
[ -f "$tree/Kbuild" ] && [ -d "$tree/drivers/compat/probes" ] || die "$tree is not an hvkit source tree"
bash "$tree/scripts/compat-probe.sh" "$kdir" "$tree/drivers/compat/probes" \
	"$tree/drivers/compat/generated/probed.h"
make -C "$kdir" M="$tree" -j"$(nproc)" modules
