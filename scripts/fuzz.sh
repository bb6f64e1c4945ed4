#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fuzz.sh SECONDS: build the libFuzzer targets with clang into build/fuzz
# and run each for SECONDS on its corpus in build/fuzz/corpus/<target>
# (seeded from tests/fuzz/corpus/<target> when present). A crash fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
secs=${1:-60}
b=$top/build/fuzz
CC=clang CXX=clang++ cmake -S "$top" -B "$b" -DHVKIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$top/build/fuzz-cmake.log" 2>&1 ||
	{ cat "$top/build/fuzz-cmake.log"; die "fuzz configure failed"; }
cmake --build "$b" -j"$(nproc)" >"$top/build/fuzz-build.log" 2>&1 ||
	{ cat "$top/build/fuzz-build.log"; die "fuzz build failed"; }
# One target a core at once; the results in the targets' order.
run_one() {
	local f=$1 t c
	t=$(basename "$f")
	c=$b/corpus/$t
	mkdir -p "$c"
	[ -d "$top/tests/fuzz/corpus/$t" ] && cp -n "$top/tests/fuzz/corpus/$t"/* "$c/" 2>/dev/null || true
	if (cd "$b" && "$f" -max_total_time="$secs" -max_len=17000 "$c" >"$b/$t.log" 2>&1); then
		echo "ok $t: $(grep -o 'Done [0-9]* runs' "$b/$t.log" | tail -n1), ${secs}s" >"$b/$t.result"
	else
		{ echo "not ok $t: crash, see $b/$t.log"; tail -n 40 "$b/$t.log"; } >"$b/$t.result"
	fi
}
rm -f "$b"/*.result
for f in "$b"/bin/fuzz_*; do
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
	run_one "$f" &
done
wait
rc=0
for f in "$b"/bin/fuzz_*; do
	r=$b/$(basename "$f").result
	if [ -s "$r" ]; then cat "$r"; else echo "not ok $(basename "$f"): no result"; fi
	grep -q '^ok ' "$r" 2>/dev/null || rc=1
done
exit $rc
