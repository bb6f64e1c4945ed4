#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Offloads as the host grants them. A host that grants checksums and LSO
# (RSC has net/rsc.sh): ethtool -k shows them on, the host is told
# (its enabled set), TCP goes out as LSO frames (hvsim<N> receives
# fewer frames than bytes/MSS), checksums the host computed are checked by
# the peer's stack (no checksum errors, files cross intact both ways), the
# guest counts received frames the host vouched for, ethtool -K turns one
# off and the host is told. 802.1Q devices on both ends ping. USO
# (tx-udp-segmentation) is off and fixed whatever the host grants: RNDIS
# has no wire format for it and openvmm's netvsp does not support it. A
# host that grants none: ethtool -k shows them off and fixed, traffic
# still flows, and the host computes nothing.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
tap_plan 11
trap nic_cleanup EXIT

# snmp PROTO FIELD [ns]: a /proc/net/snmp counter, here or in the peer's namespace.
snmp() {
	${3:+in_ns} awk -v p="$1:" -v f="$2" '$1 == p { if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c }' /proc/net/snmp
}
# peer_rx: frames hvsim<N> received (from the guest), from its namespace's /proc/net/dev.
peer_rx() { in_ns cat /proc/net/dev | sed -n "s/^ *$peer: *//p" | awk '{ print $2 }'; }
iperf() { nic_iperf 10.16.0.2 -t 2 "$@"; }

# 0x3ff: TCP and UDP checksums both ways, IPv4 and IPv6, and LSO for both.
nic_add --offloads csum,tso && nic_netns 10.16.0.1 10.16.0.2 && wait_for 10 ping -c 1 -W 1 10.16.0.2 >/dev/null &&
	[ "$(nic_feat rx-checksumming)" = on ] && [ "$(nic_feat tx-checksum-ipv4)" = on ] &&
	[ "$(nic_feat tx-checksum-ipv6)" = on ] && [ "$(nic_feat tcp-segmentation-offload)" = on ] &&
	[ "$(nic_host offloads)" = csum,tso ] && [ "$(nic_host offloads_on)" = 1023 ] &&
	tap_ok "a host granting checksums and LSO: ethtool -k shows them on, the host was told" ||
	tap_fail "a host granting checksums and LSO: ethtool -k shows them on, the host was told" \
		"$(ethtool -k $ifc | head -20; hvctl sim nic show --json; dmesg | tail)"

nic_srv_start && tap_ok "iperf3 serves in the peer's namespace" ||
	tap_fail "iperf3 serves in the peer's namespace" "$(in_ns ip addr)"

# USO: no NDIS 6.30 wire format, not in openvmm's netvsp: off, fixed.
[ "$(nic_feat tx-udp-segmentation)" = "off [fixed]" ] &&
	! ethtool -K "$ifc" tx-udp-segmentation on 2>/dev/null &&
	[ "$(nic_feat tx-udp-segmentation)" = "off [fixed]" ] && [ "$(nic_host offloads_on)" = 1023 ] &&
	tap_ok "USO stays off and fixed with checksums and LSO granted; ethtool -K cannot turn it on" ||
	tap_fail "USO stays off and fixed with checksums and LSO granted; ethtool -K cannot turn it on" \
		"$(ethtool -k $ifc | grep udp)"

# TSO: a 2-second TCP stream goes out as LSO frames, above the MTU each:
# hvsim<N> gets fewer than three quarters of the frames a segment per MSS
# (1448 bytes) would take. (TCP sizes its LSO frames by its rate, about a
# millisecond's worth: at the debug kernel's 10 Mbit/s two MSS each, over
# a hundred at a stock kernel's rates.)
l0=$(nic_host lso_frames); r0=$(peer_rx); e0=$(snmp Tcp InCsumErrors ns)
iperf
bytes=$(echo "$out" | sed -n 's/.* \([0-9.]*\) \([KMG]\)Bytes .*receiver.*/\1 \2/p' |
	awk '{ m = $2 == "G" ? 1073741824 : $2 == "M" ? 1048576 : 1024; printf "%d", $1 * m }')
l1=$(nic_host lso_frames); r1=$(peer_rx)
[ -n "$bytes" ] && [ $((l1 - l0)) -gt 100 ] && [ $((r1 - r0)) -lt $((bytes / 1448 * 3 / 4)) ] &&
	[ "$(snmp Tcp InCsumErrors ns)" = "$e0" ] && [ "$(nic_stat tx_lso)" -gt 0 ] &&
	tap_ok "TSO: TCP leaves as LSO frames (hvsim got $((r1 - r0)) frames for $bytes bytes)" ||
	tap_fail "TSO: TCP leaves as LSO frames (hvsim got $((r1 - r0)) frames for $bytes bytes)" \
		"lso $l0 -> $l1; $out; $(hvctl sim nic show --json)"

