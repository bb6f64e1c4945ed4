#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host messages in bursts: eight devices make and tear down GPADLs at once,
# so the host often finds the guest's SynIC slot busy and sets the pending
# flag from another CPU while the guest's handler frees the slot. No EOM may
# be lost (a lost one stalls every later message: a request times out).
. /hvkit/lib/tap.sh
[ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ] || tap_skip_all "needs two CPUs"
tap_plan 3
mount -t debugfs none /sys/kernel/debug 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
dbg=/sys/kernel/debug/hvkit_sim
devs=
for i in 1 2 3 4 5 6 7 8; do
	devs="$devs $(hvk_echo_add)"
done
p0=$(cat $dbg/pending)
rounds=60
pids=
for g in $devs; do
	(
		i=0
		while [ $i -lt $rounds ]; do
			echo 8192 >/sys/bus/vmbus/devices/$g/gpadl_test || { echo "fail $g round $i"; exit 1; }
			i=$((i + 1))
		done
	) >/tmp/storm.$g 2>&1 &
	pids="$pids $!"
done
bad=0
for p in $pids; do wait $p || bad=$((bad + 1)); done
p1=$(cat $dbg/pending)
[ $bad = 0 ] && tap_ok "8 x $rounds GPADLs made and torn down at once, none timed out" ||
	tap_fail "8 x $rounds GPADLs made and torn down at once, none timed out" "$bad devices failed: $(cat /tmp/storm.* | head -n 3)"
[ $((p1 - p0)) -gt 0 ] && tap_ok "the host found the slot busy and flagged pending $((p1 - p0)) times" ||
	tap_fail "the host found the slot busy and flagged pending" "pending $p0 -> $p1: the race was not exercised"
e=$(cat $dbg/eoms)
[ "$e" -gt 0 ] && tap_ok "the guest answered pending flags with EOM ($e)" ||
	tap_fail "the guest answered pending flags with EOM" "eoms: $e"
tap_done
