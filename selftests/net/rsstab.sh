#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ethtool -x/-X: the RSS key and indirection table are shown and set; the
# host is told (OID_GEN_RECEIVE_SCALE_PARAMETERS) and spreads what it
# sends by the new table: a table naming queues 0 and 1 only keeps the
# others idle under iperf3 -R, one naming 2 and 3 only moves the load
# there. A new key shows. A table naming a queue not in use is refused.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
tap_plan 6
trap 'nic_srv_stop; nic_cleanup' EXIT

# Eight flows may all hash to one half of a table (about 1 in 128), so the
# checks are that only the queues the table names are busy, and at least one.
nic_add --queues 4 && nic_netns 10.19.0.1 10.19.0.2 && ethtool -L "$ifc" combined 4 &&
	wait_for 10 ping -c 1 -W 1 10.19.0.2 >/dev/null &&
	ethtool -x "$ifc" >/tmp/x && grep -q "RX flow hash indirection table for $ifc with 4 RX ring(s)" /tmp/x &&
	[ "$(sed -n 's/^ \{1,\}[0-9]\{1,\}: *//p' /tmp/x | wc -w)" = 128 ] &&
	[ "$(sed -n '/RSS hash key/{n;p}' /tmp/x | tr ':' ' ' | wc -w)" = 40 ] &&
	grep -q "toeplitz: on" /tmp/x &&
	tap_ok "ethtool -x: a 128-entry table over 4 queues, a 40-byte key, Toeplitz" ||
	tap_fail "ethtool -x: a 128-entry table over 4 queues, a 40-byte key, Toeplitz" "$(cat /tmp/x; dmesg | tail)"

nic_srv_start

ethtool -X "$ifc" equal 2 && [ "$(sed -n 's/^ \{1,\}[0-9]\{1,\}: *//p' /tmp/x | wc -w)" = 128 ] &&
	ethtool -x "$ifc" >/tmp/x && [ "$(sed -n 's/^ \{1,\}[0-9]\{1,\}: *//p' /tmp/x | tr ' ' '\n' | grep -c '[23]')" = 0 ] &&
	b=$(nic_busy_queues rx 10.19.0.2) && case "$b" in "0 " | "1 " | "0 1 ") true ;; *) false ;; esac &&
	tap_ok "ethtool -X equal 2: the host sends on queues 0 and 1 only ($b)" ||
	tap_fail "ethtool -X equal 2: the host sends on queues 0 and 1 only" "busy: ${b:-}; $(cat /tmp/x /tmp/ip.log | tail -20)"

ethtool -X "$ifc" weight 0 0 1 1 && b=$(nic_busy_queues rx 10.19.0.2) &&
	case "$b" in "2 " | "3 " | "2 3 ") true ;; *) false ;; esac &&
	tap_ok "ethtool -X weight 0 0 1 1: the load moves to queues 2 and 3 ($b)" ||
	tap_fail "ethtool -X weight 0 0 1 1: the load moves to queues 2 and 3" "busy: ${b:-}; $(ethtool -x $ifc)"

key=$(i=0; while [ $i -lt 40 ]; do printf '%02x' $((i * 7 % 256)); [ $i -lt 39 ] && printf ':'; i=$((i + 1)); done)
ethtool -X "$ifc" hkey "$key" && ethtool -x "$ifc" | grep -q "$key" && b=$(nic_busy_queues rx 10.19.0.2) &&
	case "$b" in "2 " | "3 " | "2 3 ") true ;; *) false ;; esac &&
	tap_ok "ethtool -X hkey: the new key shows, the table stays ($b)" ||
	tap_fail "ethtool -X hkey: the new key shows, the table stays" "busy: ${b:-}; $(ethtool -x $ifc)"

# The stack keeps a configured table's queues: back to the default first.
ethtool -X "$ifc" default && ethtool -L "$ifc" combined 2 && ethtool -x "$ifc" | grep -q "with 2 RX ring" &&
	! ethtool -X "$ifc" equal 3 2>/dev/null && ethtool -X "$ifc" equal 2 &&
	tap_ok "with 2 queues, a table naming a third is refused; one over 2 is taken" ||
	tap_fail "with 2 queues, a table naming a third is refused; one over 2 is taken" "$(ethtool -x $ifc)"

[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	tap_ok "the host refused none of it" ||
	tap_fail "the host refused none of it" "$(hvctl sim nic show; dmesg | grep refused | tail)"
nic_srv_stop
nic_finish
tap_done
