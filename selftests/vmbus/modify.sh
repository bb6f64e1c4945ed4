#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A channel's interrupts move to another CPU (MODIFYCHANNEL) where the
# protocol allows it: confirmed from 5.3, unconfirmed on 4.1, refused on 4.0.
. /hvkit/lib/tap.sh
[ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ] || tap_skip_all "needs two CPUs"
tap_plan 6

host_cpu() { hvctl sim list | awk -v g="$1" '$2 == g { print $6 }'; }

setup() {
	rmmod hvkit_echo hvkit_sim hvkit_vmbus 2>/dev/null
	modprobe hvkit_sim "$@" && g=$(hvk_echo_add) &&
		c=$(ls -d /sys/bus/vmbus/devices/$g/channels/*)
}

setup
err=
for cpu in 1 0 1; do
	echo $cpu >$c/cpu || { err="write $cpu failed"; break; }
	[ "$(cat $c/cpu)" = $cpu ] || { err="reads back $(cat $c/cpu), not $cpu"; break; }
	[ "$(host_cpu $g)" = $cpu ] || { err="the host signals CPU $(host_cpu $g), not $cpu"; break; }
	echo "20 500" >/sys/bus/vmbus/devices/$g/echo_test || { err="echo on CPU $cpu failed"; break; }
done
[ -z "$err" ] && tap_ok "on 5.3 the channel moves between CPUs, confirmed, and keeps working" ||
	tap_fail "on 5.3 the channel moves between CPUs, confirmed, and keeps working" "$err"
echo 4096 >$c/cpu 2>/dev/null && tap_fail "a CPU that does not exist is refused" ||
	tap_ok "a CPU that does not exist is refused"
[ "$(cat $c/cpu)" = 1 ] && tap_ok "a refused move leaves the channel where it was" ||
	tap_fail "a refused move leaves the channel where it was" "cpu $(cat $c/cpu)"

setup max_version=0x40001
echo 0 >$c/cpu
[ "$(cat $c/cpu)" = 0 ] && wait_for 5 sh -c "[ \$(hvctl sim list | awk -v g=$g '\$2 == g { print \$6 }') = 0 ]" &&
	tap_ok "on 4.1 the move is sent unconfirmed and the host follows" ||
	tap_fail "on 4.1 the move is sent unconfirmed and the host follows" "guest $(cat $c/cpu), host $(host_cpu $g)"
echo "20 500" >/sys/bus/vmbus/devices/$g/echo_test && tap_ok "on 4.1 the moved channel works" ||
	tap_fail "on 4.1 the moved channel works" "$(cat /sys/bus/vmbus/devices/$g/echo_test)"

setup max_version=0x40000
before=$(cat $c/cpu)
other=$((1 - before))
echo $other >$c/cpu 2>/dev/null && tap_fail "on 4.0, which lacks MODIFYCHANNEL, the move is refused" ||
	tap_ok "on 4.0, which lacks MODIFYCHANNEL, the move is refused"
tap_done
