#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# MMIO space for devices (vPCI windows and BARs, framebuffers): the host's
# window shows in /proc/iomem, drivers take aligned pieces of it named after
# their device, a request larger than what is free is refused, and pieces
# go back on free and when the device goes.
. /hvkit/lib/tap.sh
tap_plan 6
rmmod hvkit_echo hvkit_sim 2>/dev/null
modprobe hvkit_sim mmio_mb=256 || tap_skip_all "hvkit_sim does not load"
g=$(hvk_echo_add)
t=/sys/bus/vmbus/devices/$g/mmio_test
win=$(grep "hvkit_sim MMIO" /proc/iomem)
if [ -n "$win" ]; then
	tap_ok "the host's MMIO window is in /proc/iomem ($win)"
else
	tap_fail "the host's MMIO window is in /proc/iomem"
fi
wstart=$(echo "$win" | sed 's/^ *\([0-9a-f]*\)-.*/\1/')

echo "$((64 << 20)) $((64 << 20))" >$t && echo "4096 4096" >$t
set -- $(cat $t)
a=$1 b=$3
if [ -n "$a" ] && [ $(( a % (64 << 20) )) = 0 ] && [ $(( $2 - a + 1 )) = $((64 << 20)) ] &&
	[ -n "$b" ] && [ $(( b % 4096 )) = 0 ] && [ $(( a )) -ge $(( 0x$wstart )) ]; then
	tap_ok "pieces of 64 MiB (aligned 64 MiB) and 4 KiB are given inside the window"
else
	tap_fail "pieces of 64 MiB (aligned 64 MiB) and 4 KiB are given inside the window" "$(cat $t); window $win"
fi
n=$(grep -c "$g" /proc/iomem)
[ "$n" = 2 ] && tap_ok "each piece shows in /proc/iomem under the device's name" ||
	tap_fail "each piece shows in /proc/iomem under the device's name" "$(grep -A3 'hvkit_sim MMIO' /proc/iomem)"

if echo "$((256 << 20)) 4096" >$t 2>/dev/null; then
	tap_fail "a piece larger than what is free is refused"
else
	tap_ok "a piece larger than what is free is refused"
fi

echo free >$t
[ -z "$(cat $t)" ] && [ "$(grep -c "$g" /proc/iomem)" = 0 ] && echo "$((192 << 20)) 4096" >$t &&
	tap_ok "freed pieces go back, and the space is there again" ||
	tap_fail "freed pieces go back, and the space is there again" "$(grep -A3 'hvkit_sim MMIO' /proc/iomem)"
hvctl sim remove $g
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"
rmmod hvkit_sim
[ "$(grep -c "$g\|hvkit_sim MMIO" /proc/iomem)" = 0 ] &&
	tap_ok "a removed device's pieces and the host's window are let go" ||
	tap_fail "a removed device's pieces and the host's window are let go" "$(grep -B1 -A3 'hvkit_sim' /proc/iomem)"
tap_done
