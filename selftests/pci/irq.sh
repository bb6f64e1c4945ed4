#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Interrupts through vPCI: an ordinary driver's MSI on the view of QEMU's
# edu goes through hvkit_pci's irq domain (the host maps it, CREATE_INTERRUPT)
# and the real function's MSI reaches the driver's handler, each one; an
# affinity change retargets it (HVCALL_RETARGET_INTERRUPT) and the next
# interrupts arrive on the new CPU, as /proc/interrupts counts them.
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
real=$(hvk_edu_real) || tap_skip_all "no edu device (qemu -device edu)"
[ "$(nproc)" -ge 2 ] || tap_skip_all "one CPU"
tap_plan 4
rmmod hvkit_edu_test hvkit_pci hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
modprobe hvkit_edu_test
g=$(hvctl sim add vpci --pci "$real")
wait_for 60 hvk_vpci_view 0x1234 0x11e8 >/dev/null
view=$(hvk_vpci_view 0x1234 0x11e8)
v=/sys/bus/pci/devices/$view
wait_for 10 test -e "$v/edu_irq_test"
irq=$(awk -F: '/hvkit_edu_test/ { gsub(/ /, "", $1); print $1 }' /proc/interrupts)
if [ -n "$irq" ] && grep -q "hvkit-vPCI-MSI" /proc/interrupts; then
	tap_ok "the driver's MSI (irq $irq) is in hvkit_pci's irq domain"
else
	tap_fail "the driver's MSI is in hvkit_pci's irq domain" "$(grep -i 'edu\|vpci' /proc/interrupts; dmesg | tail -8)"
fi
echo 20 >"$v/edu_irq_test" 2>/dev/null
r=$(cat "$v/edu_irq_test" 2>&1)
n=$(cat "$v/edu_irqs" 2>&1)
[ "$r" = "ok 20" ] && [ "$n" = 20 ] && tap_ok "20 interrupts raised, 20 taken by the handler" ||
	tap_fail "20 interrupts raised, 20 taken by the handler" "$r; count $n; $(dmesg | tail -6)"

# count CPU: the interrupts of $irq on CPU $1, from /proc/interrupts.
count() {
	awk -v irq="$irq:" -v c=$(($1 + 2)) '$1 == irq { print $c }' /proc/interrupts
}
moved() {
	local cpu=$1 before after
	echo $((1 << cpu)) >/proc/irq/$irq/smp_affinity || return 1
	echo 1 >"$v/edu_irq_test" 2>/dev/null	# a move may wait for the next interrupt
	before=$(count "$cpu")
	echo 10 >"$v/edu_irq_test" 2>/dev/null || return 1
	after=$(count "$cpu")
	[ $((after - before)) -eq 10 ]
}
if moved 1; then
	tap_ok "affinity to CPU 1: the next 10 interrupts arrive on CPU 1"
else
	tap_fail "affinity to CPU 1: the next 10 interrupts arrive on CPU 1" "$(grep "^ *$irq:" /proc/interrupts; cat $v/edu_irq_test; dmesg | tail -5)"
fi
if moved 0; then
	tap_ok "and back to CPU 0: the next 10 arrive on CPU 0"
else
	tap_fail "and back to CPU 0: the next 10 arrive on CPU 0" "$(grep "^ *$irq:" /proc/interrupts; cat $v/edu_irq_test)"
fi
hvctl sim remove "$g"
wait_for 30 hvk_gone "$v"
rmmod hvkit_edu_test hvkit_pci hvkit_sim
tap_done
