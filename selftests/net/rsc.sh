#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# RSC (receive segment coalescing) on the synthetic NIC. A host granting
# it (the default): ethtool -k shows large-receive-offload on and the
# host was told; a TCP stream from the peer (iperf3 -R, IPv4 and IPv6)
# reaches the guest as coalesced packets assembled from several fragments
# (rx_rsc), the guest's received frames larger than the MTU on average; a
# file crosses intact; ethtool -K lro off tells the host, and TCP goes on
# in frames of the MTU with rx_rsc still; the nic_bad_rsc fault (a
# packet's first fragment not marked first) is dropped, counted (bad_rsc)
# and logged, and traffic goes on. A host granting no RSC, and an NVSP 6.0
# host (RSC is NVSP 6.1's): large-receive-offload off [fixed].
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
tap_plan 10
trap nic_cleanup EXIT

rxs() { cat /sys/class/net/$ifc/statistics/rx_$1; }
# stream TO: iperf3 -R from the peer to the guest; sets x (rx_rsc gained)
# and avg (bytes per frame the guest received meanwhile).
stream() {
	local x0 p0 b0
	x0=$(nic_stat rx_rsc); p0=$(rxs packets); b0=$(rxs bytes)
	nic_iperf "$1" -R || return 1
	x=$(($(nic_stat rx_rsc) - x0))
	avg=$((($(rxs bytes) - b0) / ($(rxs packets) - p0 + 1)))
}

# 4095: checksums, LSO and RSC (0xc00), IPv4 and IPv6.
nic_add && nic_netns 10.18.0.1 10.18.0.2 &&
	echo 0 >/proc/sys/net/ipv6/conf/$ifc/accept_dad &&
	in_ns sh -c "echo 0 >/proc/sys/net/ipv6/conf/$peer/accept_dad" &&
	ip addr add fd18::1/64 dev "$ifc" && in_ns ip addr add fd18::2/64 dev "$peer" &&
	wait_for 10 ping -c 1 -W 1 10.18.0.2 >/dev/null &&
	[ "$(nic_feat large-receive-offload)" = on ] && [ "$(nic_host offloads)" = csum,tso,rsc ] &&
	[ "$(nic_host offloads_on)" = 4095 ] &&
	tap_ok "a host granting RSC: large-receive-offload on, the host was told" ||
	tap_fail "a host granting RSC: large-receive-offload on, the host was told" \
		"$(ethtool -k $ifc | grep -i large; hvctl sim nic show --json; dmesg | tail)"

nic_srv_start && tap_ok "iperf3 serves in the peer's namespace" ||
	tap_fail "iperf3 serves in the peer's namespace" "$(in_ns ip addr)"

# Coalesced: many packets of several fragments, frames past the MTU.
stream 10.18.0.2 && [ "$x" -gt 10 ] && [ "$avg" -gt 1514 ] &&
	tap_ok "IPv4 TCP to the guest coalesced: $x RSC packets, $avg bytes a frame" ||
	tap_fail "IPv4 TCP to the guest coalesced: ${x:-} RSC packets, ${avg:-} bytes a frame" \
		"$out; $(ethtool -S $ifc | grep -E 'rsc|rx_')"
stream fd18::2 && [ "$x" -gt 10 ] && [ "$avg" -gt 1514 ] &&
	tap_ok "IPv6 TCP to the guest coalesced: $x RSC packets, $avg bytes a frame" ||
	tap_fail "IPv6 TCP to the guest coalesced: ${x:-} RSC packets, ${avg:-} bytes a frame" \
		"$out; $(ethtool -S $ifc | grep -E 'rsc|rx_')"

# A file from the peer's HTTP server crosses intact through RSC.
mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/rsc.bin bs=1024 count=8192 2>/dev/null
in_ns busybox httpd -f -p 8081 -h /tmp/www & h=$!
x0=$(nic_stat rx_rsc)
wait_for 10 sh -c "nsenter -t $ns -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1F91 '" &&
	busybox wget -q -O /tmp/rsc.got http://10.18.0.2:8081/rsc.bin
kill $h 2>/dev/null
[ "$(sha256sum </tmp/rsc.got)" = "$(sha256sum </tmp/www/rsc.bin)" ] &&
	[ "$(nic_stat rx_rsc)" -gt "$x0" ] &&
	tap_ok "an 8 MiB file from the peer arrives intact through RSC" ||
	tap_fail "an 8 MiB file from the peer arrives intact through RSC" \
		"$(ls -l /tmp/rsc.got /tmp/www/rsc.bin; echo "rx_rsc $x0 -> $(nic_stat rx_rsc)")"
