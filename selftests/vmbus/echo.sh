#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An echo device offered by the simulated host is found, its driver loads
# by modalias, and packets and GPADLs of every size come back intact.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 21

g=$(hvctl sim add echo)
if [ -n "$g" ] && wait_for 10 test -e /sys/bus/vmbus/devices/$g; then
	tap_ok "an offered echo device appears on the bus"
else
	tap_fail "an offered echo device appears on the bus" "hvctl said '$g'"
fi
d=/sys/bus/vmbus/devices/$g
if wait_for 10 test -e $d/driver && [ "$(basename "$(readlink $d/driver)")" = hvkit_echo ]; then
	tap_ok "its driver is loaded by modalias and binds"
else
	tap_fail "its driver is loaded by modalias and binds" "modalias $(cat $d/modalias 2>/dev/null), driver: $(readlink $d/driver)"
fi
# channels/<relid> appears just after probe, as upstream's does.
[ "$(cat $d/state 2>/dev/null)" = 1 ] && wait_for 5 grep -q open $d/channels/*/state &&
	tap_ok "the channel is open" || tap_fail "the channel is open" "state $(cat $d/state)"
hvctl list | grep -q "hvkit echo" && tap_ok "hvctl list shows the device" ||
	tap_fail "hvctl list shows the device" "$(hvctl list 2>&1)"

# Payload sizes: 1 byte to half the 252 KiB data ring.
for size in 1 64 1500 4096 65536 128992; do
	if echo "200 $size" >$d/echo_test 2>/dev/null; then
		tap_ok "200 echoes of $size bytes come back byte for byte"
	else
		tap_fail "200 echoes of $size bytes come back byte for byte" "$(cat $d/echo_test)"
	fi
done

# GPADLs: one page to the protocol's largest (16-bit range_buflen: 8190 pages).
for size in 4096 1048576 16777216 33546240; do
	if echo $size >$d/gpadl_test 2>/dev/null; then
		tap_ok "a GPADL of $size bytes reaches the host intact"
	else
		tap_fail "a GPADL of $size bytes reaches the host intact" "$(cat $d/echo_test)"
	fi
done
if echo 67108864 >$d/gpadl_test 2>/dev/null; then
	tap_fail "a 64 MiB GPADL, past the protocol's limit, is refused" "it was accepted"
else
	tap_ok "a 64 MiB GPADL, past the protocol's limit, is refused"
fi

# Page buffers and multi-page buffers (GPA-direct): SIZE RANGES OFFSET.
# The host reads the guest's bytes through the page numbers, then writes
# its own, which must land on exactly those bytes and nowhere else.
for t in "4096 1 0" "1 1 4095" "5000 1 100" "65536 8 333" "1048576 3 4000" "64 64 7"; do
	if echo "$t" >$d/gpa_test 2>/dev/null; then
		tap_ok "GPA-direct '$t' (size ranges offset): the host reads and writes exactly those bytes"
	else
		tap_fail "GPA-direct '$t' (size ranges offset): the host reads and writes exactly those bytes" \
			"$(cat $d/echo_test)"
	fi
done
tap_done
