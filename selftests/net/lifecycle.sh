#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The NIC's life: a rescind while ping floods both ways takes the device
# and its interface away with no Oops, and the host's peer with it; a new
# offer brings it back; 20 unload and load cycles with traffic between
# them leak no buffer; unloading everything leaves no interface behind.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 7
trap 'nic_srv_stop; nic_cleanup' EXIT
oops() { hvk_klog_bad; }

nic_add && nic_netns 10.13.0.1 10.13.0.2 && ping -c 2 -W 5 10.13.0.2 >/dev/null &&
	tap_ok "a nic with its peer in a namespace carries ping" ||
	tap_fail "a nic with its peer in a namespace carries ping" "$(dmesg | tail -n 20)"

ping -A -w 20 10.13.0.2 >/dev/null 2>&1 & p1=$!
in_ns ping -A -w 20 10.13.0.1 >/dev/null 2>&1 & p2=$!
hvk_sleep 2
rx0=$(cat /sys/class/net/$ifc/statistics/rx_packets)
hvctl sim remove "$g" &&
	wait_for 20 hvk_gone "/sys/bus/vmbus/devices/$g" &&
	wait_for 10 hvk_gone "/sys/class/net/$ifc" &&
	wait_for 10 sh -c "! nsenter -t $ns -n ip link show $peer >/dev/null 2>&1" &&
	[ "$rx0" -gt 10 ] && [ -z "$(oops)" ] &&
	tap_ok "a rescind under ping flood takes the device, its interface and the host's peer away, no Oops" ||
	tap_fail "a rescind under ping flood takes the device, its interface and the host's peer away, no Oops" \
		"rx before: $rx0; $(ls /sys/class/net; oops; dmesg | tail -n 20)"
kill $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
nic_cleanup

nic_add && nic_netns 10.13.0.1 10.13.0.2 && ping -c 2 -W 5 10.13.0.2 >/dev/null &&
	tap_ok "a new offer brings the NIC back, and ping crosses it" ||
	tap_fail "a new offer brings the NIC back, and ping crosses it" "$(dmesg | tail -n 20)"

# MTU changes reopen the device (NVSP again, new buffers) under a ping flood.
# The interface stays up meanwhile, as upstream's: a route through the
# device, which going down would take, is kept; so is a static IPv6
# address across changes that IPv6 can follow (MTU 68 takes IPv6 off the
# interface, as on any other: IPv6 needs 1280).
ip route add 10.99.0.0/24 via 10.13.0.2 dev "$ifc"
ping -A -w 30 10.13.0.2 >/dev/null 2>&1 & p1=$!
in_ns ping -A -w 30 10.13.0.1 >/dev/null 2>&1 & p2=$!
in_ns ip link set "$peer" mtu 9000
i=0; bad=
for m in 9000 1500 4000 68 1500 9000 1500; do
	ip link set "$ifc" mtu $m || { bad="mtu $m refused"; break; }
done
ip -6 addr add fd00:13::1/64 dev "$ifc"
for m in 4000 1500; do
	ip link set "$ifc" mtu $m || { bad="mtu $m refused"; break; }
done
kill $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
[ -z "$bad" ] && [ "$(cat /sys/class/net/$ifc/mtu)" = 1500 ] &&
	wait_for 10 ping -c 1 -W 1 10.13.0.2 >/dev/null && [ -z "$(oops)" ] &&
	ip -6 addr show dev "$ifc" | grep -q 'inet6 fd00:13::1/64' &&
	ip route show | grep -q '^10.99.0.0/24 via 10.13.0.2' &&
	tap_ok "MTU changes under a ping flood reopen the device; it stays up, keeps its IPv6 address and route, ping works after" ||
	tap_fail "MTU changes under a ping flood reopen the device; it stays up, keeps its IPv6 address and route, ping works after" \
		"$bad; $(ip addr show dev $ifc; ip route; ethtool -S $ifc; oops; dmesg | tail -n 10)"

