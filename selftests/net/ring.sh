#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ethtool -g/-G on the synthetic NIC, as upstream netvsc: the receive and
# send buffers counted in sections (the host's 1728-byte receive
# sub-allocations, its 6144-byte send sections), their maximums what the
# protocol's largest buffers hold (31 MiB and 15 MiB; 15 MiB of receive
# buffer up to NVSP 2). -g shows the defaults; -G to smaller and to the
# largest buffers reopens the device, which keeps its addresses, the host
# sees GPADLs of the new sizes, and ping and iperf3 (both ways) work after
# each; -G under an iperf3 stream, which completes; an MTU change keeps
# the sections; values out of range are refused with a reason and change
# nothing; the host refuses nothing. With the smallest rings and a slow
# host, UDP fills the send ring: the queue stops and wakes (flow control).
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v iperf3 >/dev/null || tap_skip_all "no iperf3 in the guest image"
tap_plan 11
trap 'nic_srv_stop; nic_cleanup' EXIT

# ring: ethtool -g into max_rx, max_tx, rx, tx.
ring() {
	eval "$(ethtool -g "$ifc" | awk '/^Pre-set/ { p = "max_" } /^Current/ { p = "" }
		$1 == "RX:" { print p "rx=" $2 } $1 == "TX:" { print p "tx=" $2 }')"
}
pages() { echo $(((($1) + 4095) / 4096 * 4096)); }
# host_sees: the host's receive and send GPADLs are the sizes -g's
# sections make (whole pages), and it carved them into those sections.
host_sees() {
	[ "$(nic_host recv_buf)" = "$(pages "$rx * 1728")" ] ||
		[ "$(nic_host recv_buf)" = "$(pages "($rx - 1) * 1728")" ] ||
		[ "$(nic_host recv_buf)" = "$(pages "($rx - 2) * 1728")" ] || return 1
	[ "$(nic_host recv_sections)" = "$rx" ] && [ "$(nic_host send_buf)" = "$(pages "$tx * 6144")" ] &&
		[ "$(nic_host send_sections)" = "$tx" ]
}
# traffic: ping both ways, iperf3 to the peer and from it (1 s each); the
# address and MAC are the ones set at the start.
traffic() {
	wait_for 10 ping -c 1 -W 1 10.19.0.2 >/dev/null && ping -c 3 -W 2 10.19.0.2 >/dev/null &&
		in_ns ping -c 3 -W 2 10.19.0.1 >/dev/null &&
		nic_iperf 10.19.0.2 && nic_iperf 10.19.0.2 -R &&
		ip -4 addr show dev "$ifc" | grep -q 'inet 10.19.0.1/24' &&
		[ "$(cat /sys/class/net/$ifc/address)" = 00:15:5d:19:00:01 ]
}
seen() { echo "rx $rx/$max_rx tx $tx/$max_tx; $(hvctl sim nic show --json); $out; $(dmesg | tail -n 8)"; }

nic_add --mac 00:15:5d:19:00:01 && nic_netns 10.19.0.1 10.19.0.2 && nic_srv_start &&
	ring && [ "$max_rx" = 18811 ] && [ "$max_tx" = 2560 ] && [ "$rx" = 2427 ] && [ "$tx" = 170 ] &&
	[ "$(nic_host recv_buf)" = 4194304 ] && host_sees &&
	tap_ok "ethtool -g: 2427 of 18811 receive sections, 170 of 2560 send sections; the host's GPADLs match" ||
	tap_fail "ethtool -g: 2427 of 18811 receive sections, 170 of 2560 send sections; the host's GPADLs match" "$(seen)"

