# SPDX-License-Identifier: GPL-2.0
# TAP helpers for guest selftests written in sh. Source it, then:
#   tap_plan 3
#   tap_ok "name of the behaviour"          or  tap_fail "name" "what was seen"
#   tap_check "name" command args...        ok if the command succeeds
#   tap_skip "name" "reason"
#   tap_skip_all "reason"                   the whole test does not apply
#   tap_done                                exit 0 if all passed, else 1
# Name each result after the behaviour, not the function.
_tap_n=0
_tap_failed=0

tap_plan() { echo "1..$1"; }
tap_ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n $1"; }
tap_fail() {
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/# /'
}
tap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then tap_ok "$name"; else tap_fail "$name" "$* failed: $out"; fi
}
tap_skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n $1 # SKIP $2"; }
tap_skip_all() { echo "1..0"; echo "# SKIP $1"; exit 4; }
tap_done() { [ "$_tap_failed" -eq 0 ]; exit $?; }

# The hvkit modules installed in this guest (make install's updates/hvkit;
# the test modules are in extra/).
hvk_modules() {
	for f in /lib/modules/$(uname -r)/updates/hvkit/hvkit_*.ko; do
		basename "$f" .ko
	done
}

# hvk_sleep SECONDS (fractions too): sleep without starting a process.
# sleep(1) is a fork and exec, about 6 ms of CPU under TCG and 60 to 80 ms
# on the debug kernel, which a polling loop pays ten times a second out of
# the time the test's own work needs; ash's read builtin waits out its
# timeout on a FIFO that nobody writes (opened read-write, so it neither
# blocks on open nor sees an end of file).
hvk_sleep() {
	[ -p /tmp/.hvk_sleep ] || mkfifo /tmp/.hvk_sleep 2>/dev/null || [ -p /tmp/.hvk_sleep ] ||
		{ sleep "$1"; return 0; }
	read -r -t "$1" _hvk_sleep <>/tmp/.hvk_sleep
	return 0
}

# wait_for SECONDS command...: poll until the command succeeds, every
# 0.1 s for the first 2 s, then every 0.5 s (a poll of sh -c is a process
# or more, and a long wait would spend the CPUs its test waits on).
wait_for() {
	local t=$(( $1 * 10 )) n=0 step
	shift
	while [ $t -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		step=1
		[ $n -lt 20 ] || step=5
		[ $step -le $t ] || step=$t
		hvk_sleep 0.$step
		t=$((t - step)) n=$((n + 1))
	done
	"$@" 2>/dev/null
}

# hvk_exists PATTERN: a path matches the (quoted) glob; hvk_gone PATH: it
# does not exist. Builtins, for wait_for: no process per poll.
hvk_exists() {
	local f
	for f in $1; do
		[ -e "$f" ] && return 0
	done
	return 1
}
hvk_gone() {
	local f
	for f in "$@"; do
		[ ! -e "$f" ] || return 1
	done
}

# hvk_debug: true on the debug kernel (make check-debug: kmemleak is there).
hvk_debug() { [ -e /sys/kernel/debug/kmemleak ]; }

# hvk_slab_kb: unreclaimable slab (kB), caches dropped first.
hvk_slab_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	hvk_sleep 1
	sed -n 's/^SUnreclaim: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

# hvk_leaks: on the debug kernel, a kmemleak scan's first hvkit objects
# (empty: none, or no kmemleak). A leak test judges the debug kernel by
# this (KASAN's quarantine holds freed slab), another by hvk_slab_kb.
hvk_leaks() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	echo scan >/sys/kernel/debug/kmemleak
	grep -A12 unreferenced /sys/kernel/debug/kmemleak | grep -i hvk | head -5
}

# hvk_scale N: how many rounds a loop makes, or how many MiB a transfer
# moves: N on an ordinary kernel, a quarter of it (at least 2) on a debug
# kernel (kmemleak is there). Each round costs 3 to 10 times as much
# there, and its detectors (KASAN, kmemleak, lockdep) report on the first
# round what the rounds look for by repetition on an ordinary kernel.
hvk_scale() {
	if hvk_debug; then
		[ $(($1 / 4)) -ge 2 ] && echo $(($1 / 4)) || echo 2
	else
		echo "$1"
	fi
}

# An echo device on the simulated host, bound to hvkit_echo: prints its GUID.
hvk_echo_add() {
	local g
	g=$(hvctl sim add echo "$@") || return 1
	# The driver's attributes appear once its probe has returned (the
	# driver link and channels/ exist before), and the probe returns with
	# every channel open.
	wait_for 20 test -e "/sys/bus/vmbus/devices/$g/echo_test" || return 1
	echo "$g"
}

# hvk_klog_bad [ERE]: the kernel log's lines reporting a problem (by
# default an Oops, BUG, WARNING, general protection fault or refcount_t
# report), leaving out a single-step #DB that QEMU's multi-threaded TCG
# leaked into the guest kernel: the exc_debug_kernel WARNING and its trace,
# as run.sh leaves it out (docs/testing.md). Prints nothing when clean.
hvk_klog_bad() {
	dmesg | awk '/WARNING: .* at arch\/x86\/kernel\/traps\.c:[0-9]+ exc_debug_kernel\+/ { skip = 1 }
		skip { if ($0 ~ /---\[ end trace/) skip = 0; next }
		{ print }' | grep -E "${1:-Oops|BUG:|WARNING:|general protection|refcount_t}"
}
