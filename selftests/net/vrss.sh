#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vRSS: a host with N queues grants sub-channels on the guest's NVSP 5
# request; the guest opens them (a queue per CPU by default, ethtool -L's
# count otherwise), and TCP and UDP (iperf3) cross the NIC with 1, 2 and 4
# queues at MTU 1500 and 9000, spread over more than one queue each way
# (per-queue ethtool -S counters). ethtool -L while iperf3 runs reopens
# the device with no Oops and the stream survives; a rescind under iperf3
# load takes everything away cleanly. A host with one queue, or one older
# than NVSP 5, gets no sub-channel request.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
tap_plan 12
trap 'nic_srv_stop; nic_cleanup' EXIT
oops() { hvk_klog_bad; }

# iperf ARGS...: one client run to the peer (nic_iperf).
iperf() { nic_iperf 10.14.0.2 "$@"; }

# qsnap FILE: every per-queue counter now.
qsnap() { ethtool -S "$ifc" | grep -E '_queue_[0-9]+_' >"$1"; }

# qbusy DIR: how many queues' DIR (tx or rx) packet counters grew since
# /tmp/q0 (taken by qsnap).
qbusy() {
	qsnap /tmp/q1
	n=0
	for k in $(sed -n "s/^ *\($1_queue_[0-9]*_packets\):.*/\1/p" /tmp/q1); do
		a=$(sed -n "s/^ *$k: *//p" /tmp/q0)
		b=$(sed -n "s/^ *$k: *//p" /tmp/q1)
		[ "${b:-0}" -gt "${a:-0}" ] && n=$((n + 1))
	done
	echo $n
}

ncpu=$(grep -c ^processor /proc/cpuinfo)
want=$(( ncpu < 4 ? ncpu : 4 ))
nic_add --queues 4 && nic_netns 10.14.0.1 10.14.0.2 &&
	ethtool -l "$ifc" >/tmp/l 2>&1 &&
	[ "$(sed -n '/maximums/,/Current/s/^Combined:[[:space:]]*//p' /tmp/l)" = 4 ] &&
	[ "$(sed -n '/Current/,$s/^Combined:[[:space:]]*//p' /tmp/l)" = $want ] &&
	tap_ok "a 4-queue host: ethtool -l shows 4 at most and a queue per CPU ($want) in use" ||
	tap_fail "a 4-queue host: ethtool -l shows 4 at most and a queue per CPU ($want) in use" \
		"$(cat /tmp/l; dmesg | tail -n 20)"

nic_srv_start &&
	tap_ok "iperf3 serves in the peer's namespace" ||
	tap_fail "iperf3 serves in the peer's namespace" "$(ip addr; in_ns ip addr)"

for q in 1 2 4; do
	bad=
	ethtool -L "$ifc" combined $q || bad="ethtool -L combined $q failed"
	[ -n "$bad" ] || [ "$(ethtool -S "$ifc" | grep -c 'rx_queue_[0-9]*_packets')" = $q ] ||
		bad="ethtool -S does not show $q queues"
	# The debug kernel runs each queue count at one MTU, in turns (its
	# detectors see the paths on their first pass; each run costs four
	# times as much there): 1 queue at 1500, 2 at 9000, 4 at 1500.
	mtus="1500 9000"
	if hvk_debug; then
		[ $q = 2 ] && mtus=9000 || mtus=1500
	fi
	for mtu in $mtus; do
		[ -n "$bad" ] && break
		ip link set "$ifc" mtu $mtu && in_ns ip link set "$peer" mtu $mtu &&
			wait_for 20 ping -c 1 -W 1 10.14.0.2 >/dev/null || { bad="MTU $mtu: no ping"; break; }
		qsnap /tmp/q0
		# Each protocol both ways; on the debug kernel, where each run
		# costs four times as much, one way at MTU 1500 and the other
		# at 9000 (TCP out and UDP in, then TCP in and UDP out).
		tcp="out in" udp="out in"
		if hvk_debug; then
			[ $mtu = 1500 ] && tcp=out udp=in || tcp=in udp=out
		fi
		for d in $tcp; do
			iperf -P 16 $([ $d = in ] && echo -R) || { bad="MTU $mtu: TCP $d: $out"; break; }
		done
		[ -z "$bad" ] || break
		for d in $udp; do
			iperf -u -b 20M $([ $d = in ] && echo -R) || { bad="MTU $mtu: UDP $d: $out"; break; }
		done
		[ -z "$bad" ] || break
		tx=$(qbusy tx)
		rx=$(qbusy rx)
		if [ $q = 1 ]; then
			[ "$tx" = 1 ] && [ "$rx" = 1 ] || bad="MTU $mtu: $tx/$rx queues busy, not 1"
		else
			[ "$tx" -ge 2 ] && [ "$rx" -ge 2 ] ||
				bad="MTU $mtu: $tx queues sent and $rx received, not 2 or more each"
		fi
	done
	[ -z "$bad" ] && [ -z "$(oops)" ] &&
		tap_ok "$q queue(s): TCP both ways and UDP both ways at MTU 1500 and 9000, spread over the queues" ||
		tap_fail "$q queue(s): TCP both ways and UDP both ways at MTU 1500 and 9000, spread over the queues" \
			"$bad; $(cat /tmp/q1 2>/dev/null; oops; dmesg | tail -n 20)"