out=$(ethtool -G "$ifc" rx 100 tx 20 2>&1) && ring && [ "$rx" -ge 100 ] && [ "$rx" -le 102 ] &&
	[ "$tx" = 20 ] && host_sees && [ "$(nic_host recv_buf)" = 176128 ] && traffic &&
	tap_ok "ethtool -G rx 100 tx 20: the host gets buffers of $rx and $tx sections, traffic flows both ways" ||
	tap_fail "ethtool -G rx 100 tx 20: the host gets buffers of ${rx:-} and ${tx:-} sections, traffic flows both ways" "$(seen)"

ip link set "$ifc" mtu 9000 && in_ns ip link set "$peer" mtu 9000 && ring &&
	[ "$rx" -ge 100 ] && [ "$rx" -le 102 ] && [ "$tx" = 20 ] && host_sees && traffic &&
	ip link set "$ifc" mtu 1500 && in_ns ip link set "$peer" mtu 1500 &&
	tap_ok "an MTU change keeps the sections set" ||
	tap_fail "an MTU change keeps the sections set" "$(seen)"

out=$(ethtool -G "$ifc" rx 18811 tx 2560 2>&1) && ring && [ "$rx" = 18811 ] && [ "$tx" = 2560 ] &&
	[ "$(nic_host recv_buf)" = 32505856 ] && [ "$(nic_host send_buf)" = 15728640 ] && host_sees && traffic &&
	tap_ok "ethtool -G to the largest: 31 MiB and 15 MiB GPADLs at the host, traffic flows both ways" ||
	tap_fail "ethtool -G to the largest: 31 MiB and 15 MiB GPADLs at the host, traffic flows both ways" "$(seen)"

# Under a TCP stream: each change reopens the device; the stream survives.
iperf3 -c 10.19.0.2 -t 12 >/tmp/ring-iperf.out 2>&1 & ip=$!
hvk_sleep 2
bad=
for v in "1000 100" "10 10" "2427 170"; do
	set -- $v
	ethtool -G "$ifc" rx $1 tx $2 || { bad="-G rx $1 tx $2 failed"; break; }
	hvk_sleep 1
done
wait $ip; rc=$?
out=$(cat /tmp/ring-iperf.out)
ring && [ -z "$bad" ] && [ $rc = 0 ] && echo "$out" | grep -q receiver && [ "$rx" = 2427 ] &&
	[ "$tx" = 170 ] && host_sees && traffic &&
	tap_ok "three ethtool -G changes under an iperf3 stream: each taken, the stream completes" ||
	tap_fail "three ethtool -G changes under an iperf3 stream: each taken, the stream completes" "$bad rc $rc; $(seen)"

# refused CASE...: ethtool -G fails with a reason, and nothing changes.
refused() {
	local why=$1 r0=$rx t0=$tx b0
	shift
	b0=$(nic_host recv_buf)
	out=$(ethtool -G "$ifc" "$@" 2>&1) && return 1
	echo "$out" | grep -q "$why" && ring && [ "$rx" = "$r0" ] && [ "$tx" = "$t0" ] &&
		[ "$(nic_host recv_buf)" = "$b0" ]
}
refused "at least 10 sections" rx 9 && refused "at least 10 sections" tx 0 &&
	tap_ok "fewer than 10 sections refused with a reason; nothing changes" ||
	tap_fail "fewer than 10 sections refused with a reason; nothing changes" "$(seen)"
refused "maximum" rx 18812 && refused "maximum" tx 2561 && refused "maximum" rx-mini 1 && traffic &&
	tap_ok "more sections than the largest buffers hold refused with a reason; traffic goes on" ||
	tap_fail "more sections than the largest buffers hold refused with a reason; traffic goes on" "$(seen)"

[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] && [ "$(nic_stat bad_nvsp_msg)" = 0 ] &&
	tap_ok "the host refused nothing, the guest saw no bad NVSP message" ||
	tap_fail "the host refused nothing, the guest saw no bad NVSP message" \
		"$(hvctl sim nic show; dmesg | grep -E 'refused|buffer' | tail)"
nic_srv_stop
nic_cleanup
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"

