#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The synthetic NIC: its device brings hvkit_netvsc in by its modalias, the
# interface has the MAC the host gave, NVSP 6.1 and NDIS 6.30 are agreed,
# ping crosses it both ways at MTU 1500 and 9000 (a 9000-byte frame goes
# as one frame, through the GPA-direct path), the host's link state
# reaches userspace, and its MTU ceiling bounds the guest's.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 13
trap nic_cleanup EXIT

mac=00:15:5d:0a:0b:0c
nic_add --mac $mac &&
	[ "$(cat /sys/class/net/$ifc/address)" = $mac ] &&
	tap_ok "a nic device binds hvkit_netvsc and its interface has the host's MAC" ||
	tap_fail "a nic device binds hvkit_netvsc and its interface has the host's MAC" \
		"$(ls /sys/bus/vmbus/devices/$g 2>&1; lsmod; dmesg | tail -n 20)"

info=$(ethtool -i "$ifc" 2>&1)
echo "$info" | grep -q '^driver: hvkit_netvsc' &&
	echo "$info" | grep -q 'firmware-version: NVSP 6.1 NDIS 6.30' &&
	hvctl sim nic show | grep "$g" | grep -q ' 6.1 ' &&
	tap_ok "NVSP 6.1 and NDIS 6.30 are agreed, as both sides say" ||
	tap_fail "NVSP 6.1 and NDIS 6.30 are agreed, as both sides say" "$info; $(hvctl sim nic show)"

nic_netns 10.13.0.1 10.13.0.2 &&
	ping -c 3 -W 5 10.13.0.2 >/dev/null &&
	in_ns ping -c 3 -W 5 10.13.0.1 >/dev/null &&
	tap_ok "ping crosses the NIC both ways at MTU 1500" ||
	tap_fail "ping crosses the NIC both ways at MTU 1500" \
		"$(ip addr; in_ns ip addr; ethtool -S $ifc; dmesg | tail -n 20)"

speed=$(cat /sys/class/net/$ifc/speed 2>&1)
[ "$speed" = 100000 ] &&
	tap_ok "the link speed is the host's (100 Gbit/s)" ||
	tap_fail "the link speed is the host's (100 Gbit/s)" "$speed"

ip link set "$ifc" mtu 9000 && in_ns ip link set "$peer" mtu 9000 &&
	[ "$(cat /sys/class/net/$ifc/mtu)" = 9000 ] &&
	wait_for 10 ping -c 1 -W 2 10.13.0.2 >/dev/null &&
	tx0=$(cat /sys/class/net/$ifc/statistics/tx_packets) &&
	gpa0=$(nic_stat tx_gpa_direct) &&
	ping -c 3 -s 8900 -W 5 10.13.0.2 >/dev/null &&
	in_ns ping -c 3 -s 8900 -W 5 10.13.0.1 >/dev/null &&
	tx1=$(cat /sys/class/net/$ifc/statistics/tx_packets) &&
	[ $((tx1 - tx0)) -lt 20 ] && [ $(($(nic_stat tx_gpa_direct) - gpa0)) -ge 6 ] &&
	tap_ok "at MTU 9000, 8928-byte pings cross whole (GPA-direct), both ways" ||
	tap_fail "at MTU 9000, 8928-byte pings cross whole (GPA-direct), both ways" \
		"tx $tx0 -> $tx1; $(ethtool -S $ifc; dmesg | tail -n 20)"

ip link set "$ifc" mtu 65522 2>/dev/null &&
	tap_fail "an MTU past 65521 is refused" "$(ip link show $ifc)" ||
	tap_ok "an MTU past 65521 is refused"

hvctl sim nic link down --instance "$g" &&
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$ifc/carrier) = 0 ]" &&
	wait_for 5 sh -c "ip link show $ifc | grep -q NO-CARRIER" &&
	! ping -c 1 -W 1 10.13.0.2 >/dev/null 2>&1 &&
	tap_ok "link down at the host: no carrier in the guest, and no traffic" ||
	tap_fail "link down at the host: no carrier in the guest, and no traffic" "$(ip link show $ifc)"

