#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# GPA-direct buffers mapped with the DMA API on a VMBus device, as a driver
# for an isolated (SEV-SNP, TDX) guest maps them. Booted with swiotlb=force
# (make check boots such a guest for this test) every segment is a bounce
# buffer: the host must read what the map copied there, and what the host
# writes must reach the driver's buffer at the unmap.
. /hvkit/lib/tap.sh
rmmod hvkit_echo hvkit_sim 2>/dev/null
modprobe hvkit_echo subchannels=0 && modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 3
forced=0
grep -q 'swiotlb=force' /proc/cmdline && forced=1

g=$(hvk_echo_add) || tap_skip_all "no echo device"
d=/sys/bus/vmbus/devices/$g
for size in 1 4096 70000; do
	if echo $size >$d/dma_test; then
		r=$(cat $d/echo_test)
	else
		r="$(cat $d/echo_test) (write failed)"
	fi
	b=$(echo "$r" | sed -n 's/.*bounced=\([0-9]*\).*/\1/p')
	if [ $forced = 1 ]; then
		want="bounced through swiotlb"
		case "$r" in "ok dma size=$size "*) [ "${b:-0}" -gt 0 ] ;; *) false ;; esac
	else
		want="mapped in place"
		case "$r" in "ok dma size=$size "*) [ "${b:-1}" = 0 ] ;; *) false ;; esac
	fi && tap_ok "a $size-byte DMA-mapped buffer ($want) is read and written by the host intact" ||
		tap_fail "a $size-byte DMA-mapped buffer ($want) is read and written by the host intact" "$r"
done
hvctl sim remove $g
wait_for 10 hvk_gone "$d"
rmmod hvkit_echo hvkit_sim
tap_done
