#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A BAR of a GiB through vPCI (QEMU's ivshmem-plain, standing in for a GPU's
# memory window): the host lends the real 64-bit prefetchable BAR, the
# guest's view of it lands exactly there (nested under it in /proc/iomem),
# and the whole of it is mapped, written and read back.
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
real=
for d in /sys/bus/pci/devices/0000:*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ] && real=$(basename "$d")
done
[ -n "$real" ] || tap_skip_all "no ivshmem-plain device"
tap_plan 3
rmmod hvkit_edu_test hvkit_pci hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
modprobe hvkit_edu_test
rstart=$(cut -d' ' -f1 "/sys/bus/pci/devices/$real/resource" | sed -n 3p)
rend=$(cut -d' ' -f2 "/sys/bus/pci/devices/$real/resource" | sed -n 3p)
size=$(( rend - rstart + 1 ))
g=$(hvctl sim add vpci --pci "$real")
wait_for 60 hvk_vpci_view 0x1af4 0x1110 >/dev/null
view=$(hvk_vpci_view 0x1af4 0x1110)
v=/sys/bus/pci/devices/$view
vstart=$(cut -d' ' -f1 "$v/resource" 2>/dev/null | sed -n 3p)
vflags=$(cut -d' ' -f3 "$v/resource" 2>/dev/null | sed -n 3p)
# IORESOURCE_MEM_64 (0x100000) and IORESOURCE_PREFETCH (0x2000)
if [ -n "$view" ] && [ "$vstart" = "$rstart" ] && [ $((size)) -ge $((1 << 30)) ] &&
	[ $(( vflags & 0x102000 )) = $((0x102000)) ]; then
	tap_ok "the view's 64-bit prefetchable BAR 2 of $size bytes is the real one ($vstart)"
else
	tap_fail "the view's 64-bit prefetchable BAR 2 of a GiB is the real one" \
		"real $rstart-$rend, view '$view' $vstart flags $vflags; $(dmesg | tail -8)"
fi
iom=$(grep -A3 "^ *${rstart#0x0*}" /proc/iomem 2>/dev/null; grep -B1 -A2 "$g" /proc/iomem)
if echo "$iom" | grep -q "$g" && echo "$iom" | grep -q "$view"; then
	tap_ok "in /proc/iomem the view's BAR nests in the vPCI device's piece of the real BAR"
else
	tap_fail "in /proc/iomem the view's BAR nests in the vPCI device's piece of the real BAR" "$(cat /proc/iomem)"
fi
wait_for 10 test -e "$v/ivshmem_test"
echo 1 >"$v/ivshmem_test" 2>/dev/null
r=$(cat "$v/ivshmem_test" 2>&1)
[ "$r" = "ok $size" ] && tap_ok "the whole BAR mapped, written and read back ($r)" ||
	tap_fail "the whole BAR mapped, written and read back" "$r"
hvctl sim remove "$g"
wait_for 30 sh -c "! test -e $v && ! grep -q $g /proc/iomem"
rmmod hvkit_edu_test hvkit_pci hvkit_sim
tap_done
