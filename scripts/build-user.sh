#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-user.sh [cmake -D options...]: configure and build userspace and the
# host tests into build/user. Quiet unless it fails (log: build/user.log).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/build"
log=$top/build/user.log
if ! { cmake -S "$top" -B "$top/build/user" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
	cmake --build "$top/build/user" -j"$(nproc)"; } >"$log" 2>&1; then
	cat "$log"
	echo "hvkit: error: userspace build failed (log: build/user.log)" >&2
	exit 1
fi
