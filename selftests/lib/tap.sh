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

# wait_for SECONDS command...: poll until the command succeeds.
wait_for() {
	local t=$(( $1 * 10 ))
	shift
	while [ $t -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# hvk_debug: true on the debug kernel (make check-debug: kmemleak is there).
hvk_debug() { [ -e /sys/kernel/debug/kmemleak ]; }

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
