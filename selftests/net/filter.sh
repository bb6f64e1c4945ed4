#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The receive filter: the guest's NIC tells the host (RNDIS packet filter,
# OID_802_3_MULTICAST_LIST) what it wants, and the host sends only that:
# frames to its MAC and broadcasts; the multicast groups it joined, by
# their list; everything in promiscuous mode; all multicast with allmulti
# or with more groups than the host's list holds. The peer sends ICMP
# frames to chosen MACs (static ARP entries); what reached the guest is its
# rx_packets, what the host held back is its "filtered" counter.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 10
trap 'nic_cleanup' EXIT

N=40
FOREIGN=02:00:00:aa:bb:cc
# fd00::1:2:3's solicited-node group; GROUP2 is never joined.
GROUP=33:33:ff:02:00:03
GROUP2=01:00:5e:15:00:34

rx() { cat "/sys/class/net/$ifc/statistics/rx_packets"; }
# probe MAC: $N frames from the peer to MAC; sets got (frames the guest
# received meanwhile) and held (frames the host's filter held back).
probe() {
	local r0 f0
	in_ns arp -i "$peer" -d 10.21.0.50 >/dev/null 2>&1
	in_ns arp -i "$peer" -s 10.21.0.50 "$1" || { got=-1 held=-1; return 1; }
	r0=$(rx) f0=$(nic_host filtered)
	in_ns ping -c $N -i 0.01 -W 1 -q 10.21.0.50 >/dev/null 2>&1
	got=$(($(rx) - r0)) held=$(($(nic_host filtered) - f0))
}
delivered() { probe "$1" && [ "$got" -ge $N ]; }
held_back() { probe "$1" && [ "$held" -ge $N ] && [ "$got" -lt $((N / 2)) ]; }
# filter_is BITS [NOT]: the host has the guest's filter with all of BITS
# set and none of NOT; host_filter waits for that (it is set by a work).
filter_is() { local f; f=$(nic_host filter); [ $((f & $1)) = $(($1)) ] && [ $((f & ${2:-0})) = 0 ]; }
host_filter() { wait_for 10 filter_is "$@"; }
mcast_is() { [ "$(nic_host mcast)" "$1" "$2" ]; }
DIRECTED=1 MULTICAST=2 ALL_MULTICAST=4 BROADCAST=8 PROMISCUOUS=32
why() { echo "got $got, held back $held of $N; host: $(hvctl sim nic show --json | tr '{' '\n' | grep "$g"); $(dmesg | tail -5)"; }

nic_add && nic_netns 10.21.0.1 10.21.0.2 && wait_for 10 ping -c 1 -W 1 10.21.0.2 >/dev/null &&
	host_filter $((DIRECTED | BROADCAST | MULTICAST)) $((PROMISCUOUS | ALL_MULTICAST)) &&
	[ "$(nic_host mcast)" -ge 1 ] &&
	tap_ok "up: the host has the filter: directed, broadcast, a multicast list of $(nic_host mcast)" ||
	tap_fail "up: the host has the filter: directed, broadcast, a multicast list" "$(why)"

held_back $FOREIGN && tap_ok "a frame to another MAC is held back ($held of $N)" ||
	tap_fail "a frame to another MAC is held back" "$(why)"

delivered ff:ff:ff:ff:ff:ff && tap_ok "a broadcast is delivered ($got)" ||
	tap_fail "a broadcast is delivered" "$(why)"

held_back $GROUP && tap_ok "a multicast to a group not joined is held back ($held)" ||
	tap_fail "a multicast to a group not joined is held back" "$(why)"

m0=$(nic_host mcast)
in_ns ip -6 addr add fd00::1:2:2/64 dev "$peer"
ip -6 addr add fd00::1:2:3/64 dev "$ifc" &&
	wait_for 10 mcast_is -gt "$m0" &&
	delivered $GROUP && wait_for 10 in_ns ping6 -c 1 -W 1 fd00::1:2:3 >/dev/null &&
	tap_ok "an address's solicited-node group joins the host's list: its frames come ($got), IPv6 neighbour discovery works" ||
	tap_fail "an address's solicited-node group joins the host's list" "$m0 groups before; $(why)"

ip -6 addr del fd00::1:2:3/64 dev "$ifc" &&
	wait_for 10 mcast_is = "$m0" && held_back $GROUP &&
	tap_ok "the address gone, its group leaves the list and is held back again" ||
	tap_fail "the address gone, its group leaves the list and is held back again" "$(why)"

ip link set "$ifc" promisc on && host_filter $PROMISCUOUS && delivered $FOREIGN && delivered $GROUP2 &&
	ip link set "$ifc" promisc off && host_filter $DIRECTED $PROMISCUOUS && held_back $FOREIGN &&
	tap_ok "promiscuous: a frame to another MAC and an unjoined group come; off: held back again" ||
	tap_fail "promiscuous: a frame to another MAC and an unjoined group come; off: held back again" "$(why)"

ifconfig "$ifc" allmulti && host_filter $ALL_MULTICAST && delivered $GROUP2 && held_back $FOREIGN &&
	ifconfig "$ifc" -allmulti && host_filter $MULTICAST $ALL_MULTICAST && held_back $GROUP2 &&
	tap_ok "allmulti: every group comes, other unicast does not; off: the list again" ||
	tap_fail "allmulti: every group comes, other unicast does not; off: the list again" "$(why)"

# 40 addresses, 40 more solicited-node groups than the host's 32 entries.
i=0
while [ $i -lt 40 ]; do ip -6 addr add fd00::9:$((i + 16)):1/64 dev "$ifc"; i=$((i + 1)); done
host_filter $ALL_MULTICAST $MULTICAST && delivered $GROUP2 &&
	tap_ok "more groups than the host's list holds: all multicast" ||
	tap_fail "more groups than the host's list holds: all multicast" "$(ip -6 addr show dev $ifc | grep -c inet6) addresses; $(why)"
i=0
while [ $i -lt 40 ]; do ip -6 addr del fd00::9:$((i + 16)):1/64 dev "$ifc"; i=$((i + 1)); done

host_filter $MULTICAST $ALL_MULTICAST && held_back $GROUP2 &&
	[ "$(nic_host refused)" = 0 ] &&
	tap_ok "back under the limit: the list again; the host refused nothing" ||
	tap_fail "back under the limit: the list again; the host refused nothing" "$(why)"

nic_finish
tap_done
