#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A device with sub-channels: the driver asks, the host offers them, each
# opens on its own CPU, traffic spreads over all, and a rescind takes the
# sub-channels down before the primary.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 7
N=4

g=$(hvk_echo_add --channels $N)
d=/sys/bus/vmbus/devices/$g
wait_for 10 sh -c "[ \$(grep -l open $d/channels/*/state | wc -l) = $N ]" &&
	tap_ok "the driver asks for sub-channels and all $N channels open" ||
	tap_fail "the driver asks for sub-channels and all $N channels open" "$(grep . $d/channels/*/state)"
idx=$(cat $d/channels/*/subchannel_id | sort -n | tr '\n' ' ')
[ "$idx" = "0 1 2 3 " ] && tap_ok "sub-channel indices are 0 to $((N - 1))" ||
	tap_fail "sub-channel indices are 0 to $((N - 1))" "got: $idx"
cpus=$(cat $d/channels/*/cpu | sort -u | wc -l)
[ "$cpus" -ge 2 ] && tap_ok "the channels' interrupts go to different CPUs" ||
	tap_fail "the channels' interrupts go to different CPUs" "one CPU for all"
echo "400 1000" >$d/echo_test && grep -q "channels=$N " $d/echo_test &&
	tap_ok "traffic round robin over all $N channels comes back intact" ||
	tap_fail "traffic round robin over all $N channels comes back intact" "$(cat $d/echo_test)"
busy=0
for c in $d/channels/*; do [ "$(cat $c/interrupts)" -gt 0 ] && busy=$((busy + 1)); done
[ $busy = $N ] && tap_ok "every channel carried traffic" ||
	tap_fail "every channel carried traffic" "$busy of $N"
hvctl sim remove $g
wait_for 10 sh -c "! test -e $d && ! hvctl sim list | grep -q $g" &&
	tap_ok "the rescind removes all channels and the host gets every relid back" ||
	tap_fail "the rescind removes all channels and the host gets every relid back" "$(hvctl sim list)"
# A host that rescinds the primary before its sub-channels.
g=$(hvk_echo_add --channels $N)
wait_for 10 sh -c "[ \$(grep -l open /sys/bus/vmbus/devices/$g/channels/*/state | wc -l) = $N ]"
hvctl sim fault rescind_primary_first 1
hvctl sim remove $g
wait_for 10 sh -c "! test -e /sys/bus/vmbus/devices/$g && ! hvctl sim list | grep -q $g" &&
	tap_ok "the primary rescinded before its sub-channels: all go, every relid comes back" ||
	tap_fail "the primary rescinded before its sub-channels: all go, every relid comes back" "$(hvctl sim list)"
tap_done