done
ip link set "$ifc" mtu 1500 && in_ns ip link set "$peer" mtu 1500

ethtool -L "$ifc" combined 5 2>/dev/null &&
	tap_fail "more queues than the host has are refused" "$(ethtool -l $ifc)" ||
	tap_ok "more queues than the host has are refused"

# ethtool -L while a TCP stream runs: the device reopens, the stream lives on.
ethtool -L "$ifc" combined 2
iperf3 -c 10.14.0.2 -t 12 -P 4 >/tmp/long 2>&1 & cl=$!
hvk_sleep 2
bad=
for q in 4 1 3 2; do
	ethtool -L "$ifc" combined $q || bad="ethtool -L combined $q failed"
	hvk_sleep 1
done
wait $cl || bad="$bad; iperf3 failed: $(cat /tmp/long)"
ethtool -l "$ifc" >/tmp/l 2>&1
[ -z "$bad" ] && [ "$(sed -n '/Current/,$s/^Combined:[[:space:]]*//p' /tmp/l)" = 2 ] && wait_for 10 ping -c 1 -W 1 10.14.0.2 >/dev/null && [ -z "$(oops)" ] &&
	tap_ok "ethtool -L under a TCP stream reopens the device each time, and the stream completes" ||
	tap_fail "ethtool -L under a TCP stream reopens the device each time, and the stream completes" \
		"$bad; $(oops; dmesg | tail -n 20)"

ethtool -L "$ifc" combined 4
before=$(hvctl sim nic show | grep "$g" | awk '{print $NF}')
iperf -P 4 && [ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = "$before" ] &&
	tap_ok "the host refused nothing the guest sent on four channels" ||
	tap_fail "the host refused nothing the guest sent on four channels" \
		"$before; $(hvctl sim nic show; dmesg | grep refused | tail)"

# A rescind under load.
iperf3 -c 10.14.0.2 -t 30 -P 4 --bidir >/dev/null 2>&1 & cl=$!
hvk_sleep 3
rx0=$(cat /sys/class/net/$ifc/statistics/rx_packets)
hvctl sim remove "$g" &&
	wait_for 20 hvk_gone "/sys/bus/vmbus/devices/$g" &&
	wait_for 10 hvk_gone "/sys/class/net/$ifc" &&
	wait_for 10 sh -c "! nsenter -t $ns -n ip link show $peer >/dev/null 2>&1" &&
	[ "$rx0" -gt 10 ] && [ -z "$(oops)" ] &&
	tap_ok "a rescind under iperf3 load on four queues takes the device and the host's peer away, no Oops" ||
	tap_fail "a rescind under iperf3 load on four queues takes the device and the host's peer away, no Oops" \
		"rx before: $rx0; $(ls /sys/class/net; oops; dmesg | tail -n 20)"
kill $cl 2>/dev/null
wait $cl 2>/dev/null
nic_srv_stop
nic_cleanup

nic_add --queues 4 && nic_netns 10.14.0.1 10.14.0.2 && ethtool -L "$ifc" combined 4 &&
	ping -c 2 -W 5 10.14.0.2 >/dev/null &&
	tap_ok "a new 4-queue offer works after the rescind" ||
	tap_fail "a new 4-queue offer works after the rescind" "$(ethtool -l $ifc; dmesg | tail -n 20)"
hvctl sim remove "$g"
nic_cleanup

# Hosts without vRSS: one queue, or NVSP 4.
for h in "--queues 1" "--queues 4 --nvsp-max 4.0"; do
	# shellcheck disable=SC2086
	nic_add $h && nic_netns 10.14.0.1 10.14.0.2 &&
		[ "$(ethtool -l "$ifc" | sed -n '/maximums/,/Current/s/^Combined:[[:space:]]*//p')" = 1 ] &&
		ping -c 2 -W 5 10.14.0.2 >/dev/null && ! ethtool -L "$ifc" combined 2 2>/dev/null &&
		tap_ok "a host with $h offers one queue, and ethtool -L cannot add one" ||
		tap_fail "a host with $h offers one queue, and ethtool -L cannot add one" \
			"$(ethtool -l $ifc; dmesg | tail -n 20)"
	hvctl sim remove "$g"
	nic_cleanup
done