# Up to NVSP 2 the receive buffer is 15 MiB at most (upstream's legacy limit).
nic_add --nvsp-max 3.2 --mac 00:15:5d:19:00:01 && nic_netns 10.19.0.1 10.19.0.2 && nic_srv_start &&
	ring && [ "$max_rx" = 9102 ] && [ "$max_tx" = 2560 ] &&
	out=$(ethtool -G "$ifc" rx 9102 2>&1) && ring && [ "$rx" = 9102 ] &&
	[ "$(nic_host recv_buf)" = 15728640 ] && host_sees && traffic &&
	refused "maximum" rx 9103 &&
	tap_ok "an NVSP 3.2 host: 9102 receive sections at most (15 MiB), taken, traffic flows" ||
	tap_fail "an NVSP 3.2 host: 9102 receive sections at most (15 MiB), taken, traffic flows" "$(seen)"

[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	tap_ok "the NVSP 3.2 host refused nothing" ||
	tap_fail "the NVSP 3.2 host refused nothing" "$(hvctl sim nic show; dmesg | grep refused | tail)"
nic_srv_stop
nic_finish

# Send-queue flow control with the smallest rings (ring_kb=16), against a
# slow host (serve_delay_us=300: it pauses after each packet, a few
# thousand packets a second): a stream of 64-byte UDP datagrams, which no
# acknowledgement holds back, fills the send ring, so the queue stops
# (tx_queue_0_stops, tx_busy), and it wakes on the host's space signal:
# a queue stops only while running, so two stops or more prove a wake in
# mid-stream, and the stream completes. The driver drops nothing. (No
# byte count is asserted: how much a slow host takes in 2 s is a speed,
# and a debug kernel on a loaded machine sent 90 kB where an idle stock
# one sends 190 kB.)
# With the host at full speed again, TCP flows. (TCP alone fills a 16 KiB
# ring only when the host falls behind: it did here, not on a faster
# machine, so the slow host makes it certain.)
qs() { echo "stops $(nic_stat tx_queue_0_stops) bytes $(nic_stat tx_queue_0_bytes) drops $(nic_stat tx_queue_0_drops) busy $(nic_stat tx_busy)"; }
delay=/sys/module/hvkit_sim/parameters/serve_delay_us
what="16 KiB rings and a slow host: 64-byte UDP fills the send ring, the queue stops and wakes, the stream completes, TCP flows after"
out=
if modprobe hvkit_netvsc ring_kb=16 && modprobe hvkit_sim &&
	nic_add --queues 1 --mac 00:15:5d:19:00:02 && nic_netns 10.19.0.1 10.19.0.2 && nic_srv_start; then
	b0=$(nic_stat tx_queue_0_bytes)
	echo 300 >$delay
	out=$(iperf3 -c 10.19.0.2 -u -b 100M -l 64 -t 2 2>&1); urc=$?
	echo 0 >$delay
	sent=$(( $(nic_stat tx_queue_0_bytes) - b0 ))
	if [ $urc = 0 ] && echo "$out" | grep -q receiver &&
		[ "$(nic_stat tx_queue_0_stops)" -ge 2 ] && [ "$(nic_stat tx_busy)" -gt 0 ] &&
		[ "$(nic_stat tx_queue_0_drops)" = 0 ] &&
		wait_for 10 ping -c 1 -W 1 10.19.0.2 >/dev/null && nic_iperf 10.19.0.2 -t 1 &&
		[ "$(nic_stat tx_queue_0_drops)" = 0 ]; then
		tap_ok "$what ($(qs), $sent bytes under the slow host)"
	else
		tap_fail "$what" "$(qs), $sent bytes under the slow host; $(echo "$out" | tail -n 3)"
	fi
else
	tap_fail "$what" "the NIC did not come up: $(dmesg | tail -n 3)"
fi
echo 0 >$delay 2>/dev/null
nic_srv_stop
nic_finish
tap_done
