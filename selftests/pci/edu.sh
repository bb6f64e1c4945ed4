#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# QEMU's edu device passed through vPCI: the simulated host takes the real
# function from its driver and offers it on a vPCI bus; hvkit_pci makes a
# root bus in the domain the instance GUID names, lspci -D shows the
# function there, and an ordinary PCI driver (hvkit_edu_test) bound to that
# view computes a factorial through MMIO and moves bytes both ways with the
# device's DMA engine. Removing the device while the driver is bound takes
# the view away and gives the real function back.
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
real=$(hvk_edu_real) || tap_skip_all "no edu device (qemu -device edu)"
tap_plan 10
rmmod hvkit_edu_test hvkit_pci hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"

g=$(hvctl sim add vpci --pci "$real")
if [ -n "$g" ] && [ "$(basename "$(readlink /sys/bus/pci/devices/$real/driver)")" = hvkit_sim_vpci ]; then
	tap_ok "the host takes $real from its driver and offers a vPCI bus ($g)"
else
	tap_fail "the host takes $real from its driver and offers a vPCI bus" "$(dmesg | tail -5)"
fi
dom=$(hvk_vpci_domain "$g")
wait_for 60 hvk_vpci_view 0x1234 0x11e8 >/dev/null
view=$(hvk_vpci_view 0x1234 0x11e8)
if [ "$view" = "$dom:00:00.0" ] &&
	[ "$(basename "$(readlink /sys/bus/vmbus/devices/$g/driver)")" = hvkit_pci ]; then
	tap_ok "hvkit_pci, loaded by modalias, puts it on a root bus in domain $dom, from the instance GUID ($view)"
else
	tap_fail "hvkit_pci, loaded by modalias, puts it on a root bus in domain $dom, from the instance GUID" \
		"view '$view'; $(dmesg | grep -i 'hvkit\|pci' | tail -15)"
fi
out=$(lspci -D -n 2>&1)
if echo "$out" | grep -q "^$view .*1234:11e8"; then
	tap_ok "lspci -D shows it in its domain"
else
	tap_fail "lspci -D shows it in its domain" "$out"
fi
if grep -q "$g" /proc/iomem; then
	tap_ok "its BAR is MMIO of the vPCI device, inside the real BAR"
else
	tap_fail "its BAR is MMIO of the vPCI device, inside the real BAR" "$(grep -i -B2 -A2 'hvkit\|fea\|fe[0-9a-f]\{5\}' /proc/iomem | head -30)"
fi

modprobe hvkit_edu_test
v=/sys/bus/pci/devices/$view
wait_for 10 test -e "$v/edu_factorial"
if [ "$(basename "$(readlink "$v/driver")")" = hvkit_edu_test ] &&
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$real/driver")")" = hvkit_sim_vpci ]; then
	tap_ok "an ordinary PCI driver binds to the view (and not to the real function)"
else
	tap_fail "an ordinary PCI driver binds to the view" "$(dmesg | tail -10)"
fi
echo 10 >"$v/edu_factorial" 2>/dev/null
r=$(cat "$v/edu_factorial" 2>&1)
[ "$r" = "10! = 3628800" ] && tap_ok "factorial through MMIO: $r" ||
	tap_fail "factorial through MMIO" "read '$r'"
echo 4000 >"$v/edu_dma" 2>/dev/null
r=$(cat "$v/edu_dma" 2>&1)
[ "$r" = "ok 4000" ] && tap_ok "DMA to the device and back, 4000 bytes checked" ||
	tap_fail "DMA to the device and back, 4000 bytes checked" "$r"
echo 777 >"$v/edu_dma" 2>/dev/null
r=$(cat "$v/edu_dma" 2>&1)
[ "$r" = "ok 777" ] && tap_ok "DMA of 777 bytes, nothing written past them" ||
	tap_fail "DMA of 777 bytes, nothing written past them" "$r"

hvctl sim remove "$g"
wait_for 30 sh -c "! test -e /sys/bus/pci/devices/$view && ! grep -q $g /proc/iomem"
if ! test -e "/sys/bus/pci/devices/$view" && ! grep -q "$g" /proc/iomem; then
	tap_ok "removing the device while its driver is bound takes the view and its MMIO away"
else
	tap_fail "removing the device while its driver is bound takes the view and its MMIO away" \
		"$(dmesg | tail -10)"
fi
# The driver link goes before the driver's remove runs (and gives the
# regions back): wait for both.
wait_for 10 sh -c "! test -e /sys/bus/pci/devices/$real/driver && ! grep -q hvkit_sim_vpci /proc/iomem"
if ! test -e "/sys/bus/pci/devices/$real/driver" && ! grep -q hvkit_sim_vpci /proc/iomem; then
	tap_ok "the real function is given back"
else
	tap_fail "the real function is given back" "$(readlink /sys/bus/pci/devices/$real/driver)"
fi
rmmod hvkit_edu_test hvkit_pci hvkit_sim 2>/dev/null
tap_done
