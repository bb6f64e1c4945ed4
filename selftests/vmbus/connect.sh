#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest connects to the simulated host at every protocol version,
# falls back from the newest to what the host accepts, honours its own
# cap, and fails cleanly when no version is common.
. /hvkit/lib/tap.sh
pv=/sys/bus/vmbus/protocol_version
versions="0x50003:5.3 0x50002:5.2 0x50001:5.1 0x50000:5.0 0x40001:4.1 0x40000:4.0 0x30000:3.0 0x20004:2.4"
tap_plan 12

for pair in $versions; do
	hex=${pair%%:*} want=${pair#*:}
	if ! modprobe hvkit_sim max_version=$hex; then
		tap_fail "connects at $want when the host's newest is $want" "hvkit_sim did not load"
		continue
	fi
	got=$(cat $pv)
	[ "$got" = "$want" ] && tap_ok "connects at $want when the host's newest is $want" ||
		tap_fail "connects at $want when the host's newest is $want" "negotiated $got"
	rmmod hvkit_sim
done

got=$(cat $pv)
[ "$got" = none ] && tap_ok "after the host goes away no version is in force" ||
	tap_fail "after the host goes away no version is in force" "protocol_version says $got"
rmmod hvkit_vmbus

modprobe hvkit_vmbus max_version=0x40000
modprobe hvkit_sim
got=$(cat $pv)
[ "$got" = 4.0 ] && tap_ok "the guest's max_version caps the negotiation at 4.0" ||
	tap_fail "the guest's max_version caps the negotiation at 4.0" "negotiated $got"
rmmod hvkit_sim

mark="hvk-connect-$$"
echo "$mark" >/dev/kmsg
if modprobe hvkit_sim min_version=0x50000 2>/dev/null; then
	tap_fail "no common version: the host fails to attach" "hvkit_sim loaded and negotiated $(cat $pv)"
	rmmod hvkit_sim
else
	tap_ok "no common version: the host fails to attach"
fi
msg=$(dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on' | grep 'no VMBus protocol version agreed')
[ -n "$msg" ] && [ "$(cat $pv)" = none ] && tap_ok "no common version: the guest says so and stays unconnected" ||
	tap_fail "no common version: the guest says so and stays unconnected" "log: '$msg', version: $(cat $pv)"
rmmod hvkit_vmbus
tap_done