hvctl sim nic link up --instance "$g" &&
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$ifc/carrier) = 1 ]" &&
	wait_for 10 ping -c 1 -W 1 10.13.0.2 >/dev/null &&
	tap_ok "link up again: carrier and traffic are back" ||
	tap_fail "link up again: carrier and traffic are back" "$(ip link show $ifc)"

# Back to 1500 while the peer stays at 9000: the host drops what the guest
# could not take, as a switch port does, and nothing counts as a bad host.
ip link set "$ifc" mtu 1500 &&
	wait_for 10 ping -c 1 -W 1 10.13.0.2 >/dev/null &&
	! in_ns ping -c 2 -s 8000 -W 2 10.13.0.1 >/dev/null 2>&1 &&
	in_ns ping -c 1 -W 2 10.13.0.1 >/dev/null &&
	[ "$(nic_stat bad_rndis_msg)" = 0 ] && [ "$(nic_stat bad_xfer_range)" = 0 ] &&
	tap_ok "frames past the guest's MTU stop at the host; no bad-host counter moves" ||
	tap_fail "frames past the guest's MTU stop at the host; no bad-host counter moves" "$(ethtool -S $ifc)"

g1=$g ifc1=$ifc
nic_add --link-down && ip link set "$ifc" up &&
	[ "$(cat /sys/class/net/$ifc/carrier)" = 0 ] &&
	hvctl sim nic link up --instance "$g" &&
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$ifc/carrier) = 1 ]" &&
	[ "$(cat /sys/class/net/$ifc1/carrier)" = 1 ] &&
	tap_ok "a second NIC added with its link down starts without carrier, and gets it at link up" ||
	tap_fail "a second NIC added with its link down starts without carrier, and gets it at link up" \
		"$(ip link)"
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"

# The host's MTU ceiling (--mtu): the guest's largest MTU is the host's.
nic_add --mtu 4000 && [ "$(nic_host mtu_max)" = 4000 ] &&
	ip link set "$ifc" mtu 4000 && [ "$(cat /sys/class/net/$ifc/mtu)" = 4000 ] &&
	! ip link set "$ifc" mtu 4001 2>/dev/null && [ "$(cat /sys/class/net/$ifc/mtu)" = 4000 ] &&
	tap_ok "a host with an MTU ceiling of 4000: the guest takes 4000 and refuses 4001" ||
	tap_fail "a host with an MTU ceiling of 4000: the guest takes 4000 and refuses 4001" \
		"$(ip link show "$ifc"; hvctl sim nic show)"
hvctl sim remove "$g"

# An older host: the guest steps down from 6.1 to the newest it accepts, with
# NDIS 6.30 from NVSP 5 and 6.1 below, and the device works at each.
bad=
for v in "6.0 6.30" "5.0 6.30" "4.0 6.1" "3.2 6.1"; do
	set -- $v
	nic_add --nvsp-max $1 && ip link set "$ifc" up || { bad="nvsp $1: no interface"; break; }
	ethtool -i "$ifc" | grep -q "firmware-version: NVSP $1 NDIS $2" ||
		{ bad="nvsp $1: $(ethtool -i $ifc)"; break; }
	hvctl sim remove "$g"
done
[ -z "$bad" ] &&
	tap_ok "against hosts of NVSP 6.0, 5.0, 4.0 and 3.2 the guest steps down, with NDIS 6.30 or 6.1" ||
	tap_fail "against hosts of NVSP 6.0, 5.0, 4.0 and 3.2 the guest steps down, with NDIS 6.30 or 6.1" "$bad"

err=$(hvctl sim add nic --nvsp-max 7.0 2>&1)
[ $? = 1 ] && echo "$err" | grep -q "the NVSP version must be one Hyper-V speaks" &&
	tap_ok "a host NVSP version Hyper-V never had is refused with a reason" ||
	tap_fail "a host NVSP version Hyper-V never had is refused with a reason" "$err"

nic_cleanup
g=$g1
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"
rmmod hvkit_netvsc
rmmod hvkit_sim 2>/dev/null
tap_done
