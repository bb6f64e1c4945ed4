#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the bench guest (make bench): the synthetic NIC (hvkit_netvsc,
# its peer the sim's hvsim<N> in another namespace) against two references
# in the same boot: a veth pair (the ceiling of an in-kernel path) and two
# virtio-net devices joined by a QEMU hub (what a user would pick instead:
# vfpeer from selftests/config, and a second one hot-plugged by QMP on the
# same hub). Each pair: TCP with 1 and 4 streams (Mbit/s, iperf3), 64-byte
# frames of UDP (packets per second received), and the round trip (ping,
# microseconds). Then the synthetic NIC's ratio to each (above 1: better).
# Under TCG absolute numbers mean little; the ratios are what to compare.
# bench-net-guest.sh [SECONDS [ROUNDS]]: each run's length (default 5 s)
# and how many rounds (default 2; the best of them counts).
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
. /hvkit/lib/qmp.sh
secs=${1:-5}
rounds=${2:-2}
command -v iperf3 >/dev/null || { echo "no iperf3 in the guest"; exit 1; }
modprobe hvkit_sim || exit 1
modprobe veth || exit 1
modprobe virtio_pci 2>/dev/null
modprobe virtio_net

# A pair: the client end here (10.<n>.0.1), the server end in a namespace
# of its own (10.<n>.0.2), iperf3 serving there. NS_<name> is its pid.
ns_new() {
	unshare -n sleep 100000 &
	eval "ns_$1=$!"
	wait_for 10 sh -c "[ \"\$(readlink /proc/$!/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
}
pair() {	# NAME NET LOCAL_IF REMOTE_IF
	local p
	ns_new "$1" || return 1
	eval "p=\$ns_$1"
	ip link set "$4" netns "$p" &&
		nsenter -t "$p" -n ip link set lo up &&
		nsenter -t "$p" -n ip addr add "10.$2.0.2/24" dev "$4" &&
		nsenter -t "$p" -n ip link set "$4" up &&
		ip addr add "10.$2.0.1/24" dev "$3" && ip link set "$3" up &&
		nsenter -t "$p" -n iperf3 -s -D >/dev/null 2>&1 &&
		wait_for 20 ping -c 1 -W 1 "10.$2.0.2" >/dev/null &&
		wait_for 10 sh -c "nsenter -t $p -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1451 '"
}
cleanup() {
	for p in $ns_hvkit $ns_veth $ns_virtio; do kill "$p" 2>/dev/null; done
	[ -z "$vid" ] || hvk_qmp_device_del "$vid" >/dev/null
}
ns_hvkit= ns_veth= ns_virtio= vid=
trap cleanup EXIT

pairs=
nic_add --queues "$(nproc)" || { echo "no synthetic NIC"; exit 1; }
pair hvkit 77 "$ifc" "$peer" && pairs="hvkit_netvsc:77" || echo "the synthetic NIC's pair did not come up"
# busybox's ip names only the first end: the peer is found by its index.
vpeer=
if ip link add hvkb0 type veth; then
	for d in /sys/class/net/*; do
		[ "$(cat "$d/ifindex")" = "$(cat /sys/class/net/hvkb0/iflink)" ] && vpeer=${d##*/}
	done
fi
[ -n "$vpeer" ] && pair veth 78 hvkb0 "$vpeer" && pairs="$pairs veth:78" || echo "no veth pair"
# virtio-net: vfpeer (cold) and one more on its hub, hot-plugged.
macof() { for d in /sys/class/net/*; do [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && echo "${d##*/}"; done; }
wait_for 10 grep -qx 52:54:00:76:66:01 /sys/class/net/*/address
vp=$(macof 52:54:00:76:66:01)
if [ -n "$vp" ] && hvk_qmp_device_add '"driver":"virtio-net-pci","id":"hvkbench","netdev":"hvkvf","mac":"52:54:00:76:66:02"' >/dev/null; then
	vid=hvkbench
	wait_for 30 sh -c "grep -qx 52:54:00:76:66:02 /sys/class/net/*/address"
	vb=$(macof 52:54:00:76:66:02)
	pair virtio 79 "$vb" "$vp" && pairs="$pairs virtio-net:79" || echo "the virtio-net pair did not come up"
else
	echo "no virtio-net pair (no vfpeer in selftests/config, or no QMP)"
fi

# run TEST NET: one number.
run() {
	local out
	case $1 in
	tcp1|tcp4)
		out=$(iperf3 -c "10.$2.0.2" -t "$secs" -P "${1#tcp}" -f m 2>/dev/null | grep receiver | tail -n 1)
		echo "$out" | awk '{ for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") { print $(i - 1); exit } } END { if (!NR) print 0 }' ;;
	udp64)
		# 22 bytes of payload: a 64-byte frame (14 + 20 + 8 + 22).
		out=$(iperf3 -c "10.$2.0.2" -u -b 0 -l 22 -t "$secs" 2>/dev/null | grep receiver | tail -n 1)
		echo "$out" | awk -v s="$secs" '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); printf "%.0f\n", (a[2] - a[1]) / s; exit } } END { if (!NR) print 0 }' ;;
	rtt)
		out=$(ping -c 100 -i 0.05 -q "10.$2.0.2" 2>/dev/null | tail -n 1)
		echo "$out" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' | awk '{ printf "%.0f\n", $1 * 1000 } END { if (!NR) print 0 }' ;;
	esac
}

tests="tcp1 tcp4 udp64 rtt"
echo "iperf3 ${secs} s each: TCP with 1 and 4 streams in Mbit/s, 64-byte UDP frames received per second;"
echo "ping round trip in microseconds (the average of 100); the best of $rounds rounds, pairs in turn"
rm -f /tmp/bench.raw /tmp/bench.table
r=0
while [ $r -lt "$rounds" ]; do
	for t in $tests; do
		for p in $pairs; do
			echo "${p%%:*} $t $(run $t ${p#*:})" >>/tmp/bench.raw
		done
	done
	r=$((r + 1))
done
printf '%-14s %10s %10s %10s %10s\n' pair "TCP x1" "TCP x4" "UDP64 pps" "RTT us"
for p in $pairs; do
	name=${p%%:*} line=
	for t in $tests; do
		# The best: the highest, but for the round trip the lowest.
		line="$line $(awk -v n=$name -v t=$t '$1 == n && $2 == t && $3 > 0 {
			if (!seen || (t == "rtt" ? $3 < b : $3 > b)) b = $3; seen = 1 } END { print b + 0 }' /tmp/bench.raw)"
	done
	echo "$name $line" >>/tmp/bench.table
	printf '%-14s %10s %10s %10s %10s\n' "$name" $line
done
echo
echo "hvkit_netvsc against each (above 1: better; the round trip inverted):"
awk '$1 == "hvkit_netvsc" { for (i = 2; i <= 5; i++) hv[i] = $i; next }
     { printf "%-14s", "/ " $1
       for (i = 2; i <= 4; i++) printf(" %10.2f", $i > 0 ? hv[i] / $i : 0)
       printf(" %10.2f\n", hv[5] > 0 ? $5 / hv[5] : 0) }' /tmp/bench.table
