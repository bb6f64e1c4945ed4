#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A misbehaving guest (hvkit_nvsp_test, bound to the NIC while
# hvkit_netvsc is kept away) breaks one of the host's rules per case: the
# simulated host answers each as Hyper-V does (the NVSP status, or no
# answer at all), counts it once in "refused" and logs why; a well-behaved
# guest (hvkit_netvsc) then gets the device and pings the host's end,
# with nothing more refused. Loading and unloading the test module leaks
# nothing.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
bl=/etc/modprobe.d/hvkit-hostile-guest.conf
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
# The cases: name, the outcome hvkit_nvsp_test reads back, the host's reason.
# NVSP statuses (upstream's hyperv_net.h): 1 SUCCESS, 2 FAIL,
# 5 INVALID_RNDIS_PKT, 7 PROTOCOL_UNSUPPORTED.
cases='before_init|none|NVSP message before INIT
init_twice|status 2|NVSP INIT twice
bad_version|status 7|an NVSP version Hyper-V does not speak
ndis_version|none|NDIS version not 6.0 to 6.30
ndis_mtu|none|NDIS config MTU outside 68 to the host'"'"'s
recv_buf_limit|status 2|buffer larger than the protocol allows
section_size|status 5|send section size outside the section
section_index|status 5|send section index outside the send buffer
rndis_no_recv_buf|status 5|RNDIS before NVSP INIT and the receive buffer
rndis_data_on_control|status 5|RNDIS message type not for the control channel
rndis_control_on_data|status 5|RNDIS control message on the data channel
keepalive_unasked|status 1|a keepalive answer for no keepalive sent
subchannel_before_v5|status 2|sub-channels asked for before NVSP 5 and the receive buffer
subchannel_too_many|status 2|sub-channel request not ALLOCATE, or more than the queues allow
control_on_subchannel|none|NVSP control message on a sub-channel
switch_dp_before_v4|none|SWITCH_DATA_PATH before NVSP 4
unknown_type|none|unknown NVSP message, or shorter than its type
host_type|none|NVSP message a guest does not send'
tap_plan $(($(echo "$cases" | wc -l) + 3))
trap 'rm -f $bl; nic_cleanup' EXIT
oops() { hvk_klog_bad; }

# udev (mdev here) must not load hvkit_netvsc for the NIC: the test module
# is registered first, and binds it as it is offered.
mkdir -p /etc/modprobe.d
echo "blacklist hvkit_netvsc" >$bl
rmmod hvkit_netvsc 2>/dev/null
dev() { echo "/sys/bus/vmbus/devices/$g"; }
bound() { [ "$(basename "$(readlink "$(dev)/driver")")" = "$1" ]; }
g=
modprobe hvkit_nvsp_test && g=$(hvctl sim add nic --queues 2) &&
	wait_for 20 test -e "$(dev)/nvsp_case" && bound hvkit_nvsp_test &&
	peer=$(hvctl sim nic show --json | sed -n "s/.*\"instance\":\"$g\",\"netdev\":\"\([^\"]*\)\".*/\1/p") &&
	[ -n "$peer" ] && [ "$(cat "$(dev)/nvsp_case")" = "none run" ] &&
	! echo bogus >"$(dev)/nvsp_case" 2>/dev/null && ! echo >"$(dev)/nvsp_case" 2>/dev/null &&
	tap_ok "hvkit_nvsp_test binds the NIC, hvkit_netvsc does not; an unknown case is refused" ||
	tap_fail "hvkit_nvsp_test binds the NIC, hvkit_netvsc does not; an unknown case is refused" \
		"$g; $(ls -l "$(dev)/" 2>&1; lsmod | grep hvkit; dmesg | tail)"

# good_guest: hvkit_netvsc gets the NIC and pings the host's end, the host
# refusing nothing; then the test module has it again. Why not, in $bad.
good_guest() {
	local r0
	r0=$(nic_host refused)
	rmmod hvkit_nvsp_test || { bad="hvkit_nvsp_test does not unload"; return 1; }
	rm -f $bl
	modprobe hvkit_netvsc || { bad="hvkit_netvsc does not load"; return 1; }
	wait_for 20 hvk_exists "$(dev)/net/*" || { bad="no interface from hvkit_netvsc"; return 1; }
	ifc=$(ls "$(dev)/net")
	if [ -z "${ns:-}" ]; then
		nic_netns 10.31.0.1 10.31.0.2 || { bad="no namespace for the peer"; return 1; }
	else
		ip addr add 10.31.0.1/24 dev "$ifc" && ip link set "$ifc" up ||
			{ bad="$ifc not up"; return 1; }
	fi
	wait_for 10 ping -c 1 -W 1 10.31.0.2 >/dev/null || { bad="no ping through $ifc"; return 1; }
	[ "$(nic_host refused)" = "$r0" ] || { bad="the host refused hvkit_netvsc"; return 1; }
	echo "blacklist hvkit_netvsc" >$bl
	rmmod hvkit_netvsc || { bad="hvkit_netvsc does not unload"; return 1; }
	modprobe hvkit_nvsp_test && wait_for 10 test -e "$(dev)/nvsp_case" && bound hvkit_nvsp_test ||
		{ bad="hvkit_nvsp_test does not bind again"; return 1; }
}

