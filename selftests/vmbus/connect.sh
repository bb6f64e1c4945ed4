#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest connects to the simulated host at every protocol version,
# falls back from the newest to what the host accepts, honours its own
# cap, and fails cleanly when no version is common.
#
# A host older than 5.0 (Windows Server 2016, QEMU's vmbus) does not serve
# connection 4, so HvPostMessage of a 5.x INITIATE_CONTACT fails there with
# HV_STATUS_INVALID_CONNECTION_ID: the guest must go on to the next older
# version at once, posting each 5.x request once, with no retries.
. /hvkit/lib/tap.sh
pv=/sys/bus/vmbus/protocol_version
versions="0x50003:5.3 0x50002:5.2 0x50001:5.1 0x50000:5.0 0x40001:4.1 0x40000:4.0 0x30000:3.0 0x20004:2.4"
tap_plan 16

since() { dmesg | awk -v m="$1" 'index($0, m) { on = 1; next } on'; }

for pair in $versions; do
	hex=${pair%%:*} want=${pair#*:}
	mark="hvk-connect-$hex-$$"
	echo "$mark" >/dev/kmsg
	if ! modprobe hvkit_sim max_version=$hex; then
		tap_fail "connects at $want when the host's newest is $want" "hvkit_sim did not load; $(since $mark | tail -n 5)"
		continue
	fi
	got=$(cat $pv)
	[ "$got" = "$want" ] && tap_ok "connects at $want when the host's newest is $want" ||
		tap_fail "connects at $want when the host's newest is $want" "negotiated $got"
	rmmod hvkit_sim
	case $want in 4.1|4.0|3.0|2.4) ;; *) continue ;; esac
	# Four 5.x requests (5.3 to 5.0), each refused once by the hypervisor.
	refused=$(since $mark | grep -c 'HvPostMessage on connection 0x4, which this host does not serve')
	errors=$(since $mark | grep -E 'hvkit_vmbus: .*(refused message type|did not answer|no VMBus protocol)')
	name="a $want host refuses the 5.x posts on connection 4: the guest falls back at once, no retries"
	[ "$refused" = 4 ] && [ -z "$errors" ] && tap_ok "$name" ||
		tap_fail "$name" "refused posts: $refused (want 4); errors: $errors"
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
