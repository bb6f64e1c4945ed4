#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The link speed the host reports: set when the nic is added (ethtool and
# sysfs show it), changed at run time by an RNDIS LINK_SPEED_CHANGE
# indication (hvctl sim nic speed), which ethtool follows, also while the
# link is down; out of range refused with a reason; an indication whose
# status buffer is too short for the speed (the nic_short_speed fault) is
# dropped, counted (bad_rndis_msg) and logged, the speed kept, and the
# next change taken.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 6
trap nic_cleanup EXIT

speed() { ethtool "$ifc" | sed -n 's/^[[:space:]]*Speed: *//p'; }
# follows MBITS: ethtool, sysfs and the host all say MBITS.
follows() {
	wait_for 10 sh -c "ethtool $ifc | grep -q 'Speed: $1Mb/s'" &&
		[ "$(cat /sys/class/net/$ifc/speed)" = "$1" ] && [ "$(nic_host speed)" = "$1" ]
}

nic_add --speed 25000 && nic_netns 10.20.0.1 10.20.0.2 && follows 25000 &&
	wait_for 10 ping -c 1 -W 1 10.20.0.2 >/dev/null &&
	tap_ok "a nic added with --speed 25000: ethtool shows 25000Mb/s" ||
	tap_fail "a nic added with --speed 25000: ethtool shows 25000Mb/s" \
		"$(speed); $(hvctl sim nic show --json; dmesg | tail -n 5)"

b0=$(nic_stat bad_rndis_msg)
hvctl sim nic speed 40000 --instance "$g" && follows 40000 &&
	hvctl sim nic speed 429496 --instance "$g" && follows 429496 &&
	hvctl sim nic speed 1 --instance "$g" && follows 1 &&
	[ "$(nic_stat bad_rndis_msg)" = "$b0" ] &&
	tap_ok "changed at run time (40000, 429496, 1 Mbit/s): ethtool follows each" ||
	tap_fail "changed at run time (40000, 429496, 1 Mbit/s): ethtool follows each" \
		"$(speed); $(hvctl sim nic show --json; ethtool -S $ifc | grep bad)"

hvctl sim nic link down --instance "$g" &&
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$ifc/carrier) = 0 ]" &&
	[ "$(speed)" = "Unknown!" ] &&
	hvctl sim nic speed 10000 --instance "$g" && hvctl sim nic link up --instance "$g" &&
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$ifc/carrier) = 1 ]" && follows 10000 &&
	tap_ok "link down: speed unknown; a change meanwhile shows at link up" ||
	tap_fail "link down: speed unknown; a change meanwhile shows at link up" "$(speed); $(ip link show $ifc)"

e1=$(hvctl sim nic speed 0 --instance "$g" 2>&1); r1=$?
e2=$(hvctl sim nic speed 429497 --instance "$g" 2>&1); r2=$?
e3=$(hvctl sim add nic --speed 500000 2>&1); r3=$?
[ $r1 = 2 ] && [ $r2 = 2 ] && [ $r3 = 2 ] && echo "$e1$e2$e3" | grep -q "from 1 to 429496" &&
	[ "$(hvctl sim nic show | grep -c 00:15:5d)" = 1 ] && follows 10000 &&
	tap_ok "speeds outside 1..429496 Mbit/s refused with a reason; nothing changes" ||
	tap_fail "speeds outside 1..429496 Mbit/s refused with a reason; nothing changes" "$e1; $e2; $e3"

n0=$(dmesg | wc -l)
hvctl sim fault nic_short_speed 1 && hvctl sim nic speed 20000 --instance "$g" &&
	wait_for 10 sh -c "hvctl sim faults | grep -q '^nic_short_speed *0 *1\$'" &&
	wait_for 10 sh -c "[ \$(ethtool -S $ifc | sed -n 's/^ *bad_rndis_msg: *//p') = $((b0 + 1)) ]" &&
	dmesg | tail -n +$((n0 + 1)) | grep -q "link speed indication dropped: status buffer shorter than the 4-byte speed (2 bytes)" &&
	[ "$(speed)" = 10000Mb/s ] &&
	hvctl sim nic speed 50000 --instance "$g" && follows 50000 &&
	wait_for 10 ping -c 1 -W 1 10.20.0.2 >/dev/null &&
	tap_ok "nic_short_speed: a 2-byte speed dropped, counted as bad_rndis_msg and logged; the next change taken" ||
	tap_fail "nic_short_speed: a 2-byte speed dropped, counted as bad_rndis_msg and logged; the next change taken" \
		"$(speed); $(ethtool -S $ifc | grep bad; hvctl sim faults | grep nic_short; dmesg | tail -n 5)"

[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	tap_ok "the host refused nothing" ||
	tap_fail "the host refused nothing" "$(hvctl sim nic show; dmesg | grep refused | tail)"
nic_finish
tap_done