refused_above() { [ "$(nic_host refused)" -gt "$1" ]; }

# hostile CASE WANT WHY: the case's outcome is WANT, refused went up by
# one, the host logged WHY (from a mark in the kernel log on), and a
# well-behaved guest works after it.
hostile() {
	local c=$1 want=$2 why=$3 mark="hvkit-hostile-guest-$1" r0 r got log
	r0=$(nic_host refused)
	echo "$mark" >/dev/kmsg
	echo "$c" >"$(dev)/nvsp_case"
	got=$(cat "$(dev)/nvsp_case")
	# A refusal with no answer may still be under way in the host's work.
	wait_for 10 refused_above "$r0"
	r=$(nic_host refused)
	log=$(dmesg | awk -v m="$mark" 'index($0, m) { on = 1; s = "" }
		on { s = s $0 "\n" } END { printf "%s", s }')	# from the last mark on
	bad=
	[ "$got" = "$want" ] || bad="the host answered \"$got\", not \"$want\""
	[ -n "$bad" ] || [ "$r" = $((r0 + 1)) ] || bad="refused went from $r0 to $r"
	[ -n "$bad" ] || echo "$log" | grep -qF "hvkit_sim: nic $g: refused: $why" ||
		bad="no log line \"refused: $why\""
	[ -n "$bad" ] || good_guest
	if [ -z "$bad" ] && [ -z "$(oops)" ]; then
		tap_ok "$c: the host answers $want, refuses it once ($why); a good guest works after"
	else
		tap_fail "$c: the host answers $want, refuses it once ($why); a good guest works after" \
			"$bad; $(oops; echo "$log" | tail -n 20)"
	fi
}

# fd 3: the commands a case runs never read the list.
while IFS='|' read -r c want why <&3; do
	hostile "$c" "$want" "$why"
done 3<<EOF
$cases
EOF

# Load and unload cycles of the test module, each running a case with
# buffers (GPADLs) and one with none: nothing left behind.
vm() { sed -n 's/^VmallocUsed: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
bad=
v0=$(vm) s0=$(hvk_slab_kb) n=$(hvk_scale 10)
for i in $(seq 1 "$n"); do
	echo section_index >"$(dev)/nvsp_case" && echo init_twice >"$(dev)/nvsp_case" &&
		rmmod hvkit_nvsp_test && modprobe hvkit_nvsp_test &&
		wait_for 10 test -e "$(dev)/nvsp_case" || { bad="cycle $i failed"; break; }
done
v1=$(vm) s1=$(hvk_slab_kb)
leak=$(hvk_leaks)
! hvk_debug || s1=$s0	# KASAN's quarantine holds freed slab: kmemleak judges there
[ -z "$bad" ] && [ $((v1 - v0)) -lt 1024 ] && [ $((s1 - s0)) -lt 256 ] && [ -z "$leak" ] &&
	tap_ok "$n load, case and unload cycles of the test module leak nothing" ||
	tap_fail "$n load, case and unload cycles of the test module leak nothing" \
		"$bad; vmalloc $v0 -> $v1 kB, slab $s0 -> $s1 kB; $leak"

rmmod hvkit_nvsp_test
rm -f $bl
good_guest_end() {
	modprobe hvkit_netvsc && wait_for 20 hvk_exists "$(dev)/net/*" && ifc=$(ls "$(dev)/net") &&
		ip addr add 10.31.0.1/24 dev "$ifc" && ip link set "$ifc" up &&
		wait_for 10 ping -c 1 -W 1 10.31.0.2 >/dev/null
}
good_guest_end && [ -z "$(oops)" ] &&
	tap_ok "at the end hvkit_netvsc has the NIC and pings the host's end; no Oops" ||
	tap_fail "at the end hvkit_netvsc has the NIC and pings the host's end; no Oops" \
		"$(oops; hvctl sim nic show; dmesg | tail -n 20)"
nic_finish
tap_done