# TX checksums: with TSO off, TCP and UDP go out with the host computing
# their checksums, which the peer's stack verifies (no InCsumErrors).
ethtool -K "$ifc" tso off
c0=$(nic_host csum_frames); te0=$(snmp Tcp InCsumErrors ns); ue0=$(snmp Udp InCsumErrors ns)
ui0=$(snmp Udp InDatagrams ns)
# The counts scale with what UDP got through (the debug kernel sends a
# fifth of the 20 Mbit/s asked for): the peer takes at least half of the
# datagrams sent, and the host checksummed every one it took, and TCP's.
iperf && iperf -u -b 20M -l 1000 && c1=$(nic_host csum_frames) &&
	usent=$(echo "$out" | sed -n 's|.* \([0-9]*\)/\([0-9]*\) .*sender.*|\2|p') &&
	urx=$(($(snmp Udp InDatagrams ns) - ui0)) && [ "${usent:-0}" -ge 200 ] &&
	[ "$urx" -ge $((usent / 2)) ] && [ $((c1 - c0)) -gt $((urx + 100)) ] &&
	[ "$(snmp Tcp InCsumErrors ns)" = "$te0" ] && [ "$(snmp Udp InCsumErrors ns)" = "$ue0" ] &&
	[ "$(nic_host offloads_on)" = 255 ] && [ "$(nic_feat tcp-segmentation-offload)" = off ] &&
	tap_ok "TX checksums: TCP and UDP checksummed by the host, verified by the peer" ||
	tap_fail "TX checksums: TCP and UDP checksummed by the host, verified by the peer" \
		"csum $c0 -> ${c1:-}; udp sent ${usent:-?} received ${urx:-?}; $out; $(in_ns cat /proc/net/snmp | grep -E '^(Tcp|Udp):')"
ethtool -K "$ifc" tso on

# Files cross intact both ways over TCP (HTTP: busybox httpd and wget),
# the host's checksums and LSO on; the guest counts what the host vouched for.
# At MTU 9000 every full segment is larger than a send section (6144
# bytes), so it must go as GPA ranges whatever size TCP gives its LSO
# frames: TCP sizes them by its rate, and at a debug kernel's rate they
# are two segments of 1448 bytes, which a section holds.
nic_srv_stop
ip link set "$ifc" mtu 9000 && in_ns ip link set "$peer" mtu 9000 &&
	wait_for 10 ping -c 1 -W 1 10.16.0.2 >/dev/null
mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/out.bin bs=1024 count=4096 2>/dev/null
busybox httpd -f -p 8080 -h /tmp/www & h1=$!
in_ns busybox httpd -f -p 8081 -h /tmp/www & h2=$!
x0=$(nic_stat rx_csum_good) gpa0=$(nic_stat tx_gpa_direct) lin0=$(nic_stat tx_linearized)
wait_for 10 sh -c "cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1F90 '" &&
	wait_for 10 sh -c "nsenter -t $ns -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1F91 '" &&
	in_ns busybox wget -q -O /tmp/got.bin http://10.16.0.1:8080/out.bin &&
	busybox wget -q -O /tmp/back.bin http://10.16.0.2:8081/out.bin
kill $h1 $h2 2>/dev/null
want=$(sha256sum </tmp/www/out.bin)
# The guest's large frames went as GPA ranges of the skb's head and page
# fragments, not copied into one linear buffer first (tx_linearized).
fr=$(($(nic_stat tx_gpa_direct) - gpa0)) lin=$(($(nic_stat tx_linearized) - lin0))
[ "$(sha256sum </tmp/got.bin)" = "$want" ] && [ "$(sha256sum </tmp/back.bin)" = "$want" ] &&
	[ "$(nic_stat rx_csum_good)" -gt "$x0" ] && [ "$fr" -gt 20 ] && [ $((lin * 2)) -lt "$fr" ] &&
	tap_ok "a 4 MiB file crosses intact both ways ($fr frames sent as page fragments, $lin linearized); received checksums vouched for by the host" ||
	tap_fail "a 4 MiB file crosses intact both ways, sent as page fragments; received checksums vouched for by the host" \
		"$(cat /sys/class/net/$ifc/mtu; ls -l /tmp/www/out.bin /tmp/*.bin; sha256sum /tmp/www/out.bin /tmp/*.bin; echo "rx_csum_good $x0 -> $(nic_stat rx_csum_good); GPA-direct $fr, linearized $lin")"
