#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The host's RSS hash reaches the stack (NETIF_F_RXHASH): with vRSS on, the
# host sends each frame's Toeplitz hash as NBL_HASH_VALUE per-packet info,
# and the guest sets it as the skb's L4 hash, as upstream. The hash each
# frame carries into GRO (the napi_gro_receive_entry trace event) is the
# one that chose its queue: the guest's indirection table names, for it,
# the queue the frame came on. ethtool -K rxhash off: no hash; on: again.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs tracefs $T 2>/dev/null
ev=$T/events/net/napi_gro_receive_entry
[ -d $ev ] || tap_skip_all "no napi_gro_receive_entry trace event (tracefs)"
tap_plan 5
trap 'nic_srv_stop; nic_cleanup; echo 0 >$ev/enable' EXIT
# The event is enabled once, before the NIC exists, and disabled once, after
# it is gone; between captures its filter passes nothing. Enabling a trace
# event patches the receive path's code on every CPU, and this test, the
# only one that did so, and did it around each capture, is where the guest
# froze, three times in many runs, under QEMU's multi-threaded TCG (stock
# and debug, docs/testing.md). Now no code is patched while the NIC carries
# traffic.
none='protocol == 0 && protocol == 1'
echo "$none" >$ev/filter
echo 1 >$ev/enable

# capture: TCP from the host (iperf3 -R, 4 streams, 1 s); the IPv4 frames
# $ifc took in meanwhile, "queue hash l4_hash" a line, in /tmp/rx.cap.
capture() {
	echo "name == \"$ifc\" && protocol == 2048" >$ev/filter
	echo >$T/trace
	iperf3 -c 10.23.0.2 -t 1 -R -P 4 >/tmp/ip.log 2>&1
	echo "$none" >$ev/filter
	sed -n 's/.* queue_mapping=\([0-9]*\) .* hash=0x\([0-9a-f]*\) l4_hash=\([01]\) .*/\1 \2 \3/p' \
		$T/trace >/tmp/rx.cap
}
# judge: "frames wrong hashes" over /tmp/rx.cap: a frame is wrong unless it
# has an L4 hash for which the indirection table names the queue it came
# on (queue_mapping is the queue + 1); hashes: how many distinct ones.
judge() {
	ethtool -x "$ifc" | sed -n 's/^ \{1,\}[0-9]\{1,\}: *//p' | tr -s ' ' '\n' | grep . >/tmp/itab
	awk 'function hx(s,  v, i) {
		v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	NR == FNR { t[NR - 1] = $1; n_t++; next }
	{ n++; if (!($2 in seen)) { seen[$2] = 1; d++ }
	  if ($3 != 1 || n_t != 128 || t[hx($2) % 128] != $1 - 1) bad++ }
	END { printf "%d %d %d\n", n, bad, d }' /tmp/itab /tmp/rx.cap
}

nic_add --queues 4 && nic_netns 10.23.0.1 10.23.0.2 && ethtool -L "$ifc" combined 4 &&
	wait_for 10 ping -c 1 -W 1 10.23.0.2 >/dev/null && nic_srv_start &&
	[ "$(nic_feat receive-hashing)" = on ] &&
	tap_ok "a NIC with 4 queues, its peer serving iperf3; receive-hashing on by default" ||
	tap_fail "a NIC with 4 queues, its peer serving iperf3; receive-hashing on by default" \
		"ifc ${ifc:-none}: $(ethtool -k "${ifc:-eth0}" 2>&1 | grep hash); $(dmesg | tail -5)"

capture
read -r n bad d <<EOF
$(judge)
EOF
[ "$n" -gt 20 ] && [ "$bad" = 0 ] &&
	tap_ok "each of $n frames from the host carries an L4 hash for which the indirection table names its queue" ||
	tap_fail "each frame from the host carries an L4 hash for which the indirection table names its queue" \
		"$n frames, $bad wrong; $(head -5 /tmp/rx.cap); $(tail -3 /tmp/ip.log)"
[ "$d" -ge 2 ] &&
	tap_ok "4 flows carry $d distinct hashes" ||
	tap_fail "4 flows carry distinct hashes" "$d distinct in $n frames; $(sort -u -k2,2 /tmp/rx.cap | head)"

ethtool -K "$ifc" rxhash off && [ "$(nic_feat receive-hashing)" = off ] && capture &&
	n=$(wc -l </tmp/rx.cap) && [ "$n" -gt 20 ] && ! grep -qv ' 00000000 0$' /tmp/rx.cap &&
	tap_ok "ethtool -K rxhash off: none of $n frames has a hash" ||
	tap_fail "ethtool -K rxhash off: no frame has a hash" "${n:-0} frames; $(grep -v ' 00000000 0$' /tmp/rx.cap | head -5)"

ethtool -K "$ifc" rxhash on && capture
read -r n bad d <<EOF
$(judge)
EOF
[ "$(nic_feat receive-hashing)" = on ] && [ "$n" -gt 20 ] && [ "$bad" = 0 ] &&
	tap_ok "rxhash on again: each of $n frames carries the host's hash" ||
	tap_fail "rxhash on again: the frames carry the host's hash" "$n frames, $bad wrong; $(head -5 /tmp/rx.cap)"
tap_done
