#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hot remove and hot add through vPCI: the host ejects the function while
# an ordinary driver is bound to it (the guest removes it, releases its
# resources and completes the eject), then puts it back with new bus
# relations (the guest scans it in where it was, and the driver binds and
# works again); twenty detach and attach cycles leave nothing behind.
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
real=$(hvk_edu_real) || tap_skip_all "no edu device (qemu -device edu)"
tap_plan 6
rmmod hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
modprobe hvkit_pci
modprobe hvkit_edu_test
g=$(hvctl sim add vpci --pci "$real")
wait_for 60 hvk_vpci_view 0x1234 0x11e8 >/dev/null
view=$(hvk_vpci_view 0x1234 0x11e8)
v=/sys/bus/pci/devices/$view
wait_for 10 test -e "$v/edu_factorial"

if hvctl sim vpci detach --instance "$g" && ! test -e "$v" &&
	dmesg | grep -q "slot 0x0 ejected"; then
	tap_ok "an eject while the driver is bound removes the function, and the guest completes it"
else
	tap_fail "an eject while the driver is bound removes the function" "$(dmesg | tail -8)"
fi
if hvctl sim list --json | grep -q "$g"; then
	tap_ok "the vPCI bus stays, empty"
else
	tap_fail "the vPCI bus stays, empty" "$(hvctl sim list)"
fi

hvctl sim vpci attach --instance "$g"
wait_for 30 test -e "$v/edu_factorial"
echo 12 >"$v/edu_factorial" 2>/dev/null
r=$(cat "$v/edu_factorial" 2>&1)
[ "$r" = "12! = 479001600" ] && tap_ok "hot add: the function is back at $view, bound, and works ($r)" ||
	tap_fail "hot add: the function is back at $view, bound, and works" "read '$r'; $(dmesg | tail -8)"

if hvctl sim vpci attach --instance "$g" 2>/dev/null; then
	tap_fail "attaching a function already on the bus is refused"
else
	tap_ok "attaching a function already on the bus is refused"
fi

# slab+vmalloc is the precise signal, MemAvailable the coarse one (pages
# freed to per-CPU lists do not count as free; the debug kernel's KASAN
# quarantine and its end-of-run kmemleak scan make that one noisy, and catch
# real leaks themselves): as vmbus/lifecycle measures.
slab() { awk '/^(Slab|VmallocUsed):/ { s += $2 } END { print s }' /proc/meminfo; }
free_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
echo 3 >/proc/sys/vm/drop_caches
s0=$(slab) m0=$(free_kb)
i=0 bad= n=20	# the count, on every kernel
while [ $i -lt $n ]; do
	hvctl sim vpci detach --instance "$g" || { bad="detach $i failed"; break; }
	test -e "$v" && { bad="cycle $i: still there after detach"; break; }
	hvctl sim vpci attach --instance "$g" || { bad="attach $i failed"; break; }
	wait_for 30 test -e "$v/edu_factorial" || { bad="cycle $i: not back"; break; }
	i=$((i + 1))
done
echo 4000 >"$v/edu_dma" 2>/dev/null
r=$(cat "$v/edu_dma" 2>&1)
if [ -z "$bad" ] && [ "$r" = "ok 4000" ]; then
	tap_ok "$n detach and attach cycles; the function still does DMA"
else
	tap_fail "$n detach and attach cycles; the function still does DMA" "$bad; dma: $r; $(dmesg | tail -6)"
fi
hvctl sim remove "$g"
wait_for 30 sh -c "! test -e $v && ! grep -q $g /proc/iomem"
rmmod hvkit_edu_test hvkit_pci
echo 3 >/proc/sys/vm/drop_caches
hvk_sleep 1
s1=$(slab) m1=$(free_kb)
n=$(grep -c "$g" /proc/iomem)
# A leak of the per-cycle allocations (a bus, a work item per message, 20 times
# over) shows as pieces left in /proc/iomem or memory that does not come back.
echo "# slab+vmalloc $s0 -> $s1 kB, available $m0 -> $m1 kB"
if [ "$n" = 0 ] && [ $((s1 - s0)) -lt 1024 ] && [ $((m0 - m1)) -lt 16384 ]; then
	tap_ok "nothing left behind: no MMIO pieces, slab+vmalloc within 1 MiB, available within 16 MiB"
else
	tap_fail "nothing left behind" "$n pieces; slab+vmalloc $s0 -> $s1 kB, available $m0 -> $m1 kB"
fi
rmmod hvkit_sim
tap_done
