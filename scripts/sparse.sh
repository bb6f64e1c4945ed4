#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sparse.sh KDIR: run sparse (C=2: every file) over hvkit's modules and fail
# on any warning in hvkit's own sources.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# W=1 KCFLAGS=-Werror as make check builds: the objects are then reused
# and only sparse runs (other flags would rebuild every object first).
"$top/scripts/build-modules.sh" "$1" W=1 KCFLAGS=-Werror C=2 >/dev/null 2>"$log" || { cat "$log"; die "build failed under sparse"; }
# Only hvkit's files: headers of the kernel itself are not ours to fix.
if grep -E '^(/[^:]*build/kmod/|drivers/|selftests/|include/)[^:]*:[0-9]+:[0-9]+: (warning|error):' "$log"; then
	die "sparse reports the warnings above"
fi
echo "sparse: clean"
