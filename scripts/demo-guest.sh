#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo guest. Each part shows one capability working and
# prints a "REPORT <what>: <result>" line for the summary.
fail=0
report() { echo "REPORT $*"; }
part() { echo; echo "---- $*"; }

part "VMBus core module"
if modprobe hvkit_vmbus; then
	grep hvkit_vmbus /proc/modules
	ls -d /sys/bus/vmbus && ls /sys/bus/vmbus
	report "VMBus core: hvkit_vmbus loaded, /sys/bus/vmbus registered"
else
	report "VMBus core: FAILED to load"
	fail=1
fi

part "Ring buffer, in the kernel, two CPUs"
mark="demo-ring-$$"
echo "$mark" >/dev/kmsg
if modprobe hvkit_ring_test packets=100000; then
	dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on' | sed 's/^\[[^]]*\] //' | grep -E '^(ok|not ok|#)'
	report "ring buffer: $(dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on' | grep -c '\] ok ') of 3 in-kernel checks passed"
	rmmod hvkit_ring_test
else
	report "ring buffer: in-kernel checks FAILED"
	fail=1
fi
rmmod hvkit_vmbus

report "not yet in hvkit: simulated host, NIC, storage, vPCI, util services, daemons (see the issues)"
exit $fail
