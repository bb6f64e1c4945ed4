#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Channels offered without a dedicated interrupt: below VMBus 5.0 the guest
# signals them on the shared event connection, after marking the channel's
# relid in the guest-to-host half of its interrupt page, and the host finds
# which channel it was by that bit. From 5.0 on the guest names no
# interrupt page, so every channel has a dedicated interrupt.
. /hvkit/lib/tap.sh
rmmod hvkit_echo hvkit_sim 2>/dev/null
modprobe hvkit_sim max_version=0x40000 || tap_skip_all "hvkit_sim does not load"
tap_plan 6
N=2

# Field $2 of the host's JSON line for device $1.
host_field() {
	hvctl sim list --json | tr '{' '\n' | grep "\"$1\"" |
		sed -n "s/.*\"$2\":\\([^,}]*\\).*/\\1/p"
}

g=$(hvk_echo_add --channels $N --no-dedicated-interrupt)
d=/sys/bus/vmbus/devices/$g
[ -n "$g" ] && [ "$(cat /sys/bus/vmbus/protocol_version)" = 4.0 ] &&
	[ "$(host_field $g dedicated_interrupt)" = false ] &&
	tap_ok "a device without a dedicated interrupt binds at 4.0" ||
	tap_fail "a device without a dedicated interrupt binds at 4.0" \
		"version $(cat /sys/bus/vmbus/protocol_version); $(hvctl sim list)"

if echo "300 1000" >$d/echo_test && grep -q "channels=$N " $d/echo_test; then
	tap_ok "traffic over every channel without a dedicated interrupt comes back intact"
else
	tap_fail "traffic over every channel without a dedicated interrupt comes back intact" "$(cat $d/echo_test)"
fi
echo "20 128992" >$d/echo_test &&
	tap_ok "half-ring packets, which wait on the guest's signal for space, come back" ||
	tap_fail "half-ring packets, which wait on the guest's signal for space, come back" "$(cat $d/echo_test)"

ip=$(host_field $g int_page_signals) sig=$(host_field $g signals)
[ "${ip:-0}" -gt 0 ] && [ "${sig:-1}" = 0 ] &&
	tap_ok "the host found every signal in the interrupt page, none by connection" ||
	tap_fail "the host found every signal in the interrupt page, none by connection" \
		"interrupt page: $ip, by connection: $sig"

hvctl sim add echo --monitored --no-dedicated-interrupt >/dev/null 2>&1 &&
	tap_fail "a monitored device cannot also be without a dedicated interrupt" "hvctl sim add succeeded" ||
	tap_ok "a monitored device cannot also be without a dedicated interrupt"
hvctl sim remove $g
wait_for 10 hvk_gone "$d"
rmmod hvkit_sim

# From 5.0 there is no interrupt page: the same device gets a dedicated one.
modprobe hvkit_sim
g=$(hvk_echo_add --no-dedicated-interrupt)
d=/sys/bus/vmbus/devices/$g
if [ -n "$g" ] && echo "100 1000" >$d/echo_test && [ "$(host_field $g int_page_signals)" = 0 ] &&
	[ "$(host_field $g signals)" -gt 0 ]; then
	tap_ok "at 5.3 such a device is signalled by its own connection"
else
	tap_fail "at 5.3 such a device is signalled by its own connection" "$(hvctl sim list)"
fi
rmmod hvkit_sim
tap_done
