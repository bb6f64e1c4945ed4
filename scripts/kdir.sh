#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kdir.sh [--krel]: the kernel build tree for KDIR or KVER (default 6.12),
# or with --krel the release its modules are built for.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ -n "${KDIR:-}" ]; then
	kdir=$KDIR
else
	krel=$(krel_of "${KVER:-6.12}") || die "no headers for kernel ${KVER:-6.12}; run 'make deps'"
	kdir=$(headers_kdir "$krel")
fi
if [ "${1:-}" = --krel ]; then
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h"
else
	echo "$kdir"
fi
