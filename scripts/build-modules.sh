#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-modules.sh KDIR [extra kbuild args...]
# Builds every hvkit module against KDIR. Kbuild runs in a copy of the
# kernel sources under build/kmod/<release>/, so one checkout builds for
# several kernels at once and the source tree stays free of objects.
# Prints the directory that holds the .ko files.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -d "${1:-}" ] || die "KDIR=${1:-} is not a directory (usage: build-modules.sh KDIR [kbuild args])"
kdir=$(readlink -f "$1"); shift
[ -f "$kdir/Makefile" ] || die "KDIR=$kdir is not a kernel build tree (no Makefile)"
# The release modules are built for (their vermagic), e.g. 6.1.0-56-amd64.
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$krel" ] || die "KDIR=$kdir has no include/generated/utsrelease.h; run 'make modules_prepare' there first"
out=$top/build/kmod/$krel
mkdir -p "$out"
# Sources only; rsync keeps timestamps so kbuild rebuilds what changed.
rsync -a --delete --exclude generated/ --exclude '*.o' --exclude '*.ko' \
	--exclude '.*.cmd' --exclude '*.mod*' --exclude 'modules.order' \
	--exclude Module.symvers --exclude '*.md' \
	--include '*/' --include 'Kbuild' --include '*.c' --include '*.h' --exclude '*' \
	"$top/Kbuild" "$top/drivers" "$top/include" "$out/" >/dev/null
mkdir -p "$out/selftests"
rsync -a --delete --include '*/' --include 'Kbuild' --include '*.c' --include '*.h' \
	--exclude '*' "$top/selftests/kmod" "$out/selftests/" >/dev/null
"$top/scripts/compat-probe.sh" "$kdir" "$top/drivers/compat/probes" \
	"$out/drivers/compat/generated/probed.h"
quiet=(-s --no-print-directory)
case " $* " in *" V=1 "*) quiet=() ;; esac
# Kbuild runs one job unless told: a job per CPU (make check's module
# builds and sparse's pass took 91 + 79 + 26 s on CI's 2 cores with one),
# unless a make above us runs a jobserver (make -jN ...).
jobs=(-j"$(nproc)")
case "${MAKEFLAGS:-}" in *j*) jobs=() ;; esac
make "${quiet[@]}" "${jobs[@]}" -C "$kdir" M="$out" "$@" modules >&2
echo "$out"