rm -f /tmp/rsc.got /tmp/www/rsc.bin

# lro off: the host is told, frames come at the MTU, rx_rsc stays; on again.
ethtool -K "$ifc" lro off && [ "$(nic_feat large-receive-offload)" = off ] &&
	[ "$(nic_host offloads_on)" = 1023 ] && stream 10.18.0.2 && [ "$x" = 0 ] && [ "$avg" -le 1514 ] &&
	ethtool -K "$ifc" lro on && [ "$(nic_host offloads_on)" = 4095 ] &&
	tap_ok "ethtool -K lro off: the host is told, TCP flows in MTU frames, none coalesced; on again" ||
	tap_fail "ethtool -K lro off: the host is told, TCP flows in MTU frames, none coalesced; on again" \
		"$(nic_host offloads_on) x=${x:-} avg=${avg:-}; $out"

# The fault: a packet's first fragment is not marked first.
n0=$(dmesg | wc -l); b0=$(nic_stat bad_rsc)
hvctl sim fault nic_bad_rsc 1 && nic_iperf 10.18.0.2 -R &&
	wait_for 10 sh -c "hvctl sim faults | grep -q '^nic_bad_rsc *0 *1\$'" &&
	[ "$(nic_stat bad_rsc)" -gt "$b0" ] &&
	dmesg | tail -n +$((n0 + 1)) | grep -q "RSC packet dropped: an RSC fragment without a first one" &&
	stream 10.18.0.2 && [ "$x" -gt 10 ] &&
	tap_ok "nic_bad_rsc: counted as bad_rsc, logged, and coalesced traffic goes on" ||
	tap_fail "nic_bad_rsc: counted as bad_rsc, logged, and coalesced traffic goes on" \
		"$(hvctl sim faults | grep rsc; ethtool -S $ifc | grep rsc; dmesg | tail -n 5)"

[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	[ "$(nic_stat bad_rsc)" = 1 ] && [ "$(nic_stat bad_rndis_msg)" = 0 ] &&
	[ "$(nic_stat bad_xfer_range)" = 0 ] &&
	tap_ok "nothing refused by the host; one bad RSC packet at the guest, the fault's" ||
	tap_fail "nothing refused by the host; one bad RSC packet at the guest, the fault's" \
		"$(hvctl sim nic show; ethtool -S $ifc | grep bad)"
nic_srv_stop
nic_cleanup
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"

# A host granting no RSC: off and fixed; TCP flows uncoalesced.
nic_add --offloads csum,tso && nic_netns 10.18.0.1 10.18.0.2 &&
	wait_for 10 ping -c 1 -W 1 10.18.0.2 >/dev/null &&
	[ "$(nic_feat large-receive-offload)" = "off [fixed]" ] && ! ethtool -K "$ifc" lro on 2>/dev/null &&
	[ "$(nic_host offloads_on)" = 1023 ] && nic_srv_start && stream 10.18.0.2 && [ "$x" = 0 ] &&
	[ "$avg" -le 1514 ] &&
	tap_ok "a host granting no RSC: large-receive-offload off [fixed], TCP flows uncoalesced" ||
	tap_fail "a host granting no RSC: large-receive-offload off [fixed], TCP flows uncoalesced" \
		"$(nic_feat large-receive-offload); $(nic_host offloads_on); x=${x:-} avg=${avg:-}; $out"
nic_srv_stop
nic_cleanup
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"

# An NVSP 6.0 host grants RSC but the guest announces it only at 6.1.
nic_add --nvsp-max 6.0 && nic_netns 10.18.0.1 10.18.0.2 &&
	wait_for 10 ping -c 1 -W 1 10.18.0.2 >/dev/null &&
	[ "$(nic_feat large-receive-offload)" = "off [fixed]" ] && [ "$(nic_host offloads_on)" = 1023 ] &&
	tap_ok "an NVSP 6.0 host: no RSC, large-receive-offload off [fixed]" ||
	tap_fail "an NVSP 6.0 host: no RSC, large-receive-offload off [fixed]" \
		"$(nic_feat large-receive-offload); $(nic_host offloads_on); $(hvctl sim nic show)"
nic_finish
tap_done