rm -f /tmp/got.bin /tmp/back.bin
ip link set "$ifc" mtu 1500 && in_ns ip link set "$peer" mtu 1500 &&
	wait_for 10 ping -c 1 -W 1 10.16.0.2 >/dev/null
nic_srv_start

# ethtool -K: RX checksums off, the host is told, and vouches for nothing more.
ethtool -K "$ifc" rx off && [ "$(nic_feat rx-checksumming)" = off ] &&
	[ "$(nic_host offloads_on)" = $((1023 & ~0xf0)) ] && x0=$(nic_stat rx_csum_good) &&
	iperf -R && [ "$(nic_stat rx_csum_good)" = "$x0" ] &&
	ethtool -K "$ifc" tx off && [ "$(nic_host offloads_on)" = 0 ] &&
	[ "$(nic_feat tcp-segmentation-offload)" = off ] && c0=$(nic_host csum_frames) && l0=$(nic_host lso_frames) &&
	iperf && [ "$(nic_host csum_frames)" = "$c0" ] && [ "$(nic_host lso_frames)" = "$l0" ] &&
	ethtool -K "$ifc" rx on tx on tso on && [ "$(nic_host offloads_on)" = 1023 ] &&
	tap_ok "ethtool -K rx/tx off: the host is told, and does no more; on again" ||
	tap_fail "ethtool -K rx/tx off: the host is told, and does no more; on again" \
		"$(nic_host offloads_on); $out; $(ethtool -k $ifc | head -12)"

# 802.1Q: a VLAN device on each end; the tag crosses as per-packet info.
modprobe 8021q 2>/dev/null
ip link add link "$ifc" name vl7 type vlan id 7 && ip addr add 10.17.0.1/24 dev vl7 && ip link set vl7 up &&
	in_ns ip link add link "$peer" name vl7 type vlan id 7 && in_ns ip addr add 10.17.0.2/24 dev vl7 &&
	in_ns ip link set vl7 up && wait_for 10 ping -c 1 -W 1 10.17.0.2 >/dev/null &&
	ping -c 3 -s 1400 -W 2 10.17.0.2 >/dev/null && in_ns ping -c 3 -W 2 10.17.0.1 >/dev/null &&
	tap_ok "VLAN 7 devices on the NIC and on its peer ping both ways" ||
	tap_fail "VLAN 7 devices on the NIC and on its peer ping both ways" "$(ip -d link show vl7; dmesg | tail)"
ip link del vl7 2>/dev/null

[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] && [ "$(nic_stat bad_ppi)" = 0 ] &&
	tap_ok "nothing refused by the host, no bad per-packet info at the guest" ||
	tap_fail "nothing refused by the host, no bad per-packet info at the guest" \
		"$(hvctl sim nic show; dmesg | grep -E 'refused|per-packet' | tail)"
nic_srv_stop
nic_cleanup
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"

# A host that grants nothing.
nic_add --offloads none && nic_netns 10.16.0.1 10.16.0.2 && wait_for 10 ping -c 1 -W 1 10.16.0.2 >/dev/null &&
	[ "$(nic_feat rx-checksumming)" = "off [fixed]" ] && [ "$(nic_feat tx-checksum-ipv4)" = "off [fixed]" ] &&
	[ "$(nic_feat tx-tcp-segmentation)" = "off [fixed]" ] && [ "$(nic_feat tx-tcp6-segmentation)" = "off [fixed]" ] &&
	[ "$(nic_feat tx-udp-segmentation)" = "off [fixed]" ] && [ "$(nic_host offloads)" = none ] && [ "$(nic_host offloads_on)" = 0 ] &&
	tap_ok "a host granting nothing: ethtool -k shows every offload off and fixed" ||
	tap_fail "a host granting nothing: ethtool -k shows every offload off and fixed" \
		"$(ethtool -k $ifc | head -20; hvctl sim nic show --json)"

nic_srv_start && ! ethtool -K "$ifc" tso on 2>/dev/null; e0=$(snmp Tcp InCsumErrors ns)
iperf && iperf -R && iperf -u -b 10M && [ "$(nic_host lso_frames)" = 0 ] && [ "$(nic_host csum_frames)" = 0 ] &&
	[ "$(nic_stat rx_csum_good)" = 0 ] && [ "$(snmp Tcp InCsumErrors ns)" = "$e0" ] &&
	[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	tap_ok "with nothing granted, TCP and UDP flow checksummed by the guest; the host computes nothing" ||
	tap_fail "with nothing granted, TCP and UDP flow checksummed by the guest; the host computes nothing" \
		"$out; $(hvctl sim nic show --json; ethtool -S $ifc | grep -E 'lso|csum')"
nic_srv_stop
nic_finish
tap_done
