#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A hostile host: each of the simulated host's NIC faults reaches
# hvkit_netvsc, which drops what is bad, counts it (ethtool -S) and logs
# it, and goes on working: a receive buffer message whose RNDIS length runs
# past its range, an RNDIS packet whose frame offset is past its end, a
# receive range outside the receive buffer, a completion for a packet never
# sent, an NVSP version the guest never asked for, and per-packet info
# (offloads) whose entry runs past its area or whose value lies outside it.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 8
trap nic_cleanup EXIT

nic_add && nic_netns 10.13.0.1 10.13.0.2 && ping -c 2 -W 5 10.13.0.2 >/dev/null &&
	tap_ok "a nic with its peer in a namespace carries ping" ||
	tap_fail "a nic with its peer in a namespace carries ping" "$(dmesg | tail -n 20)"

# fault_case FAULT COUNTER LOG FROM: arm FAULT, send one ping FROM guest|peer,
# and expect COUNTER up by one or more, LOG in the kernel log, and ping both
# ways afterwards.
stat_above() { [ "$(nic_stat $1)" -gt "$2" ]; }
fault_case() {
	local before after
	before=$(nic_stat $2)
	n0=$(dmesg | wc -l)
	hvctl sim fault $1 1 || return 1
	if [ $4 = peer ]; then
		in_ns ping -c 1 -W 2 10.13.0.1 >/dev/null 2>&1
	else
		ping -c 1 -W 2 10.13.0.2 >/dev/null 2>&1
	fi
	wait_for 10 sh -c "hvctl sim faults | grep -q '^$1 *0 *1\$'" || { echo "fault not fired"; return 1; }
	# The host counts the fault when it sends; the guest's NAPI poll may
	# take the packet a little later (the debug kernel): wait for it.
	wait_for 10 stat_above $2 "$before" || { echo "$2 stayed $before"; return 1; }
	dmesg | tail -n +$((n0 + 1)) | grep -q "$3" || { echo "no log line '$3'"; dmesg | tail -n 5; return 1; }
	wait_for 10 ping -c 1 -W 1 10.13.0.2 >/dev/null &&
		wait_for 10 in_ns ping -c 1 -W 1 10.13.0.1 >/dev/null || { echo "no traffic after"; return 1; }
}

for c in "nic_bad_rndis_len bad_rndis_msg RNDIS.message.dropped:.RNDIS.length.outside.its.buffer peer" \
	 "nic_bad_rndis_offset bad_rndis_msg RNDIS.message.dropped:.RNDIS.packet's.frame.outside.the.message peer" \
	 "nic_bad_recv_range bad_xfer_range transfer-page.packet.dropped:.receive.range.outside.the.receive.buffer peer" \
	 "nic_bogus_completion bad_completion_id completion.for.id.*not.in.flight guest" \
	 "nic_bad_ppi_size bad_ppi received.packet.dropped:.per-packet.info.size.outside.the.area peer" \
	 "nic_bad_csum_ppi bad_ppi received.packet.dropped:.per-packet.info.value.outside.its.entry peer"; do
	set -- $c
	out=$(fault_case "$@" 2>&1) &&
		tap_ok "$1: counted as $2, logged, and traffic goes on" ||
		tap_fail "$1: counted as $2, logged, and traffic goes on" "$out"
done

# A bogus version comes at NVSP INIT: an MTU change reopens the device.
hvctl sim fault nic_bad_nvsp_version 1 &&
	! ip link set "$ifc" mtu 1400 2>/dev/null &&
	[ "$(nic_stat bad_nvsp_version)" = 1 ] &&
	dmesg | grep -q "the host agreed to NVSP version 0x70000, not the 0x60001 asked for" &&
	[ "$(cat /sys/class/net/$ifc/mtu)" = 1500 ] &&
	wait_for 10 ping -c 1 -W 1 10.13.0.2 >/dev/null &&
	tap_ok "an NVSP version not asked for fails the reopen, counted and logged; the old MTU works on" ||
	tap_fail "an NVSP version not asked for fails the reopen, counted and logged; the old MTU works on" \
		"$(ethtool -S $ifc; dmesg | tail -n 10)"

nic_finish
tap_done
