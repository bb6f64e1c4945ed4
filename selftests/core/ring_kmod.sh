#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The shared ring buffer code, run inside the kernel by hvkit_ring_test:
# its TAP comes from the kernel log. 200000 packets (a quarter on the
# debug kernel, hvk_scale: still thousands of passes round the 16 KiB ring).
. /hvkit/lib/tap.sh
mark="hvkit-ring-test-$$"
echo "$mark" >/dev/kmsg
modprobe hvkit_ring_test packets=${HVK_RING_PACKETS:-$(hvk_scale 200000)}
rc=$?
dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on' |
	sed -n 's/^\[[^]]*\] //; /^TAP version/d; /^1\.\./p; /^ok /p; /^not ok /p; /^# /p'
rmmod hvkit_ring_test 2>/dev/null
rmmod hvkit_vmbus 2>/dev/null
exit $rc
