#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A hostile vPCI host: a slot with reserved bits, a function count past the
# message, one slot named twice, a BAR whose size is not a power of two.
# Each is refused with its log line; no function of it reaches the guest's
# PCI bus, nothing oopses, and a well-behaved host works afterwards. An
# interrupt answered for another vector count is refused (logged) and
# nothing is delivered through it. A host whose serve work stalls past the
# guest's interrupt poll still answers CREATE_INTERRUPT (its fast path).
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
real=$(hvk_edu_real) || tap_skip_all "no edu device (qemu -device edu)"
tap_plan 7
rmmod hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
modprobe hvkit_pci

# fault_case FAULT LOG-LINE: the guest refuses and logs it; no view appears.
fault_case() {
	local g mark="hvkit-pci-fault-$1"
	echo "$mark" >/dev/kmsg
	hvctl sim fault "$1" 1
	g=$(hvctl sim add vpci --pci "$real")
	wait_for 40 sh -c "dmesg | awk -v m='$mark' 'index(\$0, m) { on = 1 } on' | grep -q '$2'"
	hvk_sleep 1
	local log=$(dmesg | awk -v m="$mark" 'index($0, m) { on = 1 } on')
	if echo "$log" | grep -q "$2" && ! hvk_vpci_view 0x1234 0x11e8 >/dev/null; then
		tap_ok "$1: refused ($2)"
	else
		tap_fail "$1: refused ($2)" "$log"
	fi
	hvctl sim remove "$g"
	wait_for 30 sh -c "! grep -q $g /proc/iomem && ! test -e /sys/bus/vmbus/devices/$g"
	hvctl sim fault "$1" 0
}
fault_case vpci_bad_relations "bus relations refused: function slot with reserved bits set"
fault_case vpci_rel_count "bus relations refused: function count runs past the message"
fault_case vpci_dup_slot "bus relations refused: two functions in one slot"
fault_case vpci_bad_resources "resource requirements refused: a BAR whose size is not a power of two"

# vpci_int_count: the edu driver's MSI request (at its probe) answered for
# two vectors: refused and logged, the driver bound all the same, and no
# interrupt of it reaches the handler (its message is none the host gave).
echo hvkit-pci-fault-int-count >/dev/kmsg
modprobe hvkit_edu_test
hvctl sim fault vpci_int_count 1
g=$(hvctl sim add vpci --pci "$real")
wait_for 60 hvk_vpci_view 0x1234 0x11e8 >/dev/null
v=/sys/bus/pci/devices/$(hvk_vpci_view 0x1234 0x11e8)
wait_for 10 test -e "$v/edu_irq_test"
echo 1 >"$v/edu_irq_test" 2>/dev/null
log=$(dmesg | awk 'index($0, "hvkit-pci-fault-int-count") { on = 1 } on')
if echo "$log" | grep -q "interrupt refused: interrupt reply for another vector count" &&
	[ "$(cat "$v/edu_irqs" 2>&1)" = 0 ]; then
	tap_ok "vpci_int_count: an answer for another vector count refused (logged), no interrupt through it"
else
	tap_fail "vpci_int_count: an answer for another vector count refused (logged), no interrupt through it" \
		"$(cat "$v/edu_irq_test" "$v/edu_irqs" 2>&1); $log"
fi
hvctl sim fault vpci_int_count 0
hvctl sim remove "$g"
wait_for 30 sh -c "! grep -q $g /proc/iomem && ! test -e /sys/bus/vmbus/devices/$g"

g=$(hvctl sim add vpci --pci "$real")
wait_for 60 hvk_vpci_view 0x1234 0x11e8 >/dev/null
v=/sys/bus/pci/devices/$(hvk_vpci_view 0x1234 0x11e8 2>/dev/null)
wait_for 10 test -e "$v/edu_irq_test"
wait_for 10 grep -qi "^$g .* msi 1\$" /sys/kernel/debug/hvkit_sim/vpci	# as in check 7
echo 5 >"$v/edu_irq_test" 2>/dev/null
if [ "$(cat "$v/edu_irq_test" 2>&1)" = "ok 5" ]; then
	tap_ok "after them, a well-behaved host's function reaches the guest and its interrupts arrive"
else
	tap_fail "after them, a well-behaved host's function reaches the guest and its interrupts arrive" \
		"$(cat "$v/edu_irq_test" 2>&1); $(dmesg | tail -10)"
fi

# serve_stall: the host's serve work stalls 11 s, past the 10 s for which
# the guest polls, interrupts off, for its CREATE_INTERRUPT answer (the
# driver bound again asks for its MSI). The host's fast path, a function
# call on the other CPU, still answers it: the interrupts arrive and none
# is refused. Hyper-V's host has CPUs of its own; the simulated host
# shares the guest's, and this is what keeps it answering.
# pkts_in: the packets the host took from the guest on the function's bus.
pkts_in() {
	hvctl sim list --json | tr '{' '\n' | grep "\"$g\"" | sed -n 's/.*"packets_in":\([0-9]*\).*/\1/p'
}
drv=/sys/bus/pci/drivers/hvkit_edu_test
dev=${v##*/}
if [ "$(nproc)" -lt 2 ]; then
	tap_skip "serve_stall: CREATE_INTERRUPT answered by the host's other CPU while its work stalls" "one CPU"
else
	# Armed while the channel is idle, the fault fires in the work that
	# the unbind's DELETE_INTERRUPT wakes (armed after it, it could miss
	# that work, which serves on the bind's packets without a new
	# signal: seen once); the work then stalls, the fast path serves.
	in0=$(pkts_in)
	echo hvkit-pci-fault-serve-stall >/dev/kmsg
	hvctl sim fault serve_stall 1
	echo "$dev" >$drv/unbind
	more_in() { [ "$(pkts_in)" -gt "$in0" ]; }
	wait_for 10 more_in	# its DELETE_INTERRUPT
	wait_for 5 sh -c "hvctl sim faults | grep -q '^serve_stall *0 *1\$'"
	echo "$dev" >$drv/bind
	# The host takes the function's MSI when the guest enables it, in a
	# work of its own (msi_work, not the stalled one): an interrupt
	# raised before that is not the fast path's to answer.
	wait_for 10 grep -qi "^$g .* msi 1\$" /sys/kernel/debug/hvkit_sim/vpci
	echo 5 >"$v/edu_irq_test" 2>/dev/null
	r=$(cat "$v/edu_irq_test" 2>&1)
	log=$(dmesg | awk 'index($0, "hvkit-pci-fault-serve-stall") { on = 1; s = "" }
		on { s = s $0 "\n" } END { printf "%s", s }')	# from the last mark on
	if [ "$r" = "ok 5" ] && ! echo "$log" | grep -q "interrupt refused" &&
		hvctl sim faults | grep -q '^serve_stall *0 *1$'; then
		tap_ok "serve_stall: CREATE_INTERRUPT answered by the host's other CPU while its work stalls"
	else
		tap_fail "serve_stall: CREATE_INTERRUPT answered by the host's other CPU while its work stalls" \
			"$r; $(hvctl sim faults | grep serve_stall); $log"
	fi
	hvctl sim fault serve_stall 0
fi
hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/bus/vmbus/devices/$g"
rmmod hvkit_edu_test hvkit_pci hvkit_sim
tap_done
