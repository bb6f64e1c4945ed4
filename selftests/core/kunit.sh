#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites of the core's pure logic (ring, message validation,
# GPADL splitting) and the integration services' (IC negotiation, the
# shutdown and time sync checks; hvkit_kunit pulls hvkit_utils in), where
# the kernel has KUnit: make check-debug's kernel.
. /hvkit/lib/tap.sh
[ -e /lib/modules/$(uname -r)/extra/hvkit_kunit.ko ] ||
	tap_skip_all "this kernel has no KUnit (make check-debug runs these)"
suites="hvkit_ring hvkit_chanmsg hvkit_gpadl hvkit_ic hvkit_sdts"
tap_plan 6
modprobe hvkit_kunit
for s in $suites; do
	r=/sys/kernel/debug/kunit/$s/results
	if [ -r $r ] && ! grep -q 'not ok' $r && grep -q "^ok [0-9]* $s" $r; then
		tap_ok "KUnit suite $s passes"
	else
		tap_fail "KUnit suite $s passes" "$(cat $r 2>/dev/null || echo "no results for $s")"
	fi
done
# What modprobe pulled in goes with it: the next test starts from nothing.
modprobe -r hvkit_kunit
left=$(grep -o '^hvkit_[a-z_]*' /proc/modules | tr '\n' ' ')
[ -z "$left" ] && tap_ok "hvkit_kunit unloads with what it pulled in" ||
	tap_fail "hvkit_kunit unloads with what it pulled in" "still loaded: $left"
tap_done
