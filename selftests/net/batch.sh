#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Batched sends: pktgen sends 64-byte frames in bursts (the stack's
# xmit_more), which the NIC writes to its ring unpublished and publishes
# once a burst; every frame of every burst reaches the host's end, the
# last burst included, and the host refuses none.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
modprobe pktgen 2>/dev/null || tap_skip_all "no pktgen in the guest kernel"
tap_plan 3
trap 'echo reset >/proc/net/pktgen/pgctrl 2>/dev/null; nic_cleanup' EXIT

pg() { echo "$2" >"/proc/net/pktgen/$1"; }
# The peer's received packets and MAC, seen from its namespace (/sys is not).
peer_rx() { in_ns sed -n "s/^ *$peer: *[0-9]* *\([0-9]*\).*/\1/p" /proc/net/dev; }
peer_mac() { in_ns ip link show "$peer" | sed -n 's/.*ether \([0-9a-f:]*\).*/\1/p'; }

nic_add --queues 1 && nic_netns 10.15.0.1 10.15.0.2 && ping -c 1 -W 5 10.15.0.2 >/dev/null &&
	tap_ok "a nic with its peer in a namespace" ||
	tap_fail "a nic with its peer in a namespace" "$(dmesg | tail -n 20)"

# pktgen [COUNT BURST]: one run on the guest NIC, to the peer's MAC.
pktgen_run() {
	pg pgctrl reset
	pg kpktgend_0 "add_device $ifc"
	pg "$ifc" "count $1"
	pg "$ifc" "burst $2"
	pg "$ifc" "pkt_size 64"
	pg "$ifc" "dst 10.15.0.2"
	pg "$ifc" "dst_mac $(peer_mac)"
	pg pgctrl start
}

count=$(hvk_scale 20000)
b0=$(nic_stat tx_batched)
r0=$(peer_rx)
ref0=$(hvctl sim nic show | grep "$g" | awk '{print $NF}')
pktgen_run $count 16
b1=$(nic_stat tx_batched)
# The host's end counts what it took from the ring: every frame, at once.
t=0
while [ "$(peer_rx)" -lt $((r0 + count)) ] && [ $t -lt 100 ]; do
	hvk_sleep 0.1
	t=$((t + 1))
done
r1=$(peer_rx)
[ $((b1 - b0)) -ge $((count * 15 / 16 - 16)) ] &&
	tap_ok "pktgen bursts of 16 are written batched (xmit_more): $((b1 - b0)) of $count frames" ||
	tap_fail "pktgen bursts of 16 are written batched (xmit_more): $((b1 - b0)) of $count frames" \
		"$(cat /proc/net/pktgen/$ifc; ethtool -S $ifc)"

[ $((r1 - r0)) -ge $count ] && [ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = "$ref0" ] &&
	tap_ok "every batched frame reaches the host's end, the last burst too, none refused" ||
	tap_fail "every batched frame reaches the host's end, the last burst too, none refused" \
		"sent $count, the peer got $((r1 - r0)); $(hvctl sim nic show; ethtool -S $ifc; dmesg | tail)"