# 20 unload and load cycles, each with ping and 2 MB of TCP (iperf3)
# through the NIC: the buffers (vmalloc: 5 MiB a load), unreclaimable
# slab and, on the debug kernel, kmemleak show nothing left behind.
vm() { sed -n 's/^VmallocUsed: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
# up_and_traffic I: the interface after load I addressed, ping and TCP cross it.
up_and_traffic() {
	wait_for 20 hvk_exists "/sys/bus/vmbus/devices/$g/net/*" || { bad="no interface after load $1"; return 1; }
	ifc=$(ls /sys/bus/vmbus/devices/$g/net)
	ip addr add 10.13.0.1/24 dev "$ifc" && ip link set "$ifc" up &&
		wait_for 10 ping -c 1 -W 1 10.13.0.2 >/dev/null || { bad="no ping after load $1"; return 1; }
	iperf3 -c 10.13.0.2 -n 2M >/tmp/ip.log 2>&1 || { bad="no TCP after load $1: $(tail -n 2 /tmp/ip.log)"; return 1; }
}
bad=
nic_srv_start || bad="no iperf3 server in the peer's namespace"
rmmod hvkit_netvsc && modprobe hvkit_netvsc && up_and_traffic 0
v0=$(vm) s0=$(hvk_slab_kb); i=0; n=20	# the count, on every kernel
while [ -z "$bad" ] && [ $i -lt $n ]; do
	i=$((i + 1))
	rmmod hvkit_netvsc || { bad="rmmod $i failed"; break; }
	modprobe hvkit_netvsc || { bad="modprobe $i failed"; break; }
	up_and_traffic $i || break
done
nic_srv_stop
v1=$(vm) s1=$(hvk_slab_kb)
# The debug kernel is judged by kmemleak; another by its unreclaimable slab.
leak=$(hvk_leaks)
! hvk_debug || s1=$s0
echo "# VmallocUsed $v0 -> $v1 kB, SUnreclaim $s0 -> $s1 kB over $n cycles"
[ -z "$bad" ] && [ $((v1 - v0)) -lt 4096 ] && [ $((s1 - s0)) -lt 256 ] && [ -z "$leak" ] && [ -z "$(oops)" ] &&
	tap_ok "$n unload and load cycles with ping and TCP between them: no failure, nothing left behind (vmalloc, slab, kmemleak)" ||
	tap_fail "$n unload and load cycles with ping and TCP between them: no failure, nothing left behind (vmalloc, slab, kmemleak)" \
		"$bad; VmallocUsed $v0 -> $v1 kB; SUnreclaim $s0 -> $s1 kB; $leak; $(oops; dmesg | tail -n 10)"

# Eight NICs at once, each with its MAC; all go with their removal.
gs= bad=
for i in 1 2 3 4 5 6 7 8; do
	x=$(hvctl sim add nic --mac 00:15:5d:00:00:0$i) || { bad="add $i failed"; break; }
	gs="$gs $x"
done
for x in $gs; do
	wait_for 20 hvk_exists "/sys/bus/vmbus/devices/$x/net/*" || { bad="$x has no interface"; break; }
done
macs=$(for x in $gs; do cat /sys/class/net/$(ls /sys/bus/vmbus/devices/$x/net)/address; done | sort -u | wc -l)
for x in $gs; do hvctl sim remove $x; done
[ -z "$bad" ] && [ "$macs" = 8 ] &&
	wait_for 20 sh -c "[ \$(hvctl sim nic show | grep -c 00:15:5d:00:00:0) = 0 ]" && [ -z "$(oops)" ] &&
	tap_ok "eight NICs at once, each with its own MAC, and all go at their removal" ||
	tap_fail "eight NICs at once, each with its own MAC, and all go at their removal" "$bad; $macs MACs; $(ip link)"

nic_cleanup
rmmod hvkit_netvsc && rmmod hvkit_sim &&
	! ls /sys/class/net | grep -q hvsim && [ -z "$(oops)" ] &&
	tap_ok "unloading hvkit_netvsc and hvkit_sim leaves no interface behind" ||
	tap_fail "unloading hvkit_netvsc and hvkit_sim leaves no interface behind" "$(ls /sys/class/net; lsmod)"
tap_done
