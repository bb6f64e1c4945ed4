#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in a guest (selftests/run.sh --script scripts/bench-rsc-guest.sh
# [SECONDS [ROUNDS]]): TCP from hvsim<N>'s namespace to the synthetic NIC
# (iperf3 -R, 1 and 4 streams, a queue per CPU), RSC on (ethtool -K lro
# on) against off, alternating within each round in one boot; the best
# of ROUNDS (default 3) runs of SECONDS (default 5) each counts, and the
# ratio on/off is printed (above 1: RSC helps). Under TCG absolute
# figures mean little; the ratio is what to compare.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
secs=${1:-5}
rounds=${2:-3}
command -v iperf3 >/dev/null || { echo "no iperf3 in the guest"; exit 1; }
modprobe hvkit_sim || exit 1
trap nic_cleanup EXIT
nic_add --queues "$(nproc)" && nic_netns 10.77.0.1 10.77.0.2 || { echo "no synthetic NIC"; exit 1; }
in_ns iperf3 -s -D >/dev/null 2>&1
wait_for 20 ping -c 1 -W 1 10.77.0.2 >/dev/null &&
	wait_for 10 sh -c "nsenter -t $ns -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1451 '" ||
	{ echo "iperf3 does not serve in the peer's namespace"; exit 1; }
[ "$(ethtool -k "$ifc" | sed -n 's/^large-receive-offload: *//p')" = on ] ||
	{ echo "the host grants no RSC"; exit 1; }
best_on1=0 best_off1=0 best_on4=0 best_off4=0
# run STREAMS: Mbit/s received by the guest.
run() {
	iperf3 -c 10.77.0.2 -R -t "$secs" -P "$1" -f m 2>/dev/null | grep receiver | tail -n 1 |
		awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") print int($i) }'
}
r=0
while [ $r -lt "$rounds" ]; do
	for mode in on off; do
		ethtool -K "$ifc" lro $mode
		for p in 1 4; do
			v=$(run $p)
			v=${v:-0}
			eval "b=\$best_$mode$p"
			[ "$v" -gt "$b" ] && eval "best_$mode$p=$v"
			echo "round $r, RSC $mode, $p stream(s): $v Mbit/s"
		done
	done
	r=$((r + 1))
done
ethtool -K "$ifc" lro on
ratio() { awk "BEGIN { printf \"%.2f\", $1 / ($2 > 0 ? $2 : 1) }"; }
echo "rx_rsc $(nic_stat rx_rsc), bad_rsc $(nic_stat bad_rsc)"
echo "peer->guest TCP, 1 stream: RSC on $best_on1, off $best_off1 Mbit/s: $(ratio $best_on1 $best_off1)x"
echo "peer->guest TCP, 4 streams: RSC on $best_on4, off $best_off4 Mbit/s: $(ratio $best_on4 $best_off4)x"
nic_finish
