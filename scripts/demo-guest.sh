#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo guest. Each part shows one capability working and
# prints a "REPORT <what>: <result>" line for the summary.
. /hvkit/lib/tap.sh
fail=0
report() { echo "REPORT $*"; }
part() { echo; echo "---- $*"; }
bad() { report "$1: FAILED${2:+ ($2)}"; fail=1; }

part "VMBus core on the simulated host"
if modprobe hvkit_sim; then
	report "VMBus: connected to the simulated host at protocol $(cat /sys/bus/vmbus/protocol_version)"
else
	bad "VMBus" "hvkit_sim did not load"
	exit 1
fi

part "Devices offered by the host; drivers loaded by modalias"
a=$(hvk_echo_add) && b=$(hvk_echo_add --channels 4 --monitored) || bad "devices"
hvctl list
report "devices: 2 echo devices offered, driver $(basename "$(readlink /sys/bus/vmbus/devices/$a/driver)") bound by modalias, $(ls /sys/bus/vmbus/devices/$b/channels | wc -l) monitored channels on the second"

part "Traffic: echoes checked byte for byte"
if echo "2000 1500" >/sys/bus/vmbus/devices/$a/echo_test &&
	echo "2000 1500" >/sys/bus/vmbus/devices/$b/echo_test; then
	cat /sys/bus/vmbus/devices/$a/echo_test /sys/bus/vmbus/devices/$b/echo_test
	report "traffic: 4000 packets of 1500 bytes came back intact, over 1 and 4 channels"
	hvctl sim list
	row=$(hvctl sim list --json | tr '{' '\n' | grep "\"$b\"")
	mon=$(echo "$row" | sed -n 's/.*"monitor_signals":\([0-9]*\).*/\1/p')
	sig=$(echo "$row" | sed -n 's/.*"signals":\([0-9]*\).*/\1/p')
	[ "${mon:-0}" -gt 0 ] && [ "$sig" = 0 ] &&
		report "monitor page: the host found the monitored device's $mon signals by polling, none came by hypercall" ||
		bad "monitor page" "$mon signals found in the page, $sig by hypercall"
else
	bad "traffic" "$(cat /sys/bus/vmbus/devices/$a/echo_test)"
fi
echo 16777216 >/sys/bus/vmbus/devices/$a/gpadl_test && report "GPADL: a 16 MiB buffer reached the host intact" ||
	bad "GPADL"
hvctl list -v | sed -n '1,12p'

part "A hostile host: the guest refuses a corrupt ring and recovers"
hvctl sim fault bad_pkt_len 1
if ! echo "10 100" >/sys/bus/vmbus/devices/$a/echo_test 2>/dev/null; then
	dmesg | grep 'corrupted' | tail -n 1
	echo $a >/sys/bus/vmbus/drivers/hvkit_echo/unbind
	echo $a >/sys/bus/vmbus/drivers/hvkit_echo/bind
	echo "10 100" >/sys/bus/vmbus/devices/$a/echo_test &&
		report "faults: a corrupt packet was refused, the channel reopened and works" || bad "faults" "no recovery"
else
	bad "faults" "the corrupt packet was accepted"
fi
hvctl sim faults | head -n 4

part "Rescind"
hvctl sim remove $b
wait_for 10 sh -c "! test -e /sys/bus/vmbus/devices/$b" && report "rescind: the device and its 4 channels left the bus" ||
	bad "rescind"
hvctl sim list

report "not yet in hvkit: NIC, storage, vPCI, util services, daemons (see the issues)"
exit $fail
