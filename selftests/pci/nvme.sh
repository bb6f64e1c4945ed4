#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# QEMU's NVMe controller (selftests/config) through vPCI: the guest's nvme
# driver binds to the view (MSI-X, its table in the BAR the registers are
# in) and reads its namespace. The admin queue's vector (not managed)
# moved to the other CPU and back: the host retargets it, and the admin
# interrupts of a rescan arrive there. Power: unbound,
# the function is put in D3hot and back in D0 through its PM capability,
# config writes the host forwards to the function and records (debugfs
# hvkit_sim/vpci); bound again, the controller works.
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
dbg=/sys/kernel/debug/hvkit_sim/vpci
real=$(hvk_pci_real 0x1b36 0x0010) || tap_skip_all "no NVMe controller (selftests/config: qemu -device nvme)"
command -v setpci >/dev/null || tap_skip_all "no setpci (pciutils)"
modprobe nvme 2>/dev/null
[ -d /sys/bus/pci/drivers/nvme ] || tap_skip_all "no nvme driver in this kernel"
tap_plan 8
rmmod hvkit_pci hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"

# The namespace block device of the nvme controller at PCI function $1:
# with native multipath the controller holds the path (nvmeScCn1), whose
# head nvmeSn1 is the block device.
ns_of() {
	basename "$(ls -d /sys/bus/pci/devices/$1/nvme/nvme*/nvme*n1 2>/dev/null | head -n1)" |
		sed 's/c[0-9]*n/n/'
}
reads() { [ -n "$1" ] && dd if=/dev/$1 of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null; }

g=$(hvctl sim add vpci --pci "$real")
view=$(hvk_vpci_domain "$g"):00:00.0
wait_for 60 sh -c "ls -d /sys/bus/pci/devices/$view/nvme/nvme*/nvme*n1 >/dev/null 2>&1"
ns=$(ns_of "$view")
nx=$(grep "hvkit-vPCI-MSI" /proc/interrupts | grep -c nvme)
if [ "$(basename "$(readlink /sys/bus/pci/devices/$view/driver)")" = nvme ] && reads "$ns" &&
	[ "$nx" -ge 2 ]; then
	tap_ok "nvme binds to the view ($view), reads its namespace ($ns), $nx MSI-X vectors in hvkit_pci's domain"
else
	tap_fail "nvme binds to the view, reads its namespace, MSI-X vectors in hvkit_pci's domain" \
		"namespace '$ns', $nx vectors; $(grep nvme /proc/interrupts); $(dmesg | tail -10)"
fi

# cpu_count IRQ CPU: the interrupts of IRQ taken on CPU.
cpu_count() { awk -v irq="$1:" -v c=$(($2 + 2)) '$1 == irq { print $c }' /proc/interrupts; }
on_cpu() { grep -c " cpu $1 msix" $dbg; }
ctrl=$(basename "$(ls -d /sys/bus/pci/devices/$view/nvme/nvme* 2>/dev/null | head -n1)")
adm=$(awk -v q="${ctrl}q0" '$NF == q && /hvkit-vPCI-MSI/ { sub(":", "", $1); print $1 }' /proc/interrupts)
# moved CPU: the admin vector's affinity set to CPU; x86 moves an MSI at its
# next interrupt, which a rescan (admin commands) brings; the host's record
# of one interrupt moves to CPU, and the later admin interrupts arrive there.
moved() {
	local to=$1 host before
	host=$(on_cpu "$to")
	before=$(cpu_count "$adm" "$to")
	echo $((1 << to)) >/proc/irq/$adm/smp_affinity || return 1
	echo 1 >/sys/bus/pci/devices/$view/nvme/$ctrl/rescan_controller
	wait_for 10 sh -c "test \"\$(cat /proc/irq/$adm/effective_affinity_list)\" = $to" || return 1
	echo 1 >/sys/bus/pci/devices/$view/nvme/$ctrl/rescan_controller
	wait_for 10 awk -v irq="$adm:" -v c=$((to + 2)) -v b="$before" \
		'$1 == irq && $c > b { f = 1 } END { exit !f }' /proc/interrupts &&
		[ "$(on_cpu "$to")" -eq $((host + 1)) ]
}
from=$(cat /proc/irq/$adm/effective_affinity_list 2>/dev/null)
to=$((1 - ${from:-0}))
if [ -n "$adm" ] && moved $to; then
	tap_ok "the admin vector's affinity to CPU $to: the host retargets it, its interrupts arrive there"
else
	tap_fail "the admin vector's affinity to CPU $to: the host retargets it, its interrupts arrive there" \
		"irq '$adm' on $(cat /proc/irq/$adm/effective_affinity_list 2>&1); $(grep "$ctrl" /proc/interrupts); $(cat $dbg)"
