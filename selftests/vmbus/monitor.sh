#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Monitored channels: the guest signals the host through the monitor page,
# which the host polls, instead of a hypercall per signal; the sysfs
# attributes upstream has for them appear, and only for them.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 12
N=3

# Field $2 of the host's JSON line for device $1.
host_field() {
	hvctl sim list --json | tr '{' '\n' | grep "\"$1\"" |
		sed -n "s/.*\"$2\":\\([^,}]*\\).*/\\1/p"
}

g=$(hvk_echo_add --channels $N --monitored)
d=/sys/bus/vmbus/devices/$g
wait_for 10 sh -c "[ \$(grep -l open $d/channels/*/state | wc -l) = $N ]" &&
	tap_ok "a monitored device binds and all $N of its channels open" ||
	tap_fail "a monitored device binds and all $N of its channels open" "$(grep . $d/channels/*/state 2>&1)"

ids=$(cat $d/channels/*/monitor_id 2>/dev/null | sort -un | wc -l)
[ "$ids" = $N ] && [ "$(cat $d/monitor_id)" -lt 128 ] &&
	tap_ok "each channel has a monitor id of its own" ||
	tap_fail "each channel has a monitor id of its own" "$(grep . $d/monitor_id $d/channels/*/monitor_id 2>&1)"

# The host wrote how it polls: 100 us by default, in 100 ns units, and
# the connection id it listens on (the sim's is 0x1000 + relid).
relid=$(cat $d/id)
[ "$(cat $d/client_monitor_latency)" = 1000 ] && [ "$(cat $d/server_monitor_latency)" = 1000 ] &&
	[ "$(cat $d/client_monitor_conn_id)" = $((4096 + relid)) ] &&
	tap_ok "the host's latency and connection id show in the device's monitor attributes" ||
	tap_fail "the host's latency and connection id show in the device's monitor attributes" \
		"$(grep . $d/*monitor* 2>&1)"

echo "300 1000" >$d/echo_test && grep -q "channels=$N " $d/echo_test &&
	tap_ok "traffic over every monitored channel comes back intact" ||
	tap_fail "traffic over every monitored channel comes back intact" "$(cat $d/echo_test)"
for size in 1 4096 128992; do
	echo "50 $size" >$d/echo_test || { bad="$size: $(cat $d/echo_test)"; break; }
done
[ -z "$bad" ] && tap_ok "echoes from 1 byte to half the ring come back byte for byte" ||
	tap_fail "echoes from 1 byte to half the ring come back byte for byte" "$bad"

sig=$(host_field $g signals)
mon=$(host_field $g monitor_signals)
[ "$sig" = 0 ] && [ "${mon:-0}" -gt 0 ] &&
	tap_ok "the host found the guest's signals in the monitor page, none by hypercall" ||
	tap_fail "the host found the guest's signals in the monitor page, none by hypercall" \
		"hypercalls $sig, monitor page $mon"

hvctl list -v | grep -q "monitor id $(cat $d/monitor_id): pending" &&
	tap_ok "hvctl list -v shows the monitor state" ||
	tap_fail "hvctl list -v shows the monitor state" "$(hvctl list -v 2>&1)"

# An unmonitored device beside it: hypercalls, and no monitor attributes.
u=$(hvk_echo_add)
echo "100 64" >/sys/bus/vmbus/devices/$u/echo_test
ud=/sys/bus/vmbus/devices/$u
! ls $ud/monitor_id $ud/client_monitor_pending $ud/channels/*/monitor_id $ud/channels/*/latency \
		>/dev/null 2>&1 && [ "$(host_field $u signals)" -gt 0 ] &&
	[ "$(host_field $u monitored)" = false ] &&
	tap_ok "an unmonitored device signals by hypercall and has no monitor attributes" ||
	tap_fail "an unmonitored device signals by hypercall and has no monitor attributes" \
		"$(ls $ud $ud/channels/*; hvctl sim list)"

# 128 monitor ids: two more devices take what is left (64 + 61 channels;
# unbound, so the guest opens none of them), and the next finds none.
echo 0 >/sys/bus/vmbus/drivers_autoprobe
g2=$(hvctl sim add echo --monitored --channels 64) &&
	g3=$(hvctl sim add echo --monitored --channels $((128 - N - 64))) &&
	out=$(hvctl sim add echo --monitored 2>&1)
[ -n "$g3" ] && echo "$out" | grep -q "no monitor id left" &&
	tap_ok "the host refuses a monitored device past 128 monitor ids, with a reason" ||
	tap_fail "the host refuses a monitored device past 128 monitor ids, with a reason" "$g2 $g3 / $out"
hvctl sim remove $g2
hvctl sim remove $g3
echo 1 >/sys/bus/vmbus/drivers_autoprobe

hvctl sim remove $g
wait_for 10 sh -c "! test -e $d && ! hvctl sim list | grep -q $g" &&
	tap_ok "a monitored device is rescinded and every relid comes back" ||
	tap_fail "a monitored device is rescinded and every relid comes back" "$(hvctl sim list)"

# Unload with a monitored channel open: the host's poll must stop first.
g=$(hvk_echo_add --monitored)
rmmod hvkit_echo hvkit_sim 2>&1 && ! grep -q hvkit_sim /proc/modules &&
	tap_ok "the host unloads while it polls an open monitored channel" ||
	tap_fail "the host unloads while it polls an open monitored channel" "$(lsmod)"

out=$(modprobe hvkit_sim monitor_latency_us=0 2>&1)
if grep -q hvkit_sim /proc/modules; then
	tap_fail "a monitor latency of 0 is refused" "it loaded"
	rmmod hvkit_sim
else
	modprobe hvkit_sim monitor_latency_us=500 && g=$(hvk_echo_add --monitored) &&
		[ "$(cat /sys/bus/vmbus/devices/$g/client_monitor_latency)" = 5000 ] &&
		echo "100 512" >/sys/bus/vmbus/devices/$g/echo_test &&
		tap_ok "a monitor latency of 0 is refused; 500 us is what the guest sees and works" ||
		tap_fail "a monitor latency of 0 is refused; 500 us is what the guest sees and works" \
			"$(cat /sys/bus/vmbus/devices/$g/client_monitor_latency 2>&1)"
fi
tap_done
