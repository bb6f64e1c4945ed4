#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The host's send indirection table (NVSP 5): once the guest has opened
# the sub-channels it was granted, the host sends a table naming a TX
# queue for each of 16 flow-hash buckets, and the guest sends new flows
# by it (ethtool -d shows the table, per-queue counters where the frames
# went). An entry past the queues wraps; a malformed table is refused and
# counted; an NVSP 6.0 host's table is found where such a host puts it.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
tap_plan 7
trap 'nic_srv_stop; nic_cleanup' EXIT

# txtab: the guest's table (ethtool -d: 16 little-endian u32, hex bytes);
# each entry's low byte, as "0 1 2 3 ...".
txtab() {
	ethtool -d "$ifc" | sed -n 's/^0x[0-9a-fA-F]*:[[:space:]]*//p' | tr -s ' \t' '\n' | grep . |
		awk 'NR % 4 == 1' | while read -r b; do printf '%d ' "0x$b"; done
}
txtab_is() { [ "$(txtab)" = "$1" ]; }
# settab Q: a table naming queue Q in every bucket, from the host.
settab() { hvctl sim nic send-table $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 $1 --instance "$g"; }
SPREAD4="0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 "

nic_add --queues 4 && nic_netns 10.22.0.1 10.22.0.2 && ethtool -L "$ifc" combined 4 &&
	wait_for 10 ping -c 1 -W 1 10.22.0.2 >/dev/null &&
	wait_for 10 txtab_is "$SPREAD4" && [ "$(nic_host send_tables)" -ge 1 ] &&
	tap_ok "4 queues open: the host sent its table over all 4, ethtool -d shows it ($(nic_host send_tables) sent)" ||
	tap_fail "4 queues open: the host sent its table over all 4, ethtool -d shows it" \
		"table: $(txtab); host sent $(nic_host send_tables); $(dmesg | tail -5)"

nic_srv_start
settab 3 && wait_for 10 txtab_is "3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 " && b=$(nic_busy_queues tx 10.22.0.2) && [ "$b" = "3 " ] &&
	tap_ok "a table naming queue 3 only: every new flow sends on queue 3" ||
	tap_fail "a table naming queue 3 only: every new flow sends on queue 3" "busy: ${b:-}; table: $(txtab); $(tail -3 /tmp/ip.log)"

hvctl sim nic send-table 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 --instance "$g" &&
	wait_for 10 txtab_is "0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 " && b=$(nic_busy_queues tx 10.22.0.2) &&
	case "$b" in "0 " | "1 " | "0 1 ") true ;; *) false ;; esac &&
	tap_ok "a table over queues 0 and 1: the flows send there only ($b)" ||
	tap_fail "a table over queues 0 and 1: the flows send there only" "busy: ${b:-}; table: $(txtab)"

settab 7 && wait_for 10 txtab_is "7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 " && b=$(nic_busy_queues tx 10.22.0.2) && [ "$b" = "3 " ] &&
	tap_ok "an entry past the 4 queues wraps: queue 7 is queue 3" ||
	tap_fail "an entry past the 4 queues wraps: queue 7 is queue 3" "busy: ${b:-}; table: $(txtab)"
nic_srv_stop

settab 2 && wait_for 10 txtab_is "2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 "
bad0=$(nic_stat bad_nvsp_msg)
# The fault cuts the next table to 15 entries: refused, the last one kept.
hvctl sim fault nic_bad_send_table 1 && settab 1 &&
	wait_for 10 sh -c "dmesg | grep -q 'send table refused: a send table without 16 entries'" &&
	[ "$(nic_stat bad_nvsp_msg)" -gt "$bad0" ] && txtab_is "2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 " &&
	tap_ok "nic_bad_send_table: 15 entries refused, counted (bad_nvsp_msg) and logged; the table kept" ||
	tap_fail "nic_bad_send_table: 15 entries refused, counted and logged; the table kept" \
		"bad_nvsp_msg $bad0 -> $(nic_stat bad_nvsp_msg); table: $(txtab); $(dmesg | grep 'send table' | tail -3)"

[ "$(nic_host refused)" = 0 ] && tap_ok "the host refused nothing" ||
	tap_fail "the host refused nothing" "$(hvctl sim nic show)"
nic_finish

# An NVSP 6.0 host puts the table after a whole 40-byte message but names
# offset 12: read at 12 the table would start with 7 zero entries.
modprobe hvkit_sim
nic_add --queues 4 --nvsp-max 6.0 && ethtool -L "$ifc" combined 4 && ip link set "$ifc" up &&
	wait_for 10 txtab_is "$SPREAD4" &&
	tap_ok "an NVSP 6.0 host's table is read where such a host puts it" ||
	tap_fail "an NVSP 6.0 host's table is read where such a host puts it" \
		"nvsp $(nic_host nvsp); table: $(txtab); $(dmesg | tail -5)"
nic_finish
tap_done