fi
if [ -n "$adm" ] && moved "${from:-0}"; then
	tap_ok "and back to CPU ${from:-0}, the same"
else
	tap_fail "and back to CPU ${from:-0}, the same" \
		"irq '$adm' on $(cat /proc/irq/$adm/effective_affinity_list 2>&1); $(grep "$ctrl" /proc/interrupts); $(cat $dbg)"
fi

echo "$view" >/sys/bus/pci/drivers/nvme/unbind
# pm: the function's D state as its PMCSR reads (0..3), or what setpci said.
pm() {
	local w
	w=$(setpci -s "$view" CAP_PM+4.w 2>&1)
	case "$w" in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]) echo $((0x$w & 3)) ;;
	*) echo "$w" ;;
	esac
}
changes() { sed -n 's/^power D[0-9] changes \([0-9]*\)$/\1/p' $dbg; }
c=$(changes)
setpci -s "$view" CAP_PM+4.w=0003:0003
d3=$(pm)
seen3=$(grep "^power " $dbg)
if [ "$d3" = 3 ] && [ "$seen3" = "power D3 changes $((${c:-0} + 1))" ]; then
	tap_ok "unbound, the function goes to D3hot through its PM capability, and the host sees it"
else
	tap_fail "unbound, the function goes to D3hot through its PM capability, and the host sees it" \
		"D state read '$d3'; host: '$seen3'; $(cat $dbg)"
fi
setpci -s "$view" CAP_PM+4.w=0000:0003
d0=$(pm)
seen0=$(grep "^power " $dbg)
if [ "$d0" = 0 ] && [ "$seen0" = "power D0 changes $((${c:-0} + 2))" ]; then
	tap_ok "and back to D0, the host seeing that too"
else
	tap_fail "and back to D0, the host seeing that too" "D state read '$d0'; host: '$seen0'"
fi
echo "$view" >/sys/bus/pci/drivers/nvme/bind
wait_for 60 sh -c "ls -d /sys/bus/pci/devices/$view/nvme/nvme*/nvme*n1 >/dev/null 2>&1"
ns=$(ns_of "$view")
if reads "$ns"; then
	tap_ok "bound again after D3hot, the controller works ($ns reads)"
else
	tap_fail "bound again after D3hot, the controller works" "$(dmesg | tail -10)"
fi

# Ejected first, as Hyper-V takes a function away: nvme's removal still
# has its interrupts and shuts the controller down in order.
hvctl sim vpci detach --instance "$g"
wait_for 30 hvk_gone "/sys/bus/pci/devices/$view"
hvctl sim remove "$g"
wait_for 60 sh -c "ls -d /sys/bus/pci/devices/$real/nvme/nvme*/nvme*n1 >/dev/null 2>&1"
if [ "$(basename "$(readlink /sys/bus/pci/devices/$real/driver)")" = nvme ] && reads "$(ns_of "$real")"; then
	tap_ok "ejected and removed: the controller given back to nvme on $real, and it reads"
else
	tap_fail "ejected and removed: the controller given back to nvme on $real, and it reads" "$(dmesg | tail -8)"
fi

# A bare rescind (the host takes the channel away with no eject first):
# the view's config space reads all-ones from then on, so nvme's removal
# finds the controller gone (pci_device_is_present()) and does not wait
# for interrupts that no longer come: without that, deleting its queues
# waits out the 60 s admin timeout, silently. The bound below is that
# timeout less a margin; the removal takes a second or two.
g=$(hvctl sim add vpci --pci "$real")
view=$(hvk_vpci_domain "$g"):00:00.0
wait_for 60 sh -c "ls -d /sys/bus/pci/devices/$view/nvme/nvme*/nvme*n1 >/dev/null 2>&1"
t0=$(cut -d. -f1 /proc/uptime)
hvctl sim remove "$g"
wait_for 90 hvk_gone "/sys/bus/pci/devices/$view"
took=$(($(cut -d. -f1 /proc/uptime) - t0))
if [ ! -e "/sys/bus/pci/devices/$view" ] && [ "$took" -lt 40 ] && wait_for 60 sh -c \
	"ls -d /sys/bus/pci/devices/$real/nvme/nvme*/nvme*n1 >/dev/null 2>&1"; then
	tap_ok "a rescind with no eject: nvme finds the view gone and lets it go (${took}s, not its 60 s admin timeout)"
else
	tap_fail "a rescind with no eject: nvme finds the view gone and lets it go, not after its 60 s admin timeout" \
		"view $(ls -d /sys/bus/pci/devices/$view 2>&1); removal took ${took}s; $(dmesg | tail -8)"
fi
rmmod hvkit_pci hvkit_sim
tap_done
